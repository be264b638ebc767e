package model

import "fmt"

// Ops that change a shape and move no data (Reshape, Flatten, Squeeze,
// Unsqueeze), or move it (Transpose, Expand), and Shape.
var shapeOps = map[string]opDef{
	"Reshape":   {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tAny, infer: inferReshape, eval: evalCopy},
	"Flatten":   {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tAny, infer: inferFlatten, eval: evalCopy},
	"Squeeze":   {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tAny, infer: inferSqueeze, eval: evalCopy},
	"Unsqueeze": {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tAny, infer: inferUnsqueeze, eval: evalCopy},
	"Transpose": {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tAny, infer: inferTranspose, eval: evalTranspose},
	"Shape":     {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tAny, infer: inferShape, eval: evalShape},
	"Expand":    {since: 8, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tAny, infer: inferExpand, eval: evalExpand},
}

// reshapeTarget reads Reshape's shape: the shape attribute before opset 5,
// the 1-D input from then on.
func reshapeTarget(c *inferCtx) ([]int64, error) {
	if c.opset < 5 {
		if len(c.in) > 1 {
			return nil, c.errf("takes its shape as an attribute before opset 5, got %d inputs", len(c.in))
		}
		s, ok := c.n.Attrs.Ints("shape")
		if !ok {
			return nil, c.errf("has no shape attribute")
		}
		return s, nil
	}
	if !c.has(1) {
		return nil, c.errf("takes its shape as input 1 from opset 5, got 1 input")
	}
	t, err := c.constInput(1, "shape")
	if err != nil {
		return nil, err
	}
	if len(t.Shape) != 1 {
		return nil, c.errf("its shape input %q has shape %v; it must be 1-D", c.name(1), t.Shape)
	}
	return t.I64, nil
}

