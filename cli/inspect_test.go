package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"infertop/report"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}

func runInspectArgs(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"inspect"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// inspectJSON runs inspect --format json and decodes the document, both as
// the report type and as a map (for its field names).
func inspectJSON(t *testing.T, args ...string) (int, report.Inspection, map[string]any) {
	t.Helper()
	code, out, errs := runInspectArgs(append(args, "--format", "json")...)
	var ins report.Inspection
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &ins); err != nil {
		t.Fatalf("%v: %v\n%s%s", args, err, out, errs)
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	return code, ins, raw
}

// The table of a file and of a preset, whole.
func TestInspectTables(t *testing.T) {
	for name, args := range map[string][]string{
		"inspect_resnet_narrow":      {resnetFile},
		"inspect_preset_resnet":      {"resnet", "--batch", "8"},
		"inspect_bert_tiny":          {"--dim", "seq=16", bertFile},
		"inspect_plan_cuda_mlp":      {"mlp", "--batch", "32", "--plan", "cuda"},
		"inspect_plan_cuda_mlp_bf16": {"mlp", "--batch", "32", "--plan", "cuda", "--precision", "bf16"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errs := runInspectArgs(args...)
			if code != ExitOK || errs != "" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, name, out)
		})
	}
}

// The JSON document of resnet_narrow.onnx: its documented fields, and
// figures worked out by hand from the architecture.
func TestInspectJSONOfAFile(t *testing.T) {
	code, ins, raw := inspectJSON(t, resnetFile)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"batch", "complete", "default_batch", "description", "dims", "fixed_batch", "flops", "fusion", "graph",
		"inputs", "kind", "memory", "model", "nodes", "ops", "opset", "outputs", "params", "producer", "steps", "unsupported"}
	if !slices.Equal(keys, want) {
		t.Errorf("fields %q, want %q", keys, want)
	}
	if ins.Model != resnetFile || ins.Kind != "onnx" || ins.Producer != "pytorch 1.13.0" || ins.Opset != 17 || ins.Graph != "torch_jit" ||
		ins.Batch != 1 || ins.DefaultBatch != 1 || ins.FixedBatch != 0 || !ins.Complete || ins.Nodes != 17 {
		t.Errorf("header %+v", ins)
	}
	in, out := ins.Inputs[0], ins.Outputs[0]
	if in.Name != "input" || in.DType != "float32" || !slices.Equal(in.Declared, []string{"batch", "3", "32", "32"}) || !slices.Equal(in.Shape, []int{1, 3, 32, 32}) ||
		out.Name != "output" || !slices.Equal(out.Declared, []string{"batch", "10"}) || !slices.Equal(out.Shape, []int{1, 10}) {
		t.Errorf("tensors %+v %+v", in, out)
	}
	if !slices.Equal(ins.Ops, []report.OpCount{{Op: "Add", Count: 2}, {Op: "Conv", Count: 6}, {Op: "Flatten", Count: 1}, {Op: "Gemm", Count: 1}, {Op: "GlobalAveragePool", Count: 1}, {Op: "MaxPool", Count: 1}, {Op: "Relu", Count: 5}}) {
		t.Errorf("ops %v", ins.Ops)
	}
	// Weights: the 7×7 stem 8·3·49+8, two 3×3 8→8 convolutions 2·(8·8·9+8), the
	// stride-2 3×3 8→16 and 16→16 ones 16·8·9+16 and 16·16·9+16, the 1×1
	// projection 16·8+16, the linear 16·10+10 (BatchNorm folded by the exporter).
	params := int64(8*3*49 + 8 + 2*(8*8*9+8) + 16*8*9 + 16 + 16*16*9 + 16 + 16*8 + 16 + 16*10 + 10)
	if *ins.Params != (report.Params{Count: params, Bytes: 4 * params}) {
		t.Errorf("params %+v, want %d", *ins.Params, params)
	}
	// FLOPs: 2 × output elements × input channels per group × kernel area.
	flops := int64(2 * (8*16*16*3*49 + 2*8*8*8*8*9 + 16*4*4*8*9 + 16*4*4*16*9 + 16*4*4*8 + 10*16))
	if *ins.FLOPs != (report.FLOPs{PerSample: flops, PerBatch: flops}) {
		t.Errorf("flops %+v, want %d", *ins.FLOPs, flops)
	}
	mem := ins.Memory
	if mem.Inputs != 4*3*32*32 || mem.Estimate != mem.Weights+mem.Inputs+mem.ActivationsPeak || mem.ActivationsPeak > mem.ActivationsAll {
		t.Errorf("memory %+v", *mem)
	}
	if len(ins.Steps) != 10 {
		t.Fatalf("%d steps", len(ins.Steps))
	}
	block := ins.Steps[3]
	if block.Name != "/layer1/conv2/Conv" || block.Op != "infertop.FusedConv" || block.Activation != "Relu" || !block.Residual ||
		!slices.Equal(block.Covers, []string{"/layer1/conv2/Conv", "/layer1/Add", "/layer1/relu_1/Relu"}) ||
		!slices.Equal(block.CoverOps, []string{"Conv", "Add", "Relu"}) || !slices.Equal(block.Shape, []int{1, 8, 8, 8}) || block.FLOPs != 2*8*8*8*8*9 {
		t.Errorf("step %+v", block)
	}
	const summary = "17 nodes → 10 steps: 3 Conv+Relu → FusedConv+Relu, 2 Conv+Add+Relu → FusedConv+residual+Relu, " +
		"1 Conv → FusedConv, 1 Gemm → Linear; 3 unchanged; 0 folded at load or dropped"
	if ins.Fusion.Summary != summary || ins.Fusion.Nodes != 17 || ins.Fusion.Steps != 10 || len(ins.Fusion.Folded) != 0 {
		t.Errorf("fusion %+v", *ins.Fusion)
	}
	if u, ok := raw["unsupported"].([]any); !ok || len(u) != 0 {
		t.Errorf("unsupported is %v, want an empty list", raw["unsupported"])
	}
}

