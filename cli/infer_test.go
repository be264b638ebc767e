package cli

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/internal/npy"
	"infertop/model"
	"infertop/session"
)

// Committed inputs and PyTorch's outputs of the fixtures.
const (
	resnetB3In   = "../testdata/models/resnet_narrow.b3.input.npy"
	resnetB3Out  = "../testdata/models/resnet_narrow.b3.output.npy"
	bertB3Ids    = "../testdata/models/bert_tiny.b3.input_ids.npy"
	bertB3Mask   = "../testdata/models/bert_tiny.b3.attention_mask.npy"
	bertB1Mask   = "../testdata/models/bert_tiny.b1.attention_mask.npy"
	npyScalar    = "../internal/npy/testdata/f4_scalar.npy"
	npyFloat64   = "../internal/npy/testdata/f8_2.npy"
	inferRelTol  = 1e-4
	inferOutFile = "output.npy"
)

// cpuMachine is this build's engines, skipping the test when it has no CPU engine.
func cpuMachine(t *testing.T) session.Machine {
	t.Helper()
	reg := session.NewRegistry()
	if !reg.Has(engine.CPU) {
		t.Skip("this build has no CPU engine: " + reg.Why(engine.CPU))
	}
	return session.Machine{Registry: reg}
}

func runInferArgs(m session.Machine, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := infer(Env{Stdout: &out, Stderr: &errb}, args, m)
	return code, out.String(), errb.String()
}

func readNPY(t *testing.T, path string) *model.Tensor {
	t.Helper()
	x, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// relDiff is max|got−want| / max|want|.
func relDiff(t *testing.T, got, want *model.Tensor) float64 {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) || got.DType != want.DType {
		t.Fatalf("%s %v, want %s %v", got.DType, got.Shape, want.DType, want.Shape)
	}
	var d, s float64
	for i := range want.F32 {
		d = max(d, math.Abs(float64(got.F32[i]-want.F32[i])))
		s = max(s, math.Abs(float64(want.F32[i])))
	}
	return d / s
}

// resnet_narrow.onnx on PyTorch's own batch-3 input writes PyTorch's output
// within 1e-4, and agrees with the reference kernels.
func TestInferMatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runInferArgs(cpuMachine(t), "--model", resnetFile, "--input", "input="+resnetB3In, "--output", dir, "--reference")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if e := relDiff(t, readNPY(t, filepath.Join(dir, inferOutFile)), readNPY(t, resnetB3Out)); e > inferRelTol {
		t.Errorf("max rel diff from PyTorch %.2e, want ≤ %.0e", e, inferRelTol)
	}
	for _, want := range []string{
		resnetFile + " on cpu (", "), batch 3, inputs from the files given\n",
		"\noutput  output  float32  3×10  ", filepath.Join(dir, inferOutFile) + "\n",
		"\ntime: ", " ms for the batch (the second run; the first warmed up)\n",
		"\n  output  max abs diff ", "  ok\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files written, want the output only (the inputs were given)", len(entries))
	}
}