// inferReshape reads the shape (see reshapeTarget): 0 copies the input's
// dimension (unless allowzero, from opset 14), one -1 takes what is left.
func inferReshape(c *inferCtx) error {
	shape, err := reshapeTarget(c)
	if err != nil {
		return err
	}
	x := c.shape(0)
	allowZero := c.opset >= 14 && c.n.Attrs.Int("allowzero", 0) != 0
	out := make(Shape, len(shape))
	neg := -1
	for i, v := range shape {
		switch {
		case v == 0 && !allowZero:
			if i >= len(x) {
				return c.errf("shape %v copies dimension %d of %v, which has rank %d", shape, i, x, len(x))
			}
			out[i] = x[i]
		case v == -1 && neg >= 0:
			return c.errf("shape %v has more than one -1", shape)
		case v == -1:
			neg = i
		case v < 0:
			return c.errf("shape %v has the size %d (accepted: sizes, 0 to copy, one -1 to infer)", shape, v)
		default:
			out[i] = Fixed(int(v))
		}
	}
	rest := out
	if neg >= 0 {
		rest = append(append(Shape{}, out[:neg]...), out[neg+1:]...)
	}
	for _, d := range rest {
		if neg >= 0 && d.Known() && d.Size == 0 {
			return c.errf("shape %v has both -1 and a size 0, which leaves -1 undefined", shape)
		}
	}
	if x.Known() && rest.Known() && neg < 0 {
		if a, b := x.Elems(), rest.Elems(); a != b {
			return c.errf("cannot reshape %v (%d elements) to %v (%d elements)", x, a, out, b)
		}
		c.set(0, c.dtype(0), out)
		return nil
	}
	left, ok := divideDims(x, rest)
	switch {
	case !ok:
		return c.errf("cannot reshape %v to shape %v: the element counts do not divide", x, shape)
	case neg >= 0:
		out[neg] = left
	case left.Known() && left.Size != 1:
		return c.errf("cannot reshape %v to %v: the element counts differ", x, out)
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// divideDims is the size the product of x's dimensions leaves once divided by
// the product of by's: symbols common to both cancel; the result is a size,
// the one symbol left, or unknown. ok is false when known sizes do not divide.
func divideDims(x, by Shape) (Dim, bool) {
	left := x.Clone()
	px, po := 1, 1
	var syms []Dim
	for _, d := range by {
		if d.Known() {
			po *= d.Size
			continue
		}
		i := -1
		for j, e := range left {
			if d.Name != "" && e == d {
				i = j
				break
			}
		}
		if i < 0 {
			return unknown, true
		}
		left = append(left[:i], left[i+1:]...)
	}
	for _, d := range left {
		if d.Known() {
			px *= d.Size
		} else {
			syms = append(syms, d)
		}
	}
	switch {
	case po == 0:
		return unknown, true
	case len(syms) == 0:
		return Fixed(px / max(po, 1)), px%max(po, 1) == 0
	case len(syms) == 1 && px == po:
		return syms[0], true
	}
	return unknown, true
}

// inferFlatten: [d0 ... d(axis-1)] and [d(axis) ...] each multiplied out.
func inferFlatten(c *inferCtx) error {
	x := c.shape(0)
	a := c.n.Attrs.Int("axis", 1)
	r := len(x)
	if a < -int64(r) || a > int64(r) {
		return c.errf("axis %d is out of range for rank %d (accepted: %d to %d)", a, r, -r, r)
	}
	if a < 0 {
		a += int64(r)
	}
	c.set(0, c.dtype(0), Shape{dimProd(x[:a]), dimProd(x[a:])})
	return nil
}

// squeezeAxes reads Squeeze's and Unsqueeze's axes: an attribute before
// opset 13, an input from 13.
func (c *inferCtx) squeezeAxes() ([]int64, bool, error) {
	if c.opset < 13 {
		if len(c.in) > 1 {
			return nil, false, c.errf("takes axes as an attribute before opset 13, got %d inputs", len(c.in))
		}
		a, ok := c.n.Attrs.Ints("axes")
		return a, ok, nil
	}
	if !c.has(1) {
		return nil, false, nil
	}
	t, err := c.constInput(1, "axes")
	if err != nil {
		return nil, false, err
	}
	return t.I64, true, nil
}

// inferSqueeze drops the named axes, which must have size 1, or every axis of
// size 1 when none are named (no axes, or an empty list).
func inferSqueeze(c *inferCtx) error {
	axes, given, err := c.squeezeAxes()
	if err != nil {
		return err
	}
	given = given && len(axes) > 0
	x := c.shape(0)
	set, err := c.axisSet(axes, len(x), "axes")
	if err != nil {
		return err
	}
	out := Shape{}
	for i, d := range x {
		switch {
		case given && set[i] && d.Known() && d.Size != 1:
			return c.errf("axis %d of %v has size %d; only axes of size 1 can be squeezed", i, x, d.Size)
		case given && set[i]:
		case !given && !d.Known():
			return c.errf("cannot tell whether dimension %d of %v is 1; name the axes to squeeze", i, x)
		case !given && d.Size == 1:
		default:
			out = append(out, d)
		}
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// inferUnsqueeze inserts axes of size 1 where the axes, read against the
// output's rank, say.
func inferUnsqueeze(c *inferCtx) error {
	axes, given, err := c.squeezeAxes()
	if err != nil {
		return err
	}
	if !given {
		return c.errf("has no axes")
	}
	x := c.shape(0)
	set, err := c.axisSet(axes, len(x)+len(axes), "axes")
	if err != nil {
		return err
	}
	out := make(Shape, len(x)+len(axes))
	k := 0
	for i := range out {
		if set[i] {
			out[i] = Fixed(1)
		} else {
			out[i] = x[k]
			k++
		}
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// transposePerm reads perm (the reversed axes by default) into p.
func transposePerm(n *Node, r int, p *[MaxRank]int) error {
	if r > MaxRank {
		return fmt.Errorf("rank %d is above %d, the most the kernels compute", r, MaxRank)
	}
	perm, ok := n.Attrs.Ints("perm")
	if !ok {
		for i := range r {
			p[i] = r - 1 - i
		}
		return nil
	}
	if len(perm) != r {
		return fmt.Errorf("perm %v has %d entries for rank %d", perm, len(perm), r)
	}
	var seen [MaxRank]bool
	for i, v := range perm {
		if v < 0 || v >= int64(r) || seen[v] {
			return fmt.Errorf("perm %v is not a permutation of 0 to %d", perm, r-1)
		}
		seen[v] = true
		p[i] = int(v)
	}
	return nil
}

func inferTranspose(c *inferCtx) error {
	x := c.shape(0)
	var p [MaxRank]int
	if err := transposePerm(c.n, len(x), &p); err != nil {
		return c.errf("%v", err)
	}
	out := make(Shape, len(x))
	for i := range out {
		out[i] = x[p[i]]
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// evalTranspose walks the output reading the input along permuted strides.
func evalTranspose(n *Node, _ int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	var p, st [MaxRank]int
	if err := transposePerm(n, len(x.Shape), &p); err != nil {
		return err
	}
	var w walker
	if err := w.setDims(y.Shape); err != nil {
		return err
	}
	stridesOf(x.Shape, &st)
	for i := range w.rank {
		w.str[0][i] = st[p[i]]
	}
	walkCopyTensor(&w, x, y)
	return nil
}

// shapeRange is the part [start, end) of a rank-r shape that Shape returns
// (the whole of it before opset 15), clamped as ONNX says.
func shapeRange(n *Node, opset, r int) (int, int) {
	if opset < 15 {
		return 0, r
	}
	clamp := func(v int64) int {
		if v < 0 {
			v += int64(r)
		}
		return int(min(max(v, 0), int64(r)))
	}
	s, e := clamp(n.Attrs.Int("start", 0)), clamp(n.Attrs.Int("end", int64(r)))
	return s, max(s, e)
}

func inferShape(c *inferCtx) error {
	s, e := shapeRange(c.n, c.opset, len(c.shape(0)))
	c.set(0, Int64, ShapeOf(e-s))
	return nil
}

func evalShape(n *Node, opset int, in, out []*Tensor) error {
	s, e := shapeRange(n, opset, len(in[0].Shape))
	if len(out[0].I64) != e-s {
		return fmt.Errorf("the output holds %d elements, not %d", len(out[0].I64), e-s)
	}
	for i := s; i < e; i++ {
		out[0].I64[i-s] = int64(in[0].Shape[i])
	}
	return nil
}

// inferExpand broadcasts the input and the shape input both ways.
func inferExpand(c *inferCtx) error {
	t, err := c.constInput(1, "shape")
	if err != nil {
		return err
	}
	want := make(Shape, len(t.I64))
	for i, v := range t.I64 {
		if v < 0 {
			return c.errf("shape %v has the negative size %d", t.I64, v)
		}
		want[i] = Fixed(int(v))
	}
	out, err := broadcastShapes(c.shape(0), want)
	if err != nil {
		return c.errf("%q %v does not broadcast with the shape %v (%v)", c.name(0), c.shape(0), t.I64, err)
	}
	c.set(0, c.dtype(0), out)
	return nil
}

func evalExpand(_ *Node, _ int, in, out []*Tensor) error {
	var w walker
	if err := w.broadcast(out[0].Shape, in[0].Shape, nil, nil); err != nil {
		return err
	}
	walkCopyTensor(&w, in[0], out[0])
	return nil
}
