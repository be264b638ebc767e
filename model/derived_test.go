package model

import "testing"

// TestBindSharesDerivedWeights checks that compiling one model for two batch
// sizes derives each transformed weight once: the Linear made from a MatMul
// of a [K, N] weight reads the same transposed tensor at both batches, while a
// graph compiled on its own derives its own.
func TestBindSharesDerivedWeights(t *testing.T) {
	b := NewBuilder("m")
	x := b.Input("x", Float32, Shape{Sym("batch"), Fixed(5)})
	w := NewTensor(Float32, 5, 3)
	for i := range w.F32 {
		w.F32[i] = float32(i)
	}
	y := b.Op("MatMul", "mm", nil, x, b.Const("w", w))
	b.Output(y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Name: "m", Graph: g}
	weight := func(cg *Graph) *Tensor {
		t.Helper()
		if len(cg.Nodes) != 1 || cg.Nodes[0].Op != OpLinear {
			t.Fatalf("compiled to %v, want one Linear", cg.Nodes)
		}
		return cg.Const(cg.Nodes[0].Input(1))
	}
	g1, err := m.Bind(1)
	if err != nil {
		t.Fatal(err)
	}
	g4, err := m.Bind(4)
	if err != nil {
		t.Fatal(err)
	}
	w1, w4 := weight(g1), weight(g4)
	if w1 != w4 {
		t.Error("batch 1 and batch 4 hold two copies of the transposed weight")
	}
	if w1.Shape[0] != 3 || w1.Shape[1] != 5 || w1.F32[1] != 3 { // row 0 of Wᵀ is column 0 of W: 0, 3, 6, ...
		t.Errorf("transposed weight %v %v", w1.Shape, w1.F32[:5])
	}
	alone, err := Compile(g, Binding{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if weight(alone) == w1 {
		t.Error("a graph compiled outside the model shares the model's derived weight")
	}
	if g.derived != nil {
		t.Error("binding gave the model's own graph a cache: the graph must not change")
	}
}
