package model

import "slices"

// stream is q, k or v followed back from a matrix product of the attention
// to the Linear that projects it.
type stream struct {
	// lin is the projection; x0 the token input [B, T, K] it reads, through
	// t0 (a Transpose to [T, B, K]) when not nil.
	lin *Node
	x0  string
	t0  *Node
	// nodes are the Slice or Split, Reshapes, Transposes and scalings from
	// lin's output to the matrix product, in order.
	nodes []*Node
	// off and width say which of lin's output features the stream reads.
	off, width int
	// scale is the product of the scalings.
	scale float64
	// l is the stream's layout where the matrix product reads it.
	l layout
	// b and t are x0's first two sizes.
	b, t int
}

// maxStreamNodes bounds how far back a stream is followed.
const maxStreamNodes = 16

// traceStream follows the value a matrix product reads back to a Linear and
// works out its layout; false when the way there holds anything else.
func traceStream(ix *index, operand string) (*stream, bool) {
	s := &stream{scale: 1}
	var vals []string // vals[i] is what nodes[i] writes into the stream
	cur := operand
	for {
		p := ix.prod[cur]
		if p == nil || len(s.nodes) > maxStreamNodes {
			return nil, false
		}
		if p.Op == OpLinear {
			s.lin = p
			break
		}
		if !ix.private(cur) {
			return nil, false
		}
		next := p.Input(0)
		switch p.Op {
		case "Transpose", "Reshape", "Slice", "Split":
		case "Div", "Mul":
			x, c, ok := scaling(ix, p)
			if !ok {
				return nil, false
			}
			next, s.scale = x, s.scale*c
		default:
			return nil, false
		}
		s.nodes, vals, cur = append(s.nodes, p), append(vals, cur), next
	}
	slices.Reverse(s.nodes)
	slices.Reverse(vals)
	if !s.start(ix) {
		return nil, false
	}
	for i, n := range s.nodes {
		ok := true
		switch n.Op {
		case "Slice", "Split":
			ok = i == 0 && s.slice(ix, n, vals[i])
		case "Transpose":
			perm, _ := n.Attrs.Ints("perm")
			s.l, ok = s.l.transpose(perm)
		case "Reshape":
			shape := ix.shape(vals[i])
			ok = shape.Known()
			if ok {
				s.l, ok = s.l.reshape(shape.Ints())
			}
		}
		if !ok {
			return nil, false
		}
	}
	return s, true
}

// start sets the layout of the Linear's output: the token axes of x0, in
// x0's order or swapped by a Transpose [1, 0, 2] before the Linear, then the
// features.
func (s *stream) start(ix *index) bool {
	lin := s.lin
	w := ix.g.Const(lin.Input(1))
	if w == nil || len(w.Shape) != 2 || ActivationOf(lin).Op != "" || lin.Input(3) != "" {
		return false
	}
	s.x0 = lin.Input(0)
	swapped := false
	if t := ix.from(s.x0, "Transpose"); t != nil {
		if perm, _ := t.Attrs.Ints("perm"); slices.Equal(perm, []int64{1, 0, 2}) {
			s.x0, s.t0, swapped = t.Input(0), t, true
		}
	}
	xs := ix.shape(s.x0)
	if len(xs) != 3 || !xs.Known() || !ix.isFloat(s.x0) || xs[2].Size != w.Shape[1] {
		return false
	}
	s.b, s.t = xs[0].Size, xs[1].Size
	s.off, s.width = 0, w.Shape[0]
	b, t := atoms(atom{tok0, s.b, 1}), atoms(atom{tok1, s.t, 1})
	if swapped {
		b, t = t, b
	}
	s.l = layout{b, t, atoms(atom{feat, s.width, 1})}
	return true
}

// slice narrows the stream to the features a Slice or a Split of the
// Linear's last axis gives out (as value out), their width read from its shape.
func (s *stream) slice(ix *index, n *Node, out string) bool {
	lastAxis := func(a int64) bool { return a == -1 || a == 2 }
	width := func(name string) int {
		if sh := ix.shape(name); len(sh) == 3 && sh[2].Known() {
			return sh[2].Size
		}
		return -1
	}
	off := 0
	if n.Op == "Split" {
		i := slices.Index(n.Outputs, out)
		if !lastAxis(n.Attrs.Int("axis", 0)) || i < 0 {
			return false
		}
		for _, o := range n.Outputs[:i] {
			if width(o) < 0 {
				return false
			}
			off += width(o)
		}
	} else {
		in := make([]*Tensor, len(n.Inputs))
		for i, name := range n.Inputs {
			in[i] = ix.g.Const(name)
		}
		starts, _, axes, steps, err := sliceArgs(n, EffectiveOpset(ix.g.Opset), in)
		if err != nil || len(starts) != 1 || len(axes) != 1 || !lastAxis(axes[0]) ||
			(steps != nil && (len(steps) != 1 || steps[0] != 1)) {
			return false // the default axis is 0, never the features
		}
		start := starts[0]
		if start < 0 {
			start += int64(s.width)
		}
		off = int(min(max(start, 0), int64(s.width)))
	}
	w := width(out)
	if w <= 0 || off+w > s.width {
		return false
	}
	s.off, s.width = off, w
	s.l[len(s.l)-1] = atoms(atom{feat, w, 1})
	return true
}

// scaling reads a Div by, or a Mul by, a scalar constant: the other operand
// and the factor it multiplies it by.
func scaling(ix *index, n *Node) (string, float64, bool) {
	for i, x := range n.Inputs {
		if len(n.Inputs) != 2 || (n.Op == "Div" && i != 0) {
			continue
		}
		c, ok := ix.scalar(n.Inputs[1-i], len(ix.shape(x)))
		if !ok || c == 0 || ix.g.Const(x) != nil {
			continue
		}
		if n.Op == "Div" {
			c = 1 / c
		}
		return x, c, true
	}
	return "", 0, false
}