// Without --input the seeded inputs are written beside the outputs, the same
// for the same seed, valid for what reads them (token ids within the
// embedding table, masks of ones); the default folder is infer-<stem>.
func TestInferWritesSeededInputs(t *testing.T) {
	m := cpuMachine(t)
	bert, err := filepath.Abs(bertFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, out, errs := runInferArgs(m, "--model", bert, "--dim", "seq=16", "--batch", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "seeded inputs (--seed 20240611, filled by the rule bench and the dashboard fill theirs by)") {
		t.Errorf("summary:\n%s", out)
	}
	ids, mask := readNPY(t, "infer-bert_tiny/input_ids.npy"), readNPY(t, "infer-bert_tiny/attention_mask.npy")
	if ids.DType != model.Int64 || !slices.Equal(ids.Shape, []int{3, 16}) || slices.Min(ids.I64) < 0 || slices.Max(ids.I64) >= 100 || slices.Max(ids.I64) == 0 {
		t.Errorf("input_ids %s %v in [%d, %d]", ids.DType, ids.Shape, slices.Min(ids.I64), slices.Max(ids.I64))
	}
	if slices.Min(mask.I64) != 1 || slices.Max(mask.I64) != 1 {
		t.Errorf("attention_mask not all ones: %v", mask.I64)
	}
	first := readNPY(t, "infer-bert_tiny/output.npy")
	// The same seed draws the same inputs, another seed others.
	for seed, same := range map[string]bool{"20240611": true, "7": false} {
		if code, _, errs := runInferArgs(m, "--model", bert, "--dim", "seq=16", "--batch", "3", "--seed", seed, "--output", "again"); code != ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if got := readNPY(t, "again/input_ids.npy"); slices.Equal(got.I64, ids.I64) != same {
			t.Errorf("seed %s: inputs equal %v, want %v", seed, !same, same)
		}
		// The engine's threads may sum in another order from run to run.
		if e := relDiff(t, readNPY(t, "again/output.npy"), first); same && e > 1e-6 {
			t.Errorf("the same inputs gave another output (max rel diff %.2e)", e)
		}
	}
}

// int32 token ids are accepted for an int64 input, with the same outputs.
func TestInferWidensInt32(t *testing.T) {
	m := cpuMachine(t)
	dir := t.TempDir()
	ids := readNPY(t, bertB3Ids)
	ids.DType = model.Int32
	ids32 := filepath.Join(dir, "ids32.npy")
	if err := npy.WriteFile(ids32, ids); err != nil {
		t.Fatal(err)
	}
	var outs []*model.Tensor
	for _, f := range []string{bertB3Ids, ids32} {
		o := filepath.Join(dir, "out")
		code, _, errs := runInferArgs(m, "--model", bertFile, "--dim", "seq=16", "--input", "input_ids="+f, "--input", "attention_mask="+bertB3Mask, "--output", o)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", f, code, errs)
		}
		outs = append(outs, readNPY(t, filepath.Join(o, inferOutFile)))
	}
	if e := relDiff(t, outs[1], outs[0]); e > 1e-6 {
		t.Errorf("int32 ids gave another output than int64 ones (max rel diff %.2e)", e)
	}
}

// Every bad --input, and every other bad command line, is one line and exit 2.
func TestInferRefusesBadInput(t *testing.T) {
	m := session.Machine{Registry: fakeRegistry("")}
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bert := []string{"--model", bertFile, "--dim", "seq=16"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, `give the model to run: --model FILE.onnx or --preset NAME ("infertop presets" lists the presets)`},
		{[]string{"--model", resnetFile, "--input", "input"}, `--input "input" is not NAME=FILE.npy (e.g. --input input_ids=ids.npy)`},
		{[]string{"--model", resnetFile, "--input", "=x.npy"}, `--input "=x.npy" is not NAME=FILE.npy`},
		{[]string{"--model", resnetFile, "--input", "image=" + resnetB3In}, "--input image=" + resnetB3In + ": " + resnetFile + ` has no input "image" (its inputs: input)`},
		{[]string{"--model", resnetFile, "--input", "input=" + resnetB3In, "--input", "input=" + resnetB3In}, "--input input=" + resnetB3In + `: input "input" is given twice`},
		{append(bert, "--input", "input_ids="+bertB3Ids), "--input is given for input_ids but not for attention_mask (give every input of " + bertFile + ", or none for seeded inputs)"},
		{[]string{"--model", resnetFile, "--input", "input=nope.npy"}, "--input input=nope.npy: cannot read it: no such file or directory"},
		{[]string{"--model", resnetFile, "--input", "input=" + npyFloat64}, "--input input=" + npyFloat64 + `: dtype "<f8" (float64) is not supported (accepted: <f4 (float32)`},
		{[]string{"--model", resnetFile, "--input", "input=" + npyScalar}, "--input input=" + npyScalar + " holds an array of shape []; an input's first dimension is the batch"},
		{append(bert, "--input", "input_ids="+resnetB3In, "--input", "attention_mask="+bertB3Mask), "--input input_ids=" + resnetB3In + ": float32 [3 3 32 32], the model wants int64 [3 16]"},
		{append(bert, "--input", "input_ids="+bertB3Ids, "--input", "attention_mask="+bertB1Mask), "--input attention_mask=" + bertB1Mask + ": int64 [1 16], the model wants int64 [3 16]"},
		{[]string{"--model", resnetFile, "--input", "input=" + resnetB3In, "--batch", "2"}, "--input input=" + resnetB3In + ": float32 [3 3 32 32], the model wants float32 [2 3 32 32]"},
		{[]string{"--model", fixedFile, "--input", "input=" + resnetB3In}, "--input input=" + resnetB3In + ": float32 [3 3 32 32], the model wants float32 [2 4]"},
		{[]string{"--model", fixedFile, "--batch", "3"}, fixedWhy},
		{[]string{"--model", bertFile}, bertFile + `: graph input "input_ids" has the free dimension "seq" (shape [batch seq]): bind it with --dim seq=N`},
		{[]string{"--model", unsupported}, unsupported + " needs what cannot be computed: Hardmax (opset 17) ×2"},
		{[]string{"--model", resnetFile, "--model", mlpGemm}, "--model is given 2 times; infer runs one model"},
		{[]string{"--model", resnetFile, "--preset", "mlp"}, "give --preset or --model, not both (infer runs one model)"},
		{[]string{"--preset", "vgg"}, `unknown preset "vgg"`},
		{[]string{"--preset", "mlp", "--batch", "-2"}, "--batch -2 is out of range"},
		{[]string{"--preset", "mlp", "--device", "tpu"}, "--device: "},
		{[]string{"--preset", "mlp", "--device", "cuda:0"}, "device cuda:0 is not available in this build: built without CUDA"},
		{[]string{"--preset", "mlp", "--output", notDir}, "--output " + notDir + " is a file, not a folder (accepted: a folder, made when missing)"},
	} {
		code, out, errs := runInferArgs(m, c.args...)
		if code != ExitUsage || out != "" || !strings.HasPrefix(errs, "infertop infer: "+c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %s", c.args, code, out, errs, c.want)
		}
	}
}

