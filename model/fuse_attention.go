package model

import (
	"math"
	"slices"
)

// FuseAttention rewrites decomposed multi-head self-attention into one
// Linear projecting packed q, k and v, OpAttention, and the output Linear:
//
//	q, k, v = the features of one Linear of x (nn.MultiheadAttention's in_proj, cut by Slice or Split)
//	          or of three Linears of the same x (BERT's query, key and value)
//	s = MatMul(q', k')   q', k', v' being q, k, v split into heads by Reshapes and Transposes
//	p = Softmax(s·scale + mask, last axis)   o = MatMul(p, v')
//	y = o with the heads merged back into [B, T, D], through an output Linear or before it
//	  → qkv = Linear(x, [Wq; Wk; Wv], [bq; bk; bv])   a = Attention(qkv, mask)   y = a or Linear(a)
//
// x is [B, T, K], read directly or through a Transpose to [T, B, K] as
// nn.MultiheadAttention(batch_first=True) does. The heads are followed as
// layouts (see layout), so any chain of Reshapes and Transposes that splits
// each projection's features into H heads of dh (head-major), puts the
// batch and the heads outside the tokens, contracts q and k over dh and
// merges the heads back in order matches, and nothing else does. The scale
// is the product of the constant scalings of q, k and the scores (before
// the mask is added); v must not be scaled. The mask is any float32 value
// added to the scores that broadcasts to [B, H, T, T] (a [B·H, a, T] one is
// reshaped to [B, H, a, T]). Every intermediate is read inside the pattern
// alone and none is a graph output; where anything differs (q, k and v of
// different inputs, a cross attention, a scaled mask) the general ops stay.
var FuseAttention = fusion("fuse-attention",
	"decomposed multi-head self-attention → packed QKV Linear + Attention (+ output Linear)",
	fuseAttention)

// attention is one match of the pattern.
type attention struct {
	ix      *index
	q, k, v *stream
	// scores are the nodes between the q·kᵀ MatMul and the Softmax; scale
	// their product with the streams' scalings; mask the value added.
	qk, sm, pv *Node
	scores     []*Node
	scale      float64
	mask       string
	// heads and dh split the features D of q, k and v.
	heads, dh int
	// out are the nodes after the p·v MatMul up to the merged result, lo the
	// output Linear among them (nil when the result comes before it) and
	// result the value the pattern ends with.
	out    []*Node
	lo     *Node
	result string
}

func fuseAttention(ix *index, sm *Node) bool {
	a := &attention{ix: ix, sm: sm}
	if !a.softmax() || !a.findScores() {
		return false
	}
	var ok bool
	if a.q, ok = traceStream(ix, a.qk.Input(0)); !ok {
		return false
	}
	if a.k, ok = traceStream(ix, a.qk.Input(1)); !ok {
		return false
	}
	a.pv = ix.sole(sm.Outputs[0], "MatMul")
	if a.pv == nil || a.pv.Input(0) != sm.Outputs[0] {
		return false
	}
	if a.v, ok = traceStream(ix, a.pv.Input(1)); !ok || a.v.scale != 1 {
		return false
	}
	if !a.heads3() || !a.output() || !a.maskFits() {
		return false
	}
	return a.rewrite()
}

// softmax checks the anchor: a float32 Softmax over the last axis.
func (a *attention) softmax() bool {
	sm := a.sm
	if sm.Op != "Softmax" || len(sm.Outputs) != 1 || !a.ix.isFloat(sm.Input(0)) {
		return false
	}
	r := len(a.ix.shape(sm.Input(0)))
	def := int64(-1)
	if EffectiveOpset(a.ix.g.Opset) < 13 {
		def = 1 // and the op flattens from the axis on, which is the same for the last axis
	}
	axis := sm.Attrs.Int("axis", def)
	return r >= 3 && (axis == -1 || axis == int64(r-1))
}

// findScores walks back from the Softmax to the q·kᵀ MatMul through
// scalings and at most one Add of a mask, which no scaling may follow.
func (a *attention) findScores() bool {
	ix := a.ix
	a.scale = 1
	cur := a.sm.Input(0)
	scaledAbove := false
	for len(a.scores) <= maxStreamNodes {
		p := ix.prod[cur]
		if p == nil || !ix.private(cur) {
			return false
		}
		switch p.Op {
		case "MatMul":
			a.qk = p
			return len(p.Inputs) == 2
		case "Div", "Mul":
			x, c, ok := scaling(ix, p)
			if !ok {
				return false
			}
			cur, a.scale = x, a.scale*c
			scaledAbove = scaledAbove || a.mask == ""
		case "Add":
			if a.mask != "" || scaledAbove {
				return false
			}
			i := slices.IndexFunc(p.Inputs, func(s string) bool { return leadsToMatMul(ix, s) })
			if i < 0 || len(p.Inputs) != 2 || !ix.shape(p.Inputs[i]).Equal(ix.shape(p.Outputs[0])) {
				return false
			}
			cur, a.mask = p.Inputs[i], p.Inputs[1-i]
		default:
			return false
		}
		a.scores = append(a.scores, p)
	}
	return false
}

