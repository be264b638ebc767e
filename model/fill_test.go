package model

import "testing"

func TestFillInputsByMeaning(t *testing.T) {
	b := NewBuilder("enc")
	ids := b.Input("ids", Int64, ShapeOf(2, 3))
	mask := b.Input("mask", Int64, ShapeOf(2, 3))
	x := b.Input("x", Float32, ShapeOf(2, 3))
	pos := b.Input("pos", Int32, ShapeOf(3))
	flag := b.Input("flag", Bool, ShapeOf(2))
	emb := b.Const("emb", NewTensor(Float32, 7, 4))
	pemb := b.Const("pemb", NewTensor(Float32, 5, 4))
	e := b.Op("Gather", "embed", nil, emb, ids)
	p64 := b.Op("Cast", "pos64", Attrs{"to": IntAttr(int64(Int64))}, pos)
	pe := b.Op("Gather", "pembed", nil, pemb, p64)
	b.Output(e, pe, mask, x, flag)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ts := []*Tensor{NewTensor(Int64, 2, 3), NewTensor(Int64, 2, 3), NewTensor(Float32, 2, 3), NewTensor(Int32, 3), NewTensor(Bool, 2)}
	FillInputs(g, ts, 1)
	seen := map[int64]bool{}
	for _, v := range ts[0].I64 {
		if v < 0 || v >= 7 {
			t.Errorf("token id %d outside the 7-row table", v)
		}
		seen[v] = true
	}
	if len(seen) < 2 {
		t.Errorf("token ids %v are all alike", ts[0].I64)
	}
	for _, v := range ts[1].I64 {
		if v != 1 {
			t.Errorf("mask %v is not all ones", ts[1].I64)
			break
		}
	}
	for _, v := range ts[2].F32 {
		if v < -1 || v >= 1 {
			t.Errorf("float input %v outside [-1, 1)", ts[2].F32)
			break
		}
	}
	for _, v := range ts[3].I64 {
		if v < 0 || v >= 5 {
			t.Errorf("position id %d (through Cast) outside the 5-row table", v)
		}
	}
	if !ts[4].Bool[0] || !ts[4].Bool[1] {
		t.Errorf("bool input %v is not all true", ts[4].Bool)
	}
	again := []*Tensor{NewTensor(Int64, 2, 3), nil, NewTensor(Float32, 2, 3)}
	FillInputs(g, again, 1)
	for i := range again[2].F32 {
		if again[2].F32[i] != ts[2].F32[i] || again[0].I64[i] != ts[0].I64[i] {
			t.Fatal("the same seed gave different data")
		}
	}
}
