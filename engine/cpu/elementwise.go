package cpu

import (
	"math"

	"infertop/model"
)

// mapChunk is how many values one chunk of an element-wise pass computes.
const mapChunk = 4096

// mapKernel is an element-wise activation y = act(x) (a standalone Relu,
// Gelu, Clip ... that no fusion took into the op before it), in either layout.
type mapKernel struct {
	c      *compute
	act    act
	n      int
	split  rowSplit
	xt, yt *model.Tensor
	x, y   []float32
}

// unaryAct is the activation a unary node computes, or ok false when the
// engine has no kernel for it (Clip whose bounds are not constants).
func (p *planner) unaryAct(n *model.Node) (a act, ok bool) {
	switch n.Op {
	case "Relu":
		return act{kind: actReLU}, true
	case "Sigmoid":
		return act{kind: actSigmoid}, true
	case "Tanh":
		return act{kind: actTanh}, true
	case "HardSwish":
		return act{kind: actHardSwish}, true
	case "LeakyRelu":
		return act{kind: actLeakyReLU, p0: n.Attrs.Float("alpha", 0.01)}, true
	case "HardSigmoid":
		return act{kind: actHardSigmoid, p0: n.Attrs.Float("alpha", 0.2), p1: n.Attrs.Float("beta", 0.5)}, true
	case "Gelu":
		switch n.Attrs.String("approximate", "none") {
		case "none":
			return act{kind: actGELU}, true
		case "tanh":
			return act{kind: actGELUTanh}, true
		}
	case "Clip":
		a = act{kind: actClip, p0: -math.MaxFloat32, p1: math.MaxFloat32}
		if model.EffectiveOpset(p.opset) < 11 {
			a.p0, a.p1 = n.Attrs.Float("min", a.p0), n.Attrs.Float("max", a.p1)
			return a, true
		}
		for i, bound := range []*float32{&a.p0, &a.p1} {
			name := n.Input(i + 1)
			if name == "" {
				continue
			}
			c := p.g.Const(name)
			if c == nil || c.DType != model.Float32 || len(c.F32) != 1 {
				return a, false
			}
			*bound = c.F32[0]
		}
		return a, true
	}
	return act{}, false
}

// unary plans a float32 activation node, in its input's layout.
func (p *planner) unary(n *model.Node) (bool, error) {
	x := n.Input(0)
	a, ok := p.unaryAct(n)
	if !ok || p.dtype(x) != model.Float32 {
		return false, nil
	}
	cl := p.isCL(x)
	in := p.get(x, cl)
	y := p.out(n.Outputs[0], cl)
	total := in.t.Len()
	k := &mapKernel{c: p.c, act: a, n: total, xt: in.t, yt: y.t,
		split: splitRows(p.c.pool.threads, (total+mapChunk-1)/mapChunk, mapChunk)}
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{in}, outs: []*val{y}, inplace: []int{0}})
	return true, nil
}

func (k *mapKernel) bind() { k.x, k.y = k.xt.F32, k.yt.F32 }

func (k *mapKernel) compute() error { return k.split.do(k.c, k) }

func (k *mapKernel) run(chunk, chunks, _ int) {
	c0, c1 := k.split.span(chunk, chunks)
	lo, hi := c0*mapChunk, min(c1*mapChunk, k.n)
	if lo < hi {
		actRows(k.c.isa, k.y[lo:hi], 0, k.x[lo:hi], 0, nil, 0, 1, hi-lo, k.act)
	}
}

// Binary operations (the C kernels' op codes).
const (
	opAdd = iota
	opSub
	opMul
	opDiv
)

// bcastPlan is a broadcast of two operands to an output, its dimensions
// collapsed to four (d), with each operand's stride along each (sa, sb):
// 0 where it is broadcast. The last stride is 0 or 1.
type bcastPlan struct {
	op        int
	d, sa, sb [4]int
}

// newBcastPlan collapses the broadcast of operands of shapes as and bs
// (padded to ys's rank) to ys. ok is false when more than four dimensions
// remain.
func newBcastPlan(op int, ys, as, bs []int) (p bcastPlan, ok bool) {
	r := len(ys)
	stride := func(s []int) []int {
		st := make([]int, r)
		acc := 1
		for d := r - 1; d >= 0; d-- {
			if s[d] != 1 || ys[d] == 1 {
				st[d] = acc
			}
			acc *= s[d]
		}
		return st
	}
	sa, sb := stride(as), stride(bs)
	var dims, da, db []int
	for d := 0; d < r; d++ {
		if ys[d] == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 && da[k] == sa[d]*ys[d] && db[k] == sb[d]*ys[d] {
			dims[k] *= ys[d]
			da[k], db[k] = sa[d], sb[d]
			continue
		}
		dims, da, db = append(dims, ys[d]), append(da, sa[d]), append(db, sb[d])
	}
	if len(dims) > 4 {
		return p, false
	}
	p.op = op
	p.d = [4]int{1, 1, 1, 1}
	off := 4 - len(dims)
	for i := range dims {
		p.d[off+i], p.sa[off+i], p.sb[off+i] = dims[i], da[i], db[i]
	}
	return p, true
}

