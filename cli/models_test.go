package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/model"
	"infertop/report"
	"infertop/session"
)

// Fixtures: models of testdata/models (PyTorch exports with a dynamic batch),
// and files refused or restricted (testdata/refused, written by its gen.py).
const (
	mlpGemm     = "../testdata/models/mlp_gemm.onnx"
	resnetFile  = "../testdata/models/resnet_narrow.onnx"
	bertFile    = "../testdata/models/bert_tiny.onnx"
	fixedFile   = "../testdata/refused/fixed_batch.onnx"
	unsupported = "../testdata/refused/unsupported.onnx"
)

// fixedWhy is the fixed-batch file's own explanation of a batch it cannot run.
const fixedWhy = fixedFile + ` was exported with a fixed batch of 2, so it runs at batch 2 only; export it with a dynamic batch ` +
	`axis to run others (torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}}))`

// brokenFiles writes an empty file, one that is not a model and a model cut
// in half, and returns their paths.
func brokenFiles(t *testing.T) (empty, garbage, truncated string) {
	t.Helper()
	dir := t.TempDir()
	whole, err := os.ReadFile(mlpGemm)
	if err != nil {
		t.Fatal(err)
	}
	empty, garbage, truncated = filepath.Join(dir, "empty.onnx"), filepath.Join(dir, "garbage.onnx"), filepath.Join(dir, "truncated.onnx")
	for path, b := range map[string][]byte{empty: nil, garbage: []byte("hello, not a model"), truncated: whole[:len(whole)/2]} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return empty, garbage, truncated
}

func TestParseDims(t *testing.T) {
	const accepted = "(accepted: NAME=N with N from 1 to 16777216, e.g. --dim seq=128)"
	for _, c := range []struct {
		in   []string
		want map[string]int
		err  string
	}{
		{nil, map[string]int{}, ""},
		{[]string{"seq=128", " batch_x = 3 ", "seq=128"}, map[string]int{"seq": 128, "batch_x": 3}, ""},
		{[]string{"seq"}, nil, `--dim "seq" has no '=' ` + accepted},
		{[]string{"=16"}, nil, `--dim "=16" names no dimension ` + accepted},
		{[]string{"seq=abc"}, nil, `--dim "seq=abc": "abc" is not a size ` + accepted},
		{[]string{"seq=0"}, nil, `--dim "seq=0": "0" is not a size ` + accepted},
		{[]string{"seq=99999999"}, nil, `--dim "seq=99999999": "99999999" is not a size ` + accepted},
		{[]string{"seq=16", "seq=32"}, nil, "--dim seq is given twice, as 16 and 32 (accepted: one size per name)"},
	} {
		got, err := parseDims(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: %v\nwant %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v (%v)", c.in, got, err)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%q: %s = %d, want %d", c.in, k, got[k], v)
			}
		}
	}
}

// modelCommand runs one command with the fake engines of its tests.
type modelCommand struct {
	name string
	run  func(args []string) (int, string, string)
}

func modelCommands(t *testing.T) []modelCommand {
	return []modelCommand{
		{"bench", func(a []string) (int, string, string) {
			return runBenchTest(context.Background(), fakeDeps(nil), append(a, fast...)...)
		}},
		{"sweep", func(a []string) (int, string, string) {
			return runSweepArgs(t, context.Background(), sweepTestDeps(nil), a...)
		}},
		{"compare", func(a []string) (int, string, string) {
			return runCompareArgs(t, context.Background(), compareTestDeps(nil), append(a, "--devices", "cpu,cpu", "--threads", "1,0")...)
		}},
		{"selftest", func(a []string) (int, string, string) {
			code, out, errs := runSTDeps(session.Machine{Registry: fakeRegistry(""), OpenNVML: noNVML}, append(a, "--device", "cpu")...)
			return code, out, errs
		}},
		{"dashboard", func(a []string) (int, string, string) {
			var out, errb bytes.Buffer
			code := dashboardMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, a, testDashboardDeps(true))
			return code, out.String(), errb.String()
		}},
	}
}

