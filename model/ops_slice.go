package model

import "fmt"

// Ops that cut or join along axes: Concat, Split and Slice.
var sliceOps = map[string]opDef{
	"Concat": {since: 1, ins: [2]int{1, -1}, outs: [2]int{1, 1}, types: tAny, infer: inferConcat, eval: evalConcat},
	"Split":  {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, -1}, types: tAny, infer: inferSplit, eval: evalSplit},
	"Slice":  {since: 1, ins: [2]int{1, 5}, outs: [2]int{1, 1}, types: tAny, infer: inferSlice, eval: evalSlice},
}

// inferConcat: inputs of one dtype and rank, equal but along the axis,
// where their sizes add up.
func inferConcat(c *inferCtx) error {
	x := c.shape(0)
	axis, err := concatAxis(c.n, c.opset, len(x))
	if err != nil {
		return c.errf("%v", err)
	}
	out := x.Clone()
	for i := 1; i < len(c.in); i++ {
		if !c.has(i) {
			return c.errf("input %d is omitted; Concat takes no optional inputs", i)
		}
		if err := c.sameType(0, i); err != nil {
			return err
		}
		s := c.shape(i)
		if len(s) != len(x) {
			return c.errf("%q %v and %q %v differ in rank", c.name(0), x, c.name(i), s)
		}
		for d := range s {
			switch {
			case d == axis && out[d].Known() && s[d].Known():
				out[d] = Fixed(out[d].Size + s[d].Size)
			case d == axis:
				out[d] = unknown
			case out[d].Known() && s[d].Known() && out[d] != s[d]:
				return c.errf("%q %v and %q %v differ in dimension %d, which is not the axis %d", c.name(0), x, c.name(i), s, d, axis)
			case !out[d].Known():
				out[d] = s[d]
			}
		}
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// axisBlocks reads the axis attribute (0 when absent) and returns it with
// the number of blocks before it and the elements of one position after it.
func axisBlocks(n *Node, dims []int) (axis, outer, inner int, err error) {
	if axis, err = attrAxis(n, 0, len(dims)); err != nil {
		return 0, 0, 0, err
	}
	return axis, prod(dims, 0, axis), prod(dims, axis+1, len(dims)), nil
}

// evalConcat copies each input's block of every outer index in turn.
func evalConcat(n *Node, opset int, in, out []*Tensor) error {
	y := out[0]
	axis, err := concatAxis(n, opset, len(y.Shape))
	if err != nil {
		return err
	}
	outer, inner := prod(y.Shape, 0, axis), prod(y.Shape, axis+1, len(y.Shape))
	yo := 0
	for o := 0; o < outer; o++ {
		for _, x := range in {
			blk := x.Shape[axis] * inner
			copyElems(y, yo, x, o*blk, blk)
			yo += blk
		}
	}
	if yo != y.Len() {
		return fmt.Errorf("the inputs hold %d elements, the output %d", yo, y.Len())
	}
	return nil
}

// splitSizes reads the sizes along the axis: the split attribute (before
// opset 13) or input (from 13, and at opset 1); else num_outputs (from 18,
// the last part smaller) or the number of outputs, which must then divide
// the axis evenly.
func splitSizes(c *inferCtx, dim Dim, nout int) ([]Dim, error) {
	var split []int64
	given := false
	attrOnly := c.opset >= 2 && c.opset < 13
	switch {
	case attrOnly && len(c.in) > 1:
		return nil, c.errf("takes split as an attribute from opset 2 to 12, got %d inputs", len(c.in))
	case c.opset < 13 && !c.has(1):
		split, given = c.n.Attrs.Ints("split")
	case c.has(1):
		t, err := c.constInput(1, "split")
		if err != nil {
			return nil, err
		}
		split, given = t.I64, true
	}
	out := make([]Dim, nout)
	if given {
		if len(split) != nout {
			return nil, c.errf("split %v has %d sizes for %d outputs", split, len(split), nout)
		}
		sum := 0
		for i, s := range split {
			if s < 0 {
				return nil, c.errf("split %v has a negative size", split)
			}
			out[i] = Fixed(int(s))
			sum += int(s)
		}
		if dim.Known() && sum != dim.Size {
			return nil, c.errf("split %v adds up to %d, the axis has %d", split, sum, dim.Size)
		}
		return out, nil
	}
	parts := nout
	if c.opset >= 18 && c.n.Attrs.Has("num_outputs") {
		parts = int(c.n.Attrs.Int("num_outputs", 0))
		if parts != nout {
			return nil, c.errf("num_outputs %d differs from its %d outputs", parts, nout)
		}
	}
	for i := range out {
		out[i] = unknown
	}
	if !dim.Known() {
		return out, nil
	}
	chunk := dim.Size / parts
	if dim.Size%parts != 0 {
		if c.opset < 18 || !c.n.Attrs.Has("num_outputs") {
			return nil, c.errf("the axis of size %d does not split evenly into %d outputs", dim.Size, parts)
		}
		chunk = (dim.Size + parts - 1) / parts
	}
	left := dim.Size
	for i := range out {
		out[i] = Fixed(min(chunk, left))
		left -= out[i].Size
	}
	return out, nil
}

func inferSplit(c *inferCtx) error {
	x := c.shape(0)
	axis, err := c.axis(c.n.Attrs.Int("axis", 0), len(x))
	if err != nil {
		return err
	}
	sizes, err := splitSizes(c, x[axis], len(c.n.Outputs))
	if err != nil {
		return err
	}
	for i, d := range sizes {
		s := x.Clone()
		s[axis] = d
		c.set(i, c.dtype(0), s)
	}
	return nil
}

// evalSplit copies consecutive blocks of the input to the outputs, whose
// shapes say the sizes.
func evalSplit(n *Node, _ int, in, out []*Tensor) error {
	x := in[0]
	axis, outer, inner, err := axisBlocks(n, x.Shape)
	if err != nil {
		return err
	}
	xo := 0
	for o := 0; o < outer; o++ {
		for _, y := range out {
			if y == nil {
				return fmt.Errorf("an output is omitted; Split writes every output")
			}
			blk := y.Shape[axis] * inner
			copyElems(y, o*blk, x, xo, blk)
			xo += blk
		}
	}
	if xo != x.Len() {
		return fmt.Errorf("the outputs hold %d elements, the input %d", xo, x.Len())
	}
	return nil
}

// sliceSpec is where a slice starts along each axis, its step and its size,
// and which axes the slice names.
type sliceSpec struct {
	start, step, size [MaxRank]int
	named             [MaxRank]bool
}

// sliceSpecOf resolves Slice's starts, ends, axes and steps for input
// dimensions dims (-1 where unknown, which leaves the size unknown).
func sliceSpecOf(starts, ends, axes, steps []int64, dims []int) (sliceSpec, error) {
	var s sliceSpec
	r := len(dims)
	if r > MaxRank {
		return s, fmt.Errorf("rank %d is above %d, the most the kernels compute", r, MaxRank)
	}
	for i := range r {
		s.step[i], s.size[i] = 1, dims[i]
	}
	switch {
	case len(ends) != len(starts):
		return s, fmt.Errorf("starts %v and ends %v differ in length", starts, ends)
	case axes != nil && len(axes) != len(starts):
		return s, fmt.Errorf("axes %v and starts %v differ in length", axes, starts)
	case steps != nil && len(steps) != len(starts):
		return s, fmt.Errorf("steps %v and starts %v differ in length", steps, starts)
	}
	var seen [MaxRank]bool
	for i := range starts {
		a := int64(i)
		if axes != nil {
			a = axes[i]
		}
		ax, err := normAxis(a, r)
		if err != nil {
			return s, err
		}
		if seen[ax] {
			return s, fmt.Errorf("axes %v name axis %d twice", axes, ax)
		}
		seen[ax], s.named[ax] = true, true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return s, fmt.Errorf("steps %v has a 0", steps)
		}
		s.step[ax] = int(step)
		d := int64(dims[ax])
		if d < 0 {
			s.size[ax] = -1
			continue
		}
		st, en := starts[i], ends[i]
		if st < 0 {
			st += d
		}
		if en < 0 {
			en += d
		}
		var n int64
		if step > 0 {
			st, en = min(max(st, 0), d), min(max(en, 0), d)
			n = (en - st + step - 1) / step
		} else {
			st, en = min(max(st, 0), d-1), min(max(en, -1), d-1)
			n = (st - en - step - 1) / -step
		}
		s.start[ax], s.size[ax] = int(st), int(max(n, 0))
	}
	return s, nil
}

// sliceArgs reads starts, ends, axes and steps: attributes before opset 10,
// inputs 1 to 4 from 10 (nil where omitted).
func sliceArgs(n *Node, opset int, in []*Tensor) (starts, ends, axes, steps []int64, err error) {
	if opset < 10 {
		starts, _ = n.Attrs.Ints("starts")
		ends, _ = n.Attrs.Ints("ends")
		axes, _ = n.Attrs.Ints("axes")
		if !n.Attrs.Has("starts") || !n.Attrs.Has("ends") {
			err = fmt.Errorf("needs the starts and ends attributes before opset 10")
		}
		return
	}
	get := func(i int) []int64 {
		if i < len(in) && in[i] != nil {
			return in[i].I64
		}
		return nil
	}
	if len(in) < 3 || in[1] == nil || in[2] == nil {
		err = fmt.Errorf("needs the starts and ends inputs from opset 10")
	}
	return get(1), get(2), get(3), get(4), err
}

func inferSlice(c *inferCtx) error {
	in := make([]*Tensor, len(c.in))
	if c.opset < 10 && len(c.in) > 1 {
		return c.errf("takes starts, ends and axes as attributes before opset 10, got %d inputs", len(c.in))
	}
	for i := 1; i < len(c.in); i++ {
		if c.has(i) {
			t, err := c.constInput(i, [5]string{"", "starts", "ends", "axes", "steps"}[i])
			if err != nil {
				return err
			}
			in[i] = t
		}
	}
	starts, ends, axes, steps, err := sliceArgs(c.n, c.opset, in)
	if err != nil {
		return c.errf("%v", err)
	}
	x := c.shape(0)
	spec, err := sliceSpecOf(starts, ends, axes, steps, x.Ints())
	if err != nil {
		return c.errf("%v", err)
	}
	out := x.Clone()
	for i := range out {
		if spec.named[i] && (spec.size[i] != x[i].Size || !x[i].Known()) {
			out[i] = Dim{Size: spec.size[i]}
		}
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// evalSlice walks the output reading the input from the starts along
// strides multiplied by the steps.
func evalSlice(n *Node, opset int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	starts, ends, axes, steps, err := sliceArgs(n, opset, in)
	if err != nil {
		return err
	}
	spec, err := sliceSpecOf(starts, ends, axes, steps, x.Shape)
	if err != nil {
		return err
	}
	var w walker
	if err := w.setDims(y.Shape); err != nil {
		return err
	}
	var st [MaxRank]int
	stridesOf(x.Shape, &st)
	for i := range w.rank {
		if spec.size[i] != y.Shape[i] {
			return fmt.Errorf("the output has shape %v; the slice makes %d along axis %d", y.Shape, spec.size[i], i)
		}
		w.str[0][i] = spec.step[i] * st[i]
		w.base[0] += spec.start[i] * st[i]
	}
	walkCopyTensor(&w, x, y)
	return nil
}

// SliceWindow is where Slice node n of g takes its output from its input
// of shape dims: the first index and the step along every axis (0 and 1
// along the axes it does not slice). Its starts, ends, axes and steps must
// be constants (attributes before opset 10), as they are once a graph is
// compiled for its shapes.
func SliceWindow(g *Graph, n *Node, dims []int) (start, step []int, err error) {
	in := make([]*Tensor, len(n.Inputs))
	for i := 1; i < len(n.Inputs); i++ {
		if n.Input(i) == "" {
			continue
		}
		if in[i] = g.Const(n.Input(i)); in[i] == nil {
			return nil, nil, fmt.Errorf("Slice %s: input %d is computed at run time", n.Name, i)
		}
	}
	starts, ends, axes, steps, err := sliceArgs(n, g.Opset, in)
	if err != nil {
		return nil, nil, fmt.Errorf("Slice %s: %w", n.Name, err)
	}
	s, err := sliceSpecOf(starts, ends, axes, steps, dims)
	if err != nil {
		return nil, nil, fmt.Errorf("Slice %s: %w", n.Name, err)
	}
	return append([]int(nil), s.start[:len(dims)]...), append([]int(nil), s.step[:len(dims)]...), nil
}
