package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"infertop/model"
)

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"output": "output", "/fc/Gemm_output_0": "_fc_Gemm_output_0", "onnx::Conv_63": "onnx__Conv_63",
		"": "_", ".": "_", "..": "_.", ".hidden": "_hidden", "a b.c-d": "a_b.c-d", "é": "_",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStepLabelAndFusionSummary(t *testing.T) {
	for _, c := range []struct {
		s    Step
		want string
	}{
		{Step{Op: "MaxPool"}, "MaxPool"},
		{Step{Op: "infertop.FusedConv", Residual: true, Activation: "Clip(0, 6)"}, "FusedConv+residual+Clip(0, 6)"},
		{Step{Op: "infertop.Attention", Mask: true}, "Attention+mask"},
	} {
		if got := c.s.Label(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
	f := Fusion{Nodes: 9, Steps: 3, Groups: []FusionGroup{{2, "Conv+Relu", "FusedConv+Relu"}, {1, "MaxPool", "MaxPool"}},
		Folded: []OpCount{{"Shape", 2}, {"Identity", 1}}}
	const want = "9 nodes → 3 steps: 2 Conv+Relu → FusedConv+Relu; 1 unchanged; 3 folded at load or dropped (Shape ×2, Identity ×1)"
	if got := FusionSummary(f); got != want {
		t.Errorf("summary %q\nwant    %q", got, want)
	}
}

// The unsupported list alone (what a file the loader refuses gives) prints
// its header, the list and the note, and JSON's list is never null.
func TestWriteInspectionOfARefusedFile(t *testing.T) {
	ins := Inspection{Model: "x.onnx", Kind: "onnx", Note: "only these",
		Unsupported: []Unsupported{{Op: "TopK", Opset: 17, Node: "topk", Count: 1, Reason: "op not supported"}}}
	var b bytes.Buffer
	if err := WriteInspection(&b, "table", ins); err != nil {
		t.Fatal(err)
	}
	const want = "MODEL  x.onnx\nKIND   ONNX file\n\nUNSUPPORTED: 1 kind(s) of node cannot be computed\n" +
		"  TopK (opset 17) ×1, first \"topk\": op not supported\n\nnote: only these\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteInspection(&b, "json", Inspection{Model: "y"}); err != nil || !strings.Contains(b.String(), `"unsupported": []`) {
		t.Errorf("json %v:\n%s", err, b.String())
	}
	if err := WriteInspection(&b, "csv", ins); err == nil || err.Error() != `unknown format "csv" (valid: table, json)` {
		t.Errorf("csv: %v", err)
	}
}

// Statistics skip what is not finite and count it.
func TestTensorStatsAndSummary(t *testing.T) {
	s := NewTensorStats("y", model.Floats([]int{2, 2}, []float32{-1, float32(math.NaN()), 3, 1}), "out/y.npy")
	if s.Min != -1 || s.Max != 3 || s.Mean != 1 || s.NonFinite != 1 || s.DType != "float32" {
		t.Errorf("%+v", s)
	}
	var b bytes.Buffer
	sum := InferSummary{Model: "m.onnx", Device: "cpu", Engine: "cpu+openblas", Batch: 2, Outputs: []TensorStats{s},
		Took: 1500 * time.Microsecond, Tolerance: 1e-3, Diffs: []OutputDiff{{"y", 2e-7, 1e-7}, {"z", math.NaN(), math.NaN()}}}
	if err := WriteInferSummary(&b, sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"m.onnx on cpu (cpu+openblas), batch 2, inputs from the files given\n",
		"output  y     float32  2×2    -1   3    1 (1 not finite)  out/y.npy\n",
		"time: 1.500 ms for the batch (the second run; the first warmed up)\n",
		"  y  max abs diff 2e-07  max rel diff 1e-07  ok\n", "  z  max abs diff NaN  max rel diff NaN  DIFFERS\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if DiffsAgree(sum.Diffs, 1e-3) || !DiffsAgree(sum.Diffs[:1], 1e-3) {
		t.Errorf("DiffsAgree")
	}
}