// Every command refuses a file that cannot run, a malformed --dim and a
// batch a fixed-batch file cannot run, in one line and with exit 2, before
// anything runs.
func TestModelFlagsRefuseBadInput(t *testing.T) {
	empty, garbage, truncated := brokenFiles(t)
	common := []struct {
		args []string
		want string
	}{
		{[]string{"--model", "nowhere/x.onnx"}, "nowhere/x.onnx: cannot read it: no such file or directory (accepted: the path of an .onnx file)"},
		{[]string{"--model", empty}, empty + ": not an ONNX model (the file is empty)"},
		{[]string{"--model", garbage}, garbage + ": not an ONNX model (protobuf: cannot parse invalid wire-format data)"},
		{[]string{"--model", truncated}, truncated + ": truncated"},
		{[]string{"--model", unsupported}, unsupported + ` needs what cannot be computed: Hardmax (opset 17) ×2, first "hardmax_1": ` +
			`op not supported; TopK (opset 17) ×1, first "topk": op not supported`},
		{[]string{"--model", bertFile}, bertFile + `: graph input "input_ids" has the free dimension "seq" (shape [batch seq]): bind it with --dim seq=N`},
		{[]string{"--model", bertFile, "--dim", "seq"}, `--dim "seq" has no '=' (accepted: NAME=N with N from 1 to 16777216, e.g. --dim seq=128)`},
		{[]string{"--model", bertFile, "--dim", "seq=x"}, `--dim "seq=x": "x" is not a size (accepted: NAME=N with N from 1 to 16777216, e.g. --dim seq=128)`},
		{[]string{"--dim", "seq=16"}, "--dim seq=16 binds dimensions of --model files, and no --model is given"},
		{[]string{"--model", "mlp"}, "--model mlp: a file may not have a preset's name; give its path as ./mlp"},
	}
	batchFlag := map[string]string{"bench": "--batch", "sweep": "--batches", "compare": "--batch", "dashboard": "--batch"}
	one := map[string]bool{"sweep": true, "compare": true}
	for _, c := range modelCommands(t) {
		cases := slices.Clone(common)
		if f := batchFlag[c.name]; f != "" {
			cases = append(cases, struct {
				args []string
				want string
			}{[]string{"--model", fixedFile, f, "8"}, fixedWhy})
		}
		if one[c.name] {
			cases = append(cases, struct {
				args []string
				want string
			}{[]string{"--model", mlpGemm, "--model", resnetFile}, "--model is given 2 times; " + c.name + " runs one model"},
				struct {
					args []string
					want string
				}{[]string{"--preset", "mlp", "--model", mlpGemm}, "give --preset or --model, not both (" + c.name + " runs one model)"})
		}
		for _, k := range cases {
			code, out, errs := c.run(k.args)
			want := "infertop " + c.name + ": " + k.want + "\n"
			if code != ExitUsage || errs != want || strings.Contains(out, "PASS") {
				t.Errorf("%s %q: exit %d, stderr %q\nwant exit 2 and %q", c.name, k.args, code, errs, want)
			}
		}
	}
}

