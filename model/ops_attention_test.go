package model

import (
	"math/rand/v2"
	"testing"
)

func TestAttentionByHand(t *testing.T) {
	// One head of width 2; tokens (q, k, v) = ([1 0], [1 0], [1 2]) and ([0 1], [0 1], [3 4]).
	qkv := refF([]int{1, 2, 6}, 1, 0, 1, 0, 1, 2, 0, 1, 0, 1, 3, 4)
	heads := Attrs{"num_heads": IntAttr(1)}
	// Scores ±1/√2 give the weights 0.6697615 and 0.3302385.
	got := refRun1(t, 0, OpAttention, heads, qkv)
	refWantF(t, got, []int{1, 2, 2}, 1.660477, 2.660477, 2.339523, 3.339523)
	// The mask hides the second token from the first.
	got = refRun1(t, 0, OpAttention, heads, qkv, refF([]int{2, 2}, 0, -1e9, 0, 0))
	refWantF(t, got, []int{1, 2, 2}, 1, 2, 2.339523, 3.339523)
	// scale 0 makes every weight equal.
	got = refRun1(t, 0, OpAttention, Attrs{"num_heads": IntAttr(1), "scale": FloatAttr(0)}, qkv)
	refWantF(t, got, []int{1, 2, 2}, 2, 3, 2, 3)

	_, err := refRun(0, OpAttention, Attrs{"num_heads": IntAttr(3)}, 1, qkv)
	refWantErr(t, err, `node "n" (infertop.Attention): the width 2 is not divisible by num_heads 3`)
	_, err = refRun(0, OpAttention, heads, 1, qkv, refF([]int{3}, 0, 0, 0))
	refWantErr(t, err, `node "n" (infertop.Attention): the mask "x1" has shape [3], which does not broadcast to [B H T T] = [1 1 2 2]`)
}

// TestAttentionMatchesUnfusedOps compares the fused op with the ONNX ops it
// stands for: split, heads apart, Q·Kᵀ·scale + mask, softmax, ·V, heads together.
func TestAttentionMatchesUnfusedOps(t *testing.T) {
	const B, T, D, H = 2, 3, 8, 2
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(shape ...int) *Tensor {
		v := make([]float32, NumElems(shape))
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return refF(shape, v...)
	}
	qkv, mask := random(B, T, 3*D), random(T, T)
	scale := float32(0.3)

	b := NewBuilder("attention")
	x := b.Input("qkv", Float32, ShapeOf(B, T, 3*D))
	m := b.Const("mask", mask)
	heads := b.Const("heads", refI([]int{4}, B, T, H, D/H))
	whole := b.Const("whole", refI([]int{3}, B, T, D))
	parts := b.OpN("Split", "split", Attrs{"axis": IntAttr(2)}, 3, x)
	perm := func(p ...int64) Attrs { return Attrs{"perm": IntsAttr(p...)} }
	q := b.Op("Transpose", "qt", perm(0, 2, 1, 3), b.Op("Reshape", "qr", nil, parts[0], heads))
	k := b.Op("Transpose", "kt", perm(0, 2, 3, 1), b.Op("Reshape", "kr", nil, parts[1], heads))
	v := b.Op("Transpose", "vt", perm(0, 2, 1, 3), b.Op("Reshape", "vr", nil, parts[2], heads))
	s := b.Op("Mul", "scaled", nil, b.Op("MatMul", "qk", nil, q, k), b.Const("scale", refF(nil, scale)))
	p := b.Op("Softmax", "p", Attrs{"axis": IntAttr(-1)}, b.Op("Add", "masked", nil, s, m))
	o := b.Op("Transpose", "ot", perm(0, 2, 1, 3), b.Op("MatMul", "pv", nil, p, v))
	b.Output(b.Op("Reshape", "out", nil, o, whole))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Eval(g, map[string]*Tensor{"qkv": qkv})
	if err != nil {
		t.Fatal(err)
	}
	want := res["out"]
	got := refRun1(t, 0, OpAttention, Attrs{"num_heads": IntAttr(H), "scale": FloatAttr(scale)}, qkv, mask)
	refWantF(t, got, []int{B, T, D}, want.F32...)
}
