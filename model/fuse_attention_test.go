package model

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// The attention graphs are B=2 sequences of T=3 tokens of D=8 features in
// H=2 heads of dh=4, written as PyTorch 1.13 exports them once the shape
// computations are folded.
const attB, attT, attD, attH, attDh = 2, 3, 8, 2, 4

// mhaParts are the choices an nn.MultiheadAttention graph is built with.
type mhaParts struct {
	mask      []int // the shape of a mask input added to the scores; nil: none
	scaleQ    float32
	vScale    bool // v divided by 2 too
	leakScore bool // the scores also a graph output
	b, t      int  // the batch and the tokens (0: attB, attT)
	outN      int  // the output projection's features (0: attD)
}

// mhaGraph is nn.MultiheadAttention(batch_first=True) self-attention: x
// transposed to [T, B, D], one packed in-projection cut in three by Slices,
// heads as [T, B·H, dh] transposed to [B·H, T, dh], q divided by √dh, the
// out-projection a Gemm over [T·B, D], and the result transposed back.
func mhaGraph(t *testing.T, mp mhaParts) *Graph {
	p := newPT(t, 13)
	attB, attT, outN := orDefault(mp.b, attB), orDefault(mp.t, attT), orDefault(mp.outN, attD)
	x := p.in("x", attB, attT, attD)
	t0 := p.op("Transpose", "t0", Attrs{"perm": IntsAttr(1, 0, 2)}, x)
	qkv := p.op("Add", "in_add", nil, p.w("in_b", 3*attD), p.op("MatMul", "in_mm", nil, t0, p.w("in_w", attD, 3*attD)))
	heads := p.ints("heads_shape", int64(attT), int64(attB*attH), attDh)
	axes := p.ints("axes", -1)
	split := func(name string, i int64, perm ...int64) string {
		s := p.op("Slice", name+"_slice", nil, qkv, p.ints(name+"_start", i*attD), p.ints(name+"_end", (i+1)*attD), axes)
		return p.op("Transpose", name+"_t", Attrs{"perm": IntsAttr(perm...)}, p.op("Reshape", name+"_r", nil, s, heads))
	}
	q := p.op("Div", "q_scale", nil, split("q", 0, 1, 0, 2), p.s("sqrt_dh", mp.scaleQ))
	k := split("k", 1, 1, 2, 0)
	v := split("v", 2, 1, 0, 2)
	if mp.vScale {
		v = p.op("Div", "v_scale", nil, v, p.s("two", 2))
	}
	s := p.op("MatMul", "qk", nil, q, k)
	scores := s
	if mp.mask != nil {
		scores = p.op("Add", "mask_add", nil, s, p.in("mask", mp.mask...))
	}
	o := p.op("MatMul", "pv", nil, p.op("Softmax", "softmax", Attrs{"axis": IntAttr(-1)}, scores), v)
	o = p.op("Reshape", "o_r", nil, p.op("Transpose", "o_t", Attrs{"perm": IntsAttr(1, 0, 2)}, o), p.ints("rows", int64(attT*attB), attD))
	y := p.op("Gemm", "out", Attrs{"transB": IntAttr(1)}, o, p.w("out_w", outN, attD), p.w("out_b", outN))
	y = p.op("Reshape", "y_r", nil, y, p.ints("tbd", int64(attT), int64(attB), int64(outN)))
	y = p.op("Transpose", "y", Attrs{"perm": IntsAttr(1, 0, 2)}, y)
	if mp.leakScore {
		return p.build(y, s)
	}
	return p.build(y)
}

// bertParts are the choices a BERT self-attention graph is built with.
type bertParts struct {
	kvInput   bool // k and v project another input (cross-attention)
	maskFirst bool // the mask added before the scores are divided
	headMinor bool // heads split as [B, T, dh, H], the head the inner index
	b         int  // the batch (0: attB)
	outN      int  // the output projection's features (0: attD)
}

