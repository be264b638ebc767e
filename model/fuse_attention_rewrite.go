package model

import (
	"fmt"
	"slices"
)

// rewrite replaces a match by the packed projection, the Attention and the
// output Linear; false (the graph unchanged) when a value inside the
// pattern is read outside it.
func (a *attention) rewrite() bool {
	ix, g := a.ix, a.ix.g
	q, k, v := a.q, a.k, a.v
	d, b, t := q.width, q.b, q.t
	lins := uniq(q.lin, k.lin, v.lin)
	body := append(slices.Clone(q.nodes), k.nodes...)
	body = append(body, v.nodes...)
	body = append(body, a.qk)
	body = append(body, a.scores...)
	body = append(body, a.sm, a.pv)
	tail := []*Node(nil)
	if i := slices.Index(a.out, a.lo); i >= 0 {
		body, tail = append(body, a.out[:i]...), a.out[i:]
	} else {
		body = append(body, a.out...)
	}
	body = uniq(body...)
	head := slices.Clone(lins)
	if t0 := q.t0; t0 != nil && !g.IsOutput(t0.Outputs[0]) &&
		!slices.ContainsFunc(ix.cons[t0.Outputs[0]], func(c *Node) bool { return !slices.Contains(lins, c) }) {
		head = append([]*Node{t0}, head...)
	}
	removed := append(append(slices.Clone(head), body...), tail...)
	if !closed(ix, removed, a.result) {
		return false
	}

	w, bias := a.packed(lins)
	qkv := g.UniqueName(q.lin.Name + "/qkv")
	g.AddValue(&Value{Name: qkv, DType: Float32, Shape: ShapeOf(b, t, 3*d)})
	inproj := &Node{Name: q.lin.Name, Op: OpLinear, Inputs: []string{q.x0, w, bias}, Outputs: []string{qkv},
		Covers: coverAll(inOrder(g, head)...)}
	adds := []*Node{inproj}

	mask := a.mask
	if ms := ix.shape(mask); len(ms) == 3 && ms[0].Size == b*a.heads && ms[0].Size > 1 {
		shape := addConst(g, a.sm.Name+"/mask_shape", Ints([]int{4}, []int64{int64(b), int64(a.heads), int64(ms[1].Size), int64(ms[2].Size)}))
		mask = g.UniqueName(a.sm.Name + "/mask")
		g.AddValue(&Value{Name: mask, DType: Float32, Shape: ShapeOf(b, a.heads, ms[1].Size, ms[2].Size)})
		adds = append(adds, &Node{Name: mask, Op: "Reshape", Inputs: []string{a.mask, shape}, Outputs: []string{mask}})
	}

	ctx := a.result
	if a.lo != nil {
		ctx = g.UniqueName(a.sm.Name + "/context")
		g.AddValue(&Value{Name: ctx, DType: Float32, Shape: ShapeOf(b, t, d)})
	}
	att := &Node{Name: a.sm.Name, Op: OpAttention, Inputs: []string{qkv}, Outputs: []string{ctx},
		Attrs: Attrs{"num_heads": IntAttr(int64(a.heads))}, Covers: coverAll(inOrder(g, body)...)}
	if mask != "" {
		att.Inputs = append(att.Inputs, mask)
	}
	if s := q.scale * k.scale * a.scale; !near(s, a.defaultScale()) {
		att.Attrs["scale"] = FloatAttr(float32(s))
	}
	adds = append(adds, att)
	if a.lo != nil {
		lo := a.lo.Clone()
		lo.Inputs[0], lo.Outputs, lo.Covers = ctx, []string{a.result}, coverAll(inOrder(g, tail)...)
		adds = append(adds, lo)
	}
	replace(g, removed, adds...)
	return true
}

// packed returns the weight [3D, K] and bias [3D] (or "") of the packed
// projection: the Linear's own when q, k and v are its three thirds in
// order, else new constants gathering their rows.
func (a *attention) packed(lins []*Node) (string, string) {
	g := a.ix.g
	q, k, v := a.q, a.k, a.v
	d := q.width
	w0 := g.Const(q.lin.Input(1))
	if len(lins) == 1 && q.off == 0 && k.off == d && v.off == 2*d && w0.Shape[0] == 3*d {
		return q.lin.Input(1), q.lin.Input(2)
	}
	kin := w0.Shape[1]
	var srcs []*Tensor
	for _, s := range []*stream{q, k, v} {
		srcs = append(srcs, g.Const(s.lin.Input(1)), g.Const(s.lin.Input(2)))
	}
	packed := g.derive(fmt.Sprintf("qkv\x00%d\x00%d\x00%d\x00%d", d, q.off, k.off, v.off), srcs, func() []*Tensor {
		w := NewTensor(Float32, 3*d, kin)
		var bias *Tensor
		for i, s := range []*stream{q, k, v} {
			sw := g.Const(s.lin.Input(1))
			copy(w.F32[i*d*kin:(i+1)*d*kin], sw.F32[s.off*kin:(s.off+d)*kin])
			if sb := g.Const(s.lin.Input(2)); sb != nil {
				if bias == nil {
					bias = NewTensor(Float32, 3*d)
				}
				copy(bias.F32[i*d:(i+1)*d], sb.F32[s.off:s.off+d])
			}
		}
		return []*Tensor{w, bias}
	})
	w, bias := packed[0], packed[1]
	wName, bName := addConst(g, q.lin.Name+"/qkv_weight", w), ""
	if bias != nil {
		bName = addConst(g, q.lin.Name+"/qkv_bias", bias)
	}
	return wName, bName
}

// closed reports that nothing outside nodes reads what they write, and that
// none of it is a graph output, but for the value keep.
func closed(ix *index, nodes []*Node, keep string) bool {
	for _, n := range nodes {
		for _, o := range n.Outputs {
			if o == "" || o == keep {
				continue
			}
			if ix.g.IsOutput(o) {
				return false
			}
			for _, c := range ix.cons[o] {
				if !slices.Contains(nodes, c) {
					return false
				}
			}
		}
	}
	return true
}

// uniq returns nodes without repeats, in their first order.
func uniq(nodes ...*Node) []*Node {
	var out []*Node
	for _, n := range nodes {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// inOrder returns nodes sorted by their place in the graph.
func inOrder(g *Graph, nodes []*Node) []*Node {
	out := slices.Clone(nodes)
	pos := make(map[*Node]int, len(g.Nodes))
	for i, n := range g.Nodes {
		pos[n] = i
	}
	slices.SortFunc(out, func(x, y *Node) int { return pos[x] - pos[y] })
	return out
}