// An engine that cannot run the model says what it lacks (exit 2); one whose
// outputs stray from the reference fails --reference (exit 1).
func TestInferEngineRefusesOrDiffers(t *testing.T) {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return nil, &model.UnsupportedError{Graph: m.Name, List: []model.Unsupported{{Op: "Erf", Opset: 17, Node: "erf", Count: 2, Reason: "no kernel"}}}
	})
	code, _, errs := runInferArgs(session.Machine{Registry: r}, "--preset", "mlp", "--output", t.TempDir())
	if code != ExitUsage || errs != `infertop infer: cpu cannot run mlp: mlp needs what cannot be computed: Erf (opset 17) ×2, first "erf": no kernel (--device cpu runs every op infertop computes)`+"\n" {
		t.Errorf("refused: exit %d, %q", code, errs)
	}
	code, out, errs := runInferArgs(session.Machine{Registry: fakeRegistry("skew")}, "--preset", "linear", "--batch", "4", "--output", t.TempDir(), "--reference")
	if code != ExitFailure || !strings.Contains(out, "DIFFERS\n") || !strings.Contains(errs, "linear on cpu differs from the reference kernels by more than 1e-03") {
		t.Errorf("skewed: exit %d\n%s%s", code, out, errs)
	}
}

// A file already in the folder is replaced by a whole new one and no
// temporary file is left; a file that cannot be put in place leaves the
// folder as it was, without a temporary file either.
func TestInferWritesAtomically(t *testing.T) {
	m := session.Machine{Registry: fakeRegistry("")}
	dir := t.TempDir()
	old := filepath.Join(dir, inferOutFile)
	if err := os.WriteFile(old, []byte("an older run's half-written file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runInferArgs(m, "--preset", "linear", "--batch", "5", "--output", dir); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := readNPY(t, old); !slices.Equal(got.Shape, []int{5, 1}) {
		t.Errorf("output.npy holds %v", got.Shape)
	}
	names := func() []string {
		entries, _ := os.ReadDir(dir)
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"input.npy", "output.npy"}) {
		t.Errorf("folder holds %q", got)
	}
	if err := os.Remove(old); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(old, 0o755); err != nil { // output.npy cannot be replaced now
		t.Fatal(err)
	}
	code, _, errs := runInferArgs(m, "--preset", "linear", "--batch", "5", "--output", dir)
	if code != ExitFailure || !strings.HasPrefix(errs, "infertop infer: writing "+old+": ") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if got := names(); !slices.Equal(got, []string{"input.npy", "output.npy"}) {
		t.Errorf("after a failed write the folder holds %q", got)
	}
}

// --help teaches with examples.
func TestInferHelp(t *testing.T) {
	code, _, errs := runInferArgs(session.Machine{Registry: fakeRegistry("")}, "--help")
	if code != ExitOK || !strings.Contains(errs, "Examples:\n  infertop infer --model resnet50.onnx ") || !strings.Contains(errs, "-input NAME=FILE.npy") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
}