// bertGraph is BERT's self-attention: separate query, key and value Linears
// (MatMul + Add), heads as [B, T, H, dh] transposed to [B, H, T, dh], the
// scores divided by √dh, plus an extended mask [B, 1, 1, T], and the heads
// merged back by a Transpose and a Reshape before the output Linear.
func bertGraph(t *testing.T, bp bertParts) *Graph {
	p := newPT(t, 17)
	attB, outN := orDefault(bp.b, attB), orDefault(bp.outN, attD)
	x := p.in("x", attB, attT, attD)
	kv := x
	if bp.kvInput {
		kv = p.in("x2", attB, attT, attD)
	}
	mask := p.in("mask", attB, 1, 1, attT)
	lin := func(name, in string, n int) string {
		return p.op("Add", name+"_add", nil, p.op("MatMul", name, nil, in, p.w(name+"_w", attD, n)), p.w(name+"_b", n))
	}
	shape, perm := []int64{int64(attB), attT, attH, attDh}, []int64{0, 2, 1, 3}
	if bp.headMinor {
		shape, perm = []int64{int64(attB), attT, attDh, attH}, []int64{0, 3, 1, 2}
	}
	shapeName := p.ints("heads_shape", shape...)
	heads := func(name, in string, perm ...int64) string {
		return p.op("Transpose", name+"_t", Attrs{"perm": IntsAttr(perm...)}, p.op("Reshape", name+"_r", nil, in, shapeName))
	}
	kperm := []int64{perm[0], perm[1], perm[3], perm[2]}
	s := p.op("MatMul", "qk", nil, heads("q", lin("query", x, attD), perm...), heads("k", lin("key", kv, attD), kperm...))
	if bp.maskFirst {
		s = p.op("Div", "scale", nil, p.op("Add", "mask_add", nil, s, mask), p.s("sqrt_dh", 2))
	} else {
		s = p.op("Add", "mask_add", nil, p.op("Div", "scale", nil, s, p.s("sqrt_dh", 2)), mask)
	}
	o := p.op("MatMul", "pv", nil, p.op("Softmax", "softmax", Attrs{"axis": IntAttr(3)}, s), heads("v", lin("value", kv, attD), perm...))
	o = p.op("Transpose", "o_t", Attrs{"perm": IntsAttr(0, 2, 1, 3)}, o)
	if bp.headMinor {
		o = p.op("Transpose", "o_t2", Attrs{"perm": IntsAttr(0, 1, 3, 2)}, o)
	}
	o = p.op("Reshape", "o_r", nil, o, p.ints("btd", int64(attB), attT, attD))
	return p.build(lin("out", o, outN))
}

func TestFuseAttentionMultiheadAttention(t *testing.T) {
	tests := []struct {
		name string
		mp   mhaParts
		want []string
	}{
		{"no mask", mhaParts{scaleQ: 2}, []string{
			"Linear(x, in_mm/weight, in_mm/bias) -> in_mm/qkv",
			"Attention(in_mm/qkv) -> softmax/context",
			"Linear(softmax/context, out_w, out_b) -> y"}},
		{"a [T, T] mask and another scale", mhaParts{scaleQ: 4, mask: []int{attT, attT}}, []string{
			"Linear(x, in_mm/weight, in_mm/bias) -> in_mm/qkv",
			"Attention(in_mm/qkv, mask) -> softmax/context",
			"Linear(softmax/context, out_w, out_b) -> y"}},
		{"one sequence of one token", mhaParts{scaleQ: 2, b: 1, t: 1}, []string{
			"Linear(x, in_mm/weight, in_mm/bias) -> in_mm/qkv",
			"Attention(in_mm/qkv) -> softmax/context",
			"Linear(softmax/context, out_w, out_b) -> y"}},
		{"an output projection to 5 features", mhaParts{scaleQ: 2, outN: 5}, []string{
			"Linear(x, in_mm/weight, in_mm/bias) -> in_mm/qkv",
			"Attention(in_mm/qkv) -> softmax/context",
			"Linear(softmax/context, out_w, out_b) -> y"}},
		{"a key padding mask [B·H, 1, T]", mhaParts{scaleQ: 2, mask: []int{attB * attH, 1, attT}}, []string{
			"Linear(x, in_mm/weight, in_mm/bias) -> in_mm/qkv",
			"Reshape(mask, softmax/mask_shape) -> softmax/mask",
			"Attention(in_mm/qkv, softmax/mask) -> softmax/context",
			"Linear(softmax/context, out_w, out_b) -> y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mhaGraph(t, tc.mp)
			c, n := ptRun(t, g, FuseLinear, FuseAttention)
			ptWantNodes(t, c, tc.want...)
			if n != 1 {
				t.Errorf("%d rewrites, want 1", n)
			}
			att := ptNode(t, c, "softmax")
			wantScale := 1 / float64(tc.mp.scaleQ)
			if got := att.Attrs.Int("num_heads", 0); got != attH {
				t.Errorf("num_heads %d, want %d", got, attH)
			}
			if s, ok := att.Attrs["scale"]; (ok && math.Abs(float64(s.Float)-wantScale) > 1e-7) || (!ok && wantScale != 0.5) {
				t.Errorf("scale %v (set: %v), want %g", s.Float, ok, wantScale)
			}
			if !slices.Equal(ptNode(t, c, "in_mm").Covers, []string{"t0", "in_mm", "in_add"}) {
				t.Errorf("the in-projection covers %v", ptNode(t, c, "in_mm").Covers)
			}
			if !slices.Equal(ptNode(t, c, "out").Covers, []string{"out", "y_r", "y"}) {
				t.Errorf("the out-projection covers %v", ptNode(t, c, "out").Covers)
			}
			if cv := att.Covers; len(cv) < 14 || !slices.Contains(cv, "q_slice") || !slices.Contains(cv, "o_r") {
				t.Errorf("the attention covers %v", cv)
			}
			ptSame(t, g, c)
		})
	}
}

