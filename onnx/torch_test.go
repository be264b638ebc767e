package onnx

import (
	"math"
	"slices"
	"testing"
)

// TestPyTorchExportWithExternalData loads testdata/torch (written by
// testdata/gen.py: PyTorch's export, onnx's external data writer) and
// computes its output by hand against PyTorch's.
func TestPyTorchExportWithExternalData(t *testing.T) {
	m, err := Load("testdata/torch/model.onnx", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if m.Source != "ONNX opset 14, pytorch 1.13.0" || m.DefaultBatch != 1 {
		t.Errorf("Source %q, DefaultBatch %d", m.Source, m.DefaultBatch)
	}
	if !slices.Equal(g.Inputs, []string{"x"}) || g.Value("x").Shape.String() != "[batch 4]" || len(g.Nodes) != 2 ||
		g.Nodes[0].Op != "Gemm" || g.Nodes[0].Name != "/0/Gemm" || g.Nodes[0].Attrs.Int("transB", 0) != 1 {
		t.Fatalf("inputs %v (x %v), nodes %v", g.Inputs, g.Value("x").Shape, g.Nodes)
	}
	w, b := g.Const(g.Nodes[0].Inputs[1]), g.Const(g.Nodes[0].Inputs[2])
	if w == nil || b == nil || !slices.Equal(w.Shape, []int{3, 4}) || !slices.Equal(b.Shape, []int{3}) {
		t.Fatalf("weight %v bias %v", w, b)
	}
	x := []float32{1, 2, 3, 4}
	want := []float64{0.3245640993118286, 0, 1.7815133333206177} // PyTorch's, printed by gen.py
	for j := range 3 {
		y := float64(b.F32[j])
		for k := range 4 {
			y += float64(x[k] * w.F32[j*4+k])
		}
		if y = max(y, 0); math.Abs(y-want[j]) > 1e-6 {
			t.Errorf("y[%d] = %v, PyTorch says %v", j, y, want[j])
		}
	}
}