// A preset inspects as the engines run it; bert_tiny with its sequence
// bound lists the covers of its attention in full.
func TestInspectJSONOfAPresetAndOfBert(t *testing.T) {
	code, ins, _ := inspectJSON(t, "MLP")
	if code != ExitOK || ins.Model != "mlp" || ins.Kind != "preset" || ins.Batch != 256 || !ins.Complete ||
		ins.Outputs[0].DType != "float32" || ins.Outputs[0].Declared != nil || !slices.Equal(ins.Outputs[0].Shape, []int{256, 10}) {
		t.Errorf("mlp: exit %d, %+v", code, ins)
	}
	if f := *ins.FLOPs; f.PerSample != 2*(784*1024+1024*1024+1024*10) || f.PerBatch != 256*f.PerSample {
		t.Errorf("mlp flops %+v", f)
	}
	code, ins, _ = inspectJSON(t, bertFile, "--dim", "seq=16", "--batch", "3")
	if code != ExitOK || ins.Batch != 3 || ins.Dims["seq"] != 16 || !slices.Equal(ins.Inputs[0].Declared, []string{"batch", "seq"}) ||
		!slices.Equal(ins.Inputs[1].Shape, []int{3, 16}) || ins.Inputs[1].DType != "int64" {
		t.Fatalf("bert: exit %d, %+v", code, ins)
	}
	var attention []report.Step
	for _, s := range ins.Steps {
		if s.Op == "infertop.Attention" {
			attention = append(attention, s)
		}
	}
	if len(attention) != 2 || !attention[0].Mask || len(attention[0].Covers) != 13 || attention[0].Label() != "Attention+mask" {
		t.Errorf("attention steps %+v", attention)
	}
	if !strings.Contains(ins.Fusion.Summary, "2 Reshape×4+Transpose×4+MatMul×2+Div+Add+Softmax → Attention+mask") ||
		!strings.HasSuffix(ins.Fusion.Summary, "; 69 folded at load or dropped (Gather ×18, Shape ×17, Unsqueeze ×17, Concat ×8, Identity ×8, Slice ×1)") {
		t.Errorf("bert fusion: %s", ins.Fusion.Summary)
	}
}

// A file with nodes that cannot be computed: what can be shown, the list,
// and exit 2, in both formats.
func TestInspectUnsupported(t *testing.T) {
	code, out, errs := runInspectArgs(unsupported)
	if code != ExitUsage || !strings.Contains(out, "\nUNSUPPORTED: 2 kind(s) of node cannot be computed\n"+
		`  Hardmax (opset 17) ×2, first "hardmax_1": op not supported`+"\n"+
		`  TopK (opset 17) ×1, first "topk": op not supported`+"\n") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if errs != "infertop inspect: "+unsupported+" has 2 kind(s) of node that cannot be computed (listed above)\n" {
		t.Errorf("stderr %q", errs)
	}
	code, ins, _ := inspectJSON(t, unsupported)
	if code != ExitUsage || ins.Complete || len(ins.Unsupported) != 2 || ins.Unsupported[0] != (report.Unsupported{Op: "Hardmax", Opset: 17, Node: "hardmax_1", Count: 2, Reason: "op not supported"}) ||
		ins.Steps != nil || ins.Memory != nil || ins.Note == "" {
		t.Errorf("json: exit %d, %+v", code, ins)
	}
}

