package cpu

import "infertop/model"

// blockKernel is Concat (many inputs into one output) or Split (one input
// into many outputs) of float32 tensors along an axis, in either layout: for
// each of the outer positions before the axis, each part's block is copied in
// turn. The outer positions are split among the parts.
type blockKernel struct {
	c      *compute
	split  bool // Split: one input, many outputs
	outer  int
	blocks []int // each part's block: its size along the axis × the inner size
	total  int   // the sum of the blocks
	parts  []*model.Tensor
	whole  *model.Tensor
	rows   rowSplit
}

// physAxis is the axis of a rank-r tensor's layout that holds the graph's axis.
func physAxis(axis, r int, cl bool) int {
	switch {
	case !cl || axis == 0:
		return axis
	case axis == 1:
		return r - 1
	}
	return axis - 1
}

// blocksOf returns the number of outer positions before axis ax of shape s
// and the elements of one position after it.
func blocksOf(s []int, ax int) (outer, inner int) {
	return model.NumElems(s[:ax]), model.NumElems(s[ax+1:])
}

// concat plans a float32 Concat, channels-last when an input was computed so.
func (p *planner) concat(n *model.Node) (bool, error) {
	out := n.Outputs[0]
	ys := p.shape(out)
	r := len(ys)
	cl := false
	for _, in := range n.Inputs {
		if in == "" || p.dtype(in) != model.Float32 {
			return false, nil
		}
		cl = cl || p.isCL(in)
	}
	cl = cl && p.clable(out)
	axis := int(n.Attrs.Int("axis", 0))
	if axis < 0 {
		axis += r
	}
	k := &blockKernel{c: p.c}
	var ins []*val
	for _, in := range n.Inputs {
		v := p.get(in, cl)
		ins = append(ins, v)
		k.parts = append(k.parts, v.t)
	}
	y := p.out(out, cl)
	k.whole = y.t
	k.plan(y.t.Shape, physAxis(axis, r, cl))
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: ins, outs: []*val{y}})
	return true, nil
}

// split plans a float32 Split whose outputs are all named, channels-last
// when its input was computed so.
func (p *planner) split(n *model.Node) (bool, error) {
	x := n.Input(0)
	xs := p.shape(x)
	if p.dtype(x) != model.Float32 || len(xs) == 0 {
		return false, nil
	}
	for _, o := range n.Outputs {
		if o == "" {
			return false, nil
		}
	}
	cl := p.isCL(x) && p.clable(x)
	axis := int(n.Attrs.Int("axis", 0))
	if axis < 0 {
		axis += len(xs)
	}
	in := p.get(x, cl)
	k := &blockKernel{c: p.c, split: true, whole: in.t}
	var outs []*val
	for _, o := range n.Outputs {
		v := p.out(o, cl)
		outs = append(outs, v)
		k.parts = append(k.parts, v.t)
	}
	k.plan(in.t.Shape, physAxis(axis, len(xs), cl))
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{in}, outs: outs})
	return true, nil
}

// plan sizes the blocks for the whole tensor's shape s and axis ax.
func (k *blockKernel) plan(s []int, ax int) {
	outer, inner := blocksOf(s, ax)
	k.outer = outer
	for _, t := range k.parts {
		b := t.Shape[ax] * inner
		k.blocks = append(k.blocks, b)
		k.total += b
	}
	k.rows = splitRows(k.c.pool.threads, outer, k.total)
}

func (k *blockKernel) compute() error { return k.rows.do(k.c, k) }

func (k *blockKernel) run(chunk, chunks, _ int) {
	o0, o1 := k.rows.span(chunk, chunks)
	w := k.whole.F32
	for o := o0; o < o1; o++ {
		at := o * k.total
		for i, t := range k.parts {
			b := k.blocks[i]
			if k.split {
				copy(t.F32[o*b:(o+1)*b], w[at:at+b])
			} else {
				copy(w[at:at+b], t.F32[o*b:(o+1)*b])
			}
			at += b
		}
	}
}