func TestFuseAttentionBERT(t *testing.T) {
	for _, bp := range []bertParts{{}, {b: 1}, {outN: 5}} {
		t.Run(fmt.Sprintf("batch %d, %d output features", orDefault(bp.b, attB), orDefault(bp.outN, attD)), func(t *testing.T) {
			testFuseAttentionBERT(t, bp)
		})
	}
}

func testFuseAttentionBERT(t *testing.T, bp bertParts) {
	g := bertGraph(t, bp)
	c, _ := ptRun(t, g, FuseLinear, FuseAttention)
	ptWantNodes(t, c,
		"Linear(x, query/qkv_weight, query/qkv_bias) -> query/qkv",
		"Attention(query/qkv, mask) -> o_r",
		"Linear(o_r, out/weight, out/bias) -> out_add")
	if w := c.Const("query/qkv_weight"); !slices.Equal(w.Shape, []int{3 * attD, attD}) {
		t.Errorf("packed weight %v", w.Shape)
	}
	if wq := ptFloats(t, g, "query_w"); ptFloats(t, c, "query/qkv_weight")[1] != wq[attD] {
		t.Errorf("the packed weight's row 0 is not Wqᵀ's")
	}
	if cv := ptNode(t, c, "query").Covers; !slices.Equal(cv, []string{"query", "query_add", "key", "key_add", "value", "value_add"}) {
		t.Errorf("the in-projection covers %v", cv)
	}
	if att := ptNode(t, c, "softmax"); att.Attrs.Has("scale") || att.Attrs.Int("num_heads", 0) != attH {
		t.Errorf("attributes %v", att.Attrs)
	}
	ptSame(t, g, c)
}

func TestFuseAttentionLeavesOthers(t *testing.T) {
	tests := []struct {
		name string
		g    func(t *testing.T) *Graph
	}{
		{"cross-attention", func(t *testing.T) *Graph { return bertGraph(t, bertParts{kvInput: true}) }},
		{"a mask added before the scale", func(t *testing.T) *Graph { return bertGraph(t, bertParts{maskFirst: true}) }},
		{"heads as the inner index", func(t *testing.T) *Graph { return bertGraph(t, bertParts{headMinor: true}) }},
		{"v scaled", func(t *testing.T) *Graph { return mhaGraph(t, mhaParts{scaleQ: 2, vScale: true}) }},
		{"the scores read outside", func(t *testing.T) *Graph { return mhaGraph(t, mhaParts{scaleQ: 2, leakScore: true}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := ptRun(t, tc.g(t), FuseLinear)
			ptUnchanged(t, g, FuseAttention)
		})
	}
}