// A fixed-batch export inspects at its batch, and refuses another.
func TestInspectFixedBatch(t *testing.T) {
	code, ins, _ := inspectJSON(t, fixedFile)
	if code != ExitOK || ins.Batch != 2 || ins.FixedBatch != 2 || ins.DefaultBatch != 2 || !slices.Equal(ins.Inputs[0].Declared, []string{"2", "4"}) {
		t.Errorf("exit %d, %+v", code, ins)
	}
	code, out, _ := runInspectArgs(fixedFile)
	if code != ExitOK || !strings.Contains(out, "BATCH        2 (exported with a fixed batch of 2)\n") {
		t.Errorf("table:\n%s", out)
	}
	code, _, errs := runInspectArgs(fixedFile, "--batch", "3")
	if code != ExitUsage || errs != "infertop inspect: "+fixedWhy+"\n" {
		t.Errorf("--batch 3: exit %d, %q", code, errs)
	}
}

// Every bad command line is one line and exit 2.
func TestInspectRefusesBadInput(t *testing.T) {
	empty, garbage, _ := brokenFiles(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{resnetFile, "--format", "xml"}, `unknown format "xml" (valid: table, json)`},
		{[]string{"nope.onnx"}, "nope.onnx: cannot read it: no such file or directory (accepted: the path of an .onnx file)"},
		{[]string{"resnett"}, "resnett is neither a file nor a preset (presets: lenet5, linear, mlp, resnet, transformer; a file is given by its path, e.g. model.onnx)"},
		{[]string{empty}, empty + ": not an ONNX model (the file is empty)"},
		{[]string{garbage}, garbage + ": not an ONNX model"},
		{[]string{bertFile}, bertFile + `: graph input "input_ids" has the free dimension "seq" (shape [batch seq]): bind it with --dim seq=N`},
		{[]string{"resnet", "--dim", "seq=16"}, "--dim binds named dimensions of ONNX files, and resnet is a preset (its shapes are fixed)"},
		{[]string{resnetFile, "--dim", "seq"}, `--dim "seq" has no '=' (accepted: NAME=N with N from 1 to 16777216, e.g. --dim seq=128)`},
		{[]string{resnetFile, "--batch", "-1"}, "--batch -1 is out of range (accepted: 1 to 16777216, or 0 for the model's default)"},
		{nil, `give a model: the path of an .onnx file or a preset's name ("infertop presets" lists them)`},
		{[]string{resnetFile, "resnet"}, `unexpected argument "resnet" (give one model)`},
		{[]string{"mlp", "--plan", "tpu"}, `--plan "tpu": accepted: cuda`},
		{[]string{"mlp", "--plan", "cuda", "--precision", "fp8"}, `--precision "fp8" is not a precision (accepted: fp32|tf32|fp16|bf16)`},
		{[]string{"mlp", "--precision", "fp16"}, `--precision fp16 applies to --plan cuda (the CPU engine computes in float32 only)`},
	} {
		code, out, errs := runInspectArgs(c.args...)
		if code != ExitUsage || out != "" || !strings.HasPrefix(errs, "infertop inspect: "+c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %s", c.args, code, out, errs, c.want)
		}
	}
}

// Flags may come after the model; --help teaches with examples.
func TestInspectFlagsAfterTheModelAndHelp(t *testing.T) {
	code, ins, _ := inspectJSON(t, "resnet", "--batch", "4")
	if code != ExitOK || ins.Batch != 4 || ins.FLOPs.PerBatch != 4*ins.FLOPs.PerSample {
		t.Errorf("exit %d, batch %d", code, ins.Batch)
	}
	code, _, errs := runInspectArgs("--help")
	if code != ExitOK || !strings.Contains(errs, "Examples:\n  infertop inspect resnet50.onnx") || !strings.Contains(errs, "-dim NAME=N") {
		t.Errorf("help: exit %d\n%s", code, errs)
	}
}