// padShape is s with leading 1s up to rank r.
func padShape(s []int, r int) []int {
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	copy(out[r-len(s):], s)
	return out
}

// binaryKernel is an element-wise Add, Sub, Mul or Div with broadcasting.
type binaryKernel struct {
	c          *compute
	p          bcastPlan
	flat       bool // one row: its values are split instead
	n          int  // values per row
	split      rowSplit
	at, bt, yt *model.Tensor
	a, b, y    []float32
}

var binaryOps = map[string]int{"Add": opAdd, "Sub": opSub, "Mul": opMul, "Div": opDiv}

// binary plans a float32 Add, Sub, Mul or Div. It runs channels-last when an
// operand was computed so and the other can be read so (a scalar, a
// per-channel constant, a constant reordered once, or a value of the
// output's rank), else in the graph's layout.
func (p *planner) binary(n *model.Node) (bool, error) {
	a, b, out := n.Input(0), n.Input(1), n.Outputs[0]
	if p.dtype(a) != model.Float32 || p.dtype(b) != model.Float32 {
		return false, nil
	}
	ys := p.shape(out)
	r := len(ys)
	cl := p.clable(out) && (p.isCL(a) || p.isCL(b)) && p.clOperand(a, r) && p.clOperand(b, r)
	shapeOf := func(name string) []int {
		s := padShape(p.shape(name), r)
		if cl {
			return clShape(s)
		}
		return s
	}
	phys := ys
	if cl {
		phys = clShape(ys)
	}
	plan, ok := newBcastPlan(binaryOps[n.Op], phys, shapeOf(a), shapeOf(b))
	if !ok {
		return false, nil
	}
	var av, bv *val
	if cl {
		av, bv = p.operandCL(a, r), p.operandCL(b, r)
	} else {
		av, bv = p.get(a, false), p.get(b, false)
	}
	y := p.out(out, cl)
	k := &binaryKernel{c: p.c, p: plan, n: plan.d[3], at: av.t, bt: bv.t, yt: y.t}
	rows := plan.d[0] * plan.d[1] * plan.d[2]
	if rows == 1 {
		k.flat = true
		k.split = splitRows(p.c.pool.threads, (k.n+mapChunk-1)/mapChunk, mapChunk)
	} else {
		k.split = splitRows(p.c.pool.threads, rows, k.n)
	}
	var inplace []int
	for i, v := range []*val{av, bv} {
		if v.t.Len() == y.t.Len() {
			inplace = append(inplace, i)
		}
	}
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{av, bv}, outs: []*val{y}, inplace: inplace})
	return true, nil
}

// clOperand reports whether an operand of a binary op of rank r can be read
// channels-last: a constant (reordered once when its order changes), a value
// of rank r, or one whose order channels-last is its own.
func (p *planner) clOperand(name string, r int) bool {
	s := p.shape(name)
	return p.isConst(name) || (len(s) == r && p.clable(name)) || keepsOrder(padShape(s, r))
}

// operandCL returns an operand of a binary op of rank r channels-last, its
// shape padded to rank r (see clOperand).
func (p *planner) operandCL(name string, r int) *val {
	s := padShape(p.shape(name), r)
	if c := p.g.Const(name); c != nil {
		t := reorderConst(&model.Tensor{DType: c.DType, Shape: s, F32: c.F32}, true)
		return &val{name: name, t: t, cl: true, konst: true}
	}
	if len(p.shape(name)) == r {
		return p.get(name, true)
	}
	base := p.get(name, false)
	return &val{name: name, t: &model.Tensor{DType: model.Float32, Shape: clShape(s)}, cl: true, alias: base}
}

func (k *binaryKernel) bind() { k.a, k.b, k.y = k.at.F32, k.bt.F32, k.yt.F32 }

func (k *binaryKernel) compute() error { return k.split.do(k.c, k) }

func (k *binaryKernel) run(chunk, chunks, _ int) {
	r0, r1 := k.split.span(chunk, chunks)
	if !k.flat {
		binaryRows(&k.p, k.y, k.a, k.b, k.n, r0, r1)
		return
	}
	lo, hi := r0*mapChunk, min(r1*mapChunk, k.n)
	if lo < hi {
		binaryRows(&k.p, k.y[lo:], k.a[lo*k.p.sa[3]:], k.b[lo*k.p.sb[3]:], hi-lo, 0, 1)
	}
}