// leadsToMatMul reports a value computed by a MatMul, perhaps scaled.
func leadsToMatMul(ix *index, name string) bool {
	for i := 0; i <= maxStreamNodes; i++ {
		p := ix.prod[name]
		if p == nil {
			return false
		}
		if p.Op == "MatMul" {
			return true
		}
		x, _, ok := scaling(ix, p)
		if !ok {
			return false
		}
		name = x
	}
	return false
}

// heads3 checks that q, k and v are the heads of self-attention over the
// same x: q [..., T, dh], k [..., dh, T] and v [..., T, dh] with the batch
// and the heads in the same outer dimensions, and sets the head split.
func (a *attention) heads3() bool {
	q, k, v := a.q, a.k, a.v
	if q.x0 != k.x0 || q.x0 != v.x0 || q.t0 != k.t0 || q.t0 != v.t0 ||
		q.width != k.width || q.width != v.width {
		return false
	}
	r := len(q.l)
	if r < 3 || len(k.l) != r || len(v.l) != r {
		return false
	}
	outer := q.l[:r-2]
	toks, feats, tokFirst := kinds(outer.flat())
	tokB, tokT := atoms(atom{tok0, q.b, 1}), atoms(atom{tok1, q.t, 1})
	con := q.l[r-1]
	if !tokFirst || !slices.Equal(toks, tokB) || !slices.Equal(q.l[r-2], tokT) ||
		!wholeFeature(append(slices.Clone(feats), con...), q.width) {
		return false
	}
	if !outer.equal(k.l[:r-2]) || !slices.Equal(k.l[r-2], con) || !slices.Equal(k.l[r-1], tokT) {
		return false
	}
	if !outer.equal(v.l[:r-2]) || !slices.Equal(v.l[r-2], tokT) || !slices.Equal(v.l[r-1], con) {
		return false
	}
	a.dh = 1
	for _, c := range con {
		a.dh *= c.size
	}
	a.heads = q.width / a.dh
	return true
}

// output follows the p·v product forward through Reshapes, Transposes and
// at most one Linear of the merged heads until it is [B, T, features], and
// on through Transposes and Reshapes that keep it so (of dimensions of size 1).
func (a *attention) output() bool {
	ix := a.ix
	r := len(a.q.l)
	l := append(slices.Clone(a.q.l[:r-2]), a.q.l[r-2], a.q.l[r-1])
	cur, width := a.pv.Outputs[0], a.q.width
	tokB, tokT := atoms(atom{tok0, a.q.b, 1}), atoms(atom{tok1, a.q.t, 1})
	canonical := func(l layout, width int) bool {
		return len(l) == 3 && slices.Equal(l[0], tokB) && slices.Equal(l[1], tokT) && wholeFeature(l[2], width)
	}
	for len(a.out) <= maxStreamNodes {
		var c *Node
		if ix.private(cur) {
			c = ix.cons[cur][0]
		}
		next, nextWidth, ok := a.step(l, cur, c, width)
		if canonical(l, width) && (!ok || c.Op == OpLinear || !canonical(next, nextWidth)) {
			a.result = cur
			return true
		}
		if !ok {
			return false
		}
		if c.Op == OpLinear {
			a.lo = c
		}
		a.out = append(a.out, c)
		l, width, cur = next, nextWidth, c.Outputs[0]
	}
	return false
}

// step returns the layout of what c makes of cur (of layout l, its
// features width wide), and the width of its features: through a Transpose,
// a Reshape, or the output Linear; false for anything else.
func (a *attention) step(l layout, cur string, c *Node, width int) (layout, int, bool) {
	if c == nil || c.Input(0) != cur {
		return nil, 0, false
	}
	var ok bool
	switch c.Op {
	case "Transpose":
		perm, _ := c.Attrs.Ints("perm")
		l, ok = l.transpose(perm)
	case "Reshape":
		if shape := a.ix.shape(c.Outputs[0]); shape.Known() {
			l, ok = l.reshape(shape.Ints())
		}
	case OpLinear:
		w := a.ix.g.Const(c.Input(1))
		if ok = a.lo == nil && w != nil && len(w.Shape) == 2 && ActivationOf(c).Op == "" && c.Input(3) == "" &&
			wholeFeature(l[len(l)-1], width); ok {
			width = w.Shape[0]
			l = append(l[:len(l)-1:len(l)-1], atoms(atom{feat, width, 1}))
		}
	}
	return l, width, ok
}

// maskFits checks that the mask broadcasts to [B, H, T, T]: as it is when
// the scores are [B, H, T, T] or when it has rank 2 at most, or once
// reshaped when the scores are [B·H, T, T] and the mask [B·H, a, T].
func (a *attention) maskFits() bool {
	if a.mask == "" {
		return true
	}
	if !a.ix.isFloat(a.mask) {
		return false
	}
	ms := a.ix.shape(a.mask)
	r := len(a.q.l)
	switch {
	case r == 4:
		_, feats0, _ := kinds(a.q.l[0])
		toks1, _, _ := kinds(a.q.l[1])
		return len(feats0) == 0 && len(toks1) == 0 && len(ms) <= 4
	case r == 3:
		return len(ms) <= 2 || (len(ms) == 3 && ms.Known() && (ms[0].Size == 1 || ms[0].Size == a.q.b*a.heads))
	}
	return false
}

// defaultScale is the scale Attention applies when none is given.
func (a *attention) defaultScale() float64 { return 1 / math.Sqrt(float64(a.dh)) }
