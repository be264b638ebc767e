package model

import "testing"

// TestCostOfAChain sizes a chain x → MatMul → Relu → Sigmoid → Tanh by hand:
// it compiles to a Linear (with the Relu as its epilogue), a Sigmoid and a
// Tanh, three [batch, 4] float32 outputs of which at most two are alive at
// once; the cost's fit through batch 1 and 2 gives every other batch exactly.
func TestCostOfAChain(t *testing.T) {
	b := NewBuilder("chain")
	x := b.Input("x", Float32, Shape{Sym("batch"), Fixed(4)})
	w := NewTensor(Float32, 4, 4)
	h := b.Op("MatMul", "mm", nil, x, b.Const("w", w))
	r1 := b.Op("Relu", "r1", nil, h)
	r2 := b.Op("Sigmoid", "r2", nil, r1)
	r3 := b.Op("Tanh", "r3", nil, r2)
	b.Output(r3)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Name: "chain", Graph: g}
	c, err := m.Cost()
	if err != nil {
		t.Fatal(err)
	}
	if c.FLOPsPerSample != 2*4*4 {
		t.Errorf("FLOPs per sample %d, want 32", c.FLOPsPerSample)
	}
	for _, batch := range []int{1, 3, 100} {
		bound, err := m.Bind(batch)
		if err != nil {
			t.Fatal(err)
		}
		f, err := bound.Footprint()
		if err != nil {
			t.Fatal(err)
		}
		if f.Peak != 2*16*int64(batch) {
			t.Errorf("batch %d: peak %d, want %d", batch, f.Peak, 2*16*batch)
		}
		if f.Values != 3*16*int64(batch) {
			t.Errorf("batch %d: values %d, want %d", batch, f.Values, 3*16*batch)
		}
		if got, want := c.Bytes(batch), f.Live(); got != want {
			t.Errorf("batch %d: Cost.Bytes %d, the compiled graph's %d", batch, got, want)
		}
	}
}