// bench measures every file given, after the preset when --preset is
// given too; rows, the JSON meta and the CSV name each model.
func TestBenchModelFiles(t *testing.T) {
	code, out, errs := runBenchTest(context.Background(), fakeDeps(nil),
		append(fast, "--model", mlpGemm, "--model", resnetFile, "--model", mlpGemm, "--batch", "1,3", "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, r.Model+"@"+itoa(int64(r.Batch)))
		if r.Error != "" || r.Samples == 0 {
			t.Errorf("row %+v", r)
		}
	}
	if want := []string{mlpGemm + "@1", mlpGemm + "@3", resnetFile + "@1", resnetFile + "@3"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if res.Meta.Model != mlpGemm+","+resnetFile {
		t.Errorf("meta model %q", res.Meta.Model)
	}
	code, out, errs = runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--preset", "resnet", "--model", fixedFile, "--format", "csv")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "model" || recs[1][0] != "resnet" || recs[1][2] != "64" ||
		recs[2][0] != fixedFile || recs[2][2] != "2" {
		t.Errorf("csv %q (%v): each model at its default batch", recs, err)
	}
}

// bench runs files on the real CPU engine: a transformer file with its
// sequence bound, its FLOPs counted from the graph.
func TestBenchFileOnTheCPUEngine(t *testing.T) {
	m := fakeDeps(nil)
	m.Registry = session.NewRegistry()
	code, out, errs := runBenchTest(context.Background(), m,
		"--model", bertFile, "--dim", "seq=16", "--batch", "2", "--warmup", "10ms", "--duration", "100ms", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Rows) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	r := res.Rows[0]
	if r.Model != bertFile || r.Batch != 2 || r.Error != "" || r.GFLOPS <= 0 || r.EngineBytes <= 0 {
		t.Errorf("row %+v", r)
	}
	if dims, _ := res.Meta.Options["dims"].(map[string]any); dims["seq"] != float64(16) {
		t.Errorf("options %v", res.Meta.Options)
	}
}

// A sweep of a fixed-batch file measures its batch only and says so; a
// sweep of a file names it in the document.
func TestSweepModelFiles(t *testing.T) {
	code, out, errs := runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--model", fixedFile, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.SweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	note := fixedFile + " was exported with a fixed batch of 2, so only batch 2 is measured (export it with a dynamic batch axis to measure others)"
	if len(doc.Sweep.Points) != 1 || doc.Sweep.Points[0].Batch != 2 || !slices.Contains(doc.Sweep.Notes, note) || doc.Meta.Model != fixedFile {
		t.Errorf("points %+v notes %q meta %q", doc.Sweep.Points, doc.Sweep.Notes, doc.Meta.Model)
	}
	if !strings.Contains(errs, "sweeping "+fixedFile+" on cpu (batch 2 only: the file's fixed batch)\n  note: "+note+"\n") {
		t.Errorf("stderr:\n%s", errs)
	}
	code, out, errs = runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--model", mlpGemm, "--batches", "1,4")
	if code != ExitOK || !strings.Contains(out, "sweep of "+mlpGemm+" on cpu") {
		t.Errorf("exit %d: %s\n%s", code, errs, out)
	}
}

// compare races a file as it races a preset.
func TestCompareModelFile(t *testing.T) {
	code, out, errs := runCompareArgs(t, context.Background(), compareTestDeps(nil), "--model", mlpGemm, "--devices", "cpu,cpu",
		"--threads", "1,0", "--batch", "4", "--pairs", "1", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.CompareDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Compare.Model != mlpGemm || doc.Meta.Model != mlpGemm || len(doc.Compare.Points) != 1 || doc.Compare.Points[0].Batch != 4 {
		t.Errorf("compare %+v meta %+v", doc.Compare, doc.Meta)
	}
	if !strings.Contains(errs, "racing "+mlpGemm+": A = cpu ×1 thread") {
		t.Errorf("stderr %s", errs)
	}
}

// selftest checks the files given beside the presets (or alone with
// --presets none); a fixed-batch file at its batch only.
func TestSelftestModelFiles(t *testing.T) {
	code, out, errs := runSTDeps(session.Machine{Registry: fakeRegistry(""), OpenNVML: noNVML},
		"--device", "cpu", "--presets", "none", "--model", mlpGemm, "--model", fixedFile, "--batches", "1,3")
	if code != ExitOK || !strings.Contains(out, "PASS: all 3 cases") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{"PASS " + mlpGemm + " batch    1", "PASS " + mlpGemm + " batch    3", "PASS " + fixedFile + " batch    2"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	code, out, _ = runSTDeps(session.Machine{Registry: fakeRegistry(""), OpenNVML: noNVML},
		"--device", "cpu", "--presets", "linear", "--model", mlpGemm, "--batches", "2")
	if code != ExitOK || !strings.Contains(out, "PASS linear") || !strings.Contains(out, "PASS "+mlpGemm) || !strings.Contains(out, "PASS: all 2 cases") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, errs := runSTDeps(session.Machine{Registry: fakeRegistry(""), OpenNVML: noNVML}, "--device", "cpu", "--presets", "none"); code != ExitUsage ||
		errs != "infertop selftest: --presets none leaves nothing to test: give --model FILE.onnx, or name presets\n" {
		t.Errorf("nothing to test: exit %d, %q", code, errs)
	}
}

// A model the device's engine cannot run is reported once as refused, with
// what the engine lacks, and the selftest passes on what it could run.
func TestSelftestReportsARefusedModel(t *testing.T) {
	reg := fakeRegistry("")
	reg.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		if m.Name == "linear" {
			return &refExec{m: m}, nil
		}
		return nil, &model.UnsupportedError{Graph: m.Name, List: []model.Unsupported{{Op: "Gemm", Opset: 13, Node: "/fc1/Gemm", Count: 2, Reason: "no CUDA plan"}}}
	})
	code, out, errs := runSTDeps(session.Machine{Registry: reg, OpenNVML: noNVML}, "--device", "cuda:0", "--presets", "linear", "--model", mlpGemm, "--batches", "1,2")
	if code != ExitOK {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	refused := "REFUSED " + mlpGemm + " cuda:0 cannot run it: " + mlpGemm + ` needs what cannot be computed: Gemm (opset 13) ×2, first "/fc1/Gemm": no CUDA plan` + "\n"
	if strings.Count(out, "REFUSED") != 1 || !strings.Contains(out, refused) ||
		!strings.Contains(out, "PASS: all 2 cases; 2 refused: cuda:0 cannot run "+mlpGemm+"\n") {
		t.Errorf("output:\n%s\nwant the line %q", out, refused)
	}
	code, out, _ = runSTDeps(session.Machine{Registry: reg, OpenNVML: noNVML}, "--device", "cuda:0", "--presets", "none", "--model", mlpGemm)
	if code != ExitFailure || !strings.Contains(out, "FAIL: no case ran; 3 refused: cuda:0 cannot run "+mlpGemm) {
		t.Errorf("every model refused: exit %d:\n%s", code, out)
	}
}

// The dashboard starts on the first --model file unless --preset is given.
func TestDashboardStartsOnTheFirstFile(t *testing.T) {
	fs := newFlags(Env{Stderr: io.Discard}, "dashboard", "")
	fs.String("preset", "mlp", "")
	mf := addModelFlags(fs, "a `FILE.onnx`")
	if err := fs.Parse([]string{"--model", resnetFile, "--model", mlpGemm}); err != nil {
		t.Fatal(err)
	}
	start, err := dashboardModel(fs, mf, "mlp", 0)
	if err != nil || start.m.Name != resnetFile || !start.cat.Has(mlpGemm) {
		t.Fatalf("%v, %v", start.m, err)
	}
	if err := fs.Parse([]string{"--preset", "lenet5"}); err != nil {
		t.Fatal(err)
	}
	if start, err = dashboardModel(fs, mf, "lenet5", 0); err != nil || start.m.Name != "lenet5" || !start.cat.Has(resnetFile) {
		t.Fatalf("with --preset: %v, %v", start.m, err)
	}
}

// Every command's help teaches --model and --dim with an example.
func TestHelpTeachesModelFiles(t *testing.T) {
	for _, c := range []string{"dashboard", "bench", "sweep", "compare", "selftest"} {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), []string{c, "--help"}, strings.NewReader(""), &out, &errb); code != ExitOK {
			t.Fatalf("%s --help: exit %d", c, code)
		}
		help := errb.String()
		for _, want := range []string{"--model FILE.onnx", "-dim NAME=N", "A model is a preset", "infertop " + c + " ", "--model "} {
			if !strings.Contains(help, want) {
				t.Errorf("%s --help lacks %q:\n%s", c, want, help)
			}
		}
	}
	var out, errb bytes.Buffer
	Main(context.Background(), []string{"presets", "--help"}, strings.NewReader(""), &out, &errb)
	if !strings.Contains(errb.String(), "--model FILE.onnx") {
		t.Errorf("presets --help:\n%s", errb.String())
	}
}
