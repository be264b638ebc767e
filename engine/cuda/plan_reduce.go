package cuda

import (
	"slices"

	"infertop/model"
)

// ReduceSum, ReduceMean and ReduceMax: the reduced axes moved last (a
// strided copy into scratch, unless they are last already), then one
// infertop_reduce_rows launch, one block per kept position.

// Reduction op codes of infertop_reduce_rows.
const (
	reduceSum int64 = iota
	reduceMean
	reduceMax
)

// reduceAxes reads a reduction's axes (an attribute, or a constant second
// input from the opsets that take one), made non-negative and sorted; all
// axes when none are given, none when none are given and
// noop_with_empty_axes is set. ok is false for axes computed at run time.
func reduceAxes(g *model.Graph, n *model.Node, rank int) (axes []int, ok bool) {
	var raw []int64
	if in := n.Input(1); in != "" {
		c := g.Const(in)
		if c == nil {
			return nil, false
		}
		raw = c.I64
	} else {
		raw, _ = n.Attrs.Ints("axes")
	}
	if len(raw) == 0 {
		if n.Attrs.Int("noop_with_empty_axes", 0) != 0 {
			return nil, true
		}
		for i := range rank {
			axes = append(axes, i)
		}
		return axes, true
	}
	for _, a := range raw {
		if a < 0 {
			a += int64(rank)
		}
		if a < 0 || a >= int64(rank) {
			return nil, false
		}
		if !slices.Contains(axes, int(a)) {
			axes = append(axes, int(a))
		}
	}
	slices.Sort(axes)
	return axes, true
}

// reduceLayout is the input's axes with the reduced ones last: the shape
// and the input's strides in that order, and how many values each row
// (the reduced axes) holds.
func reduceLayout(in []int, axes []int) (shape []int, st []int64, cols int64) {
	rs := rowStrides(in)
	cols = 1
	for i := range in {
		if !slices.Contains(axes, i) {
			shape, st = append(shape, in[i]), append(st, rs[i])
		}
	}
	for _, a := range axes {
		shape, st = append(shape, in[a]), append(st, rs[a])
		cols *= int64(in[a])
	}
	return shape, st, cols
}

// trailing reports whether the reduced axes are the input's last ones.
func trailing(rank int, axes []int) bool {
	for i, a := range axes {
		if a != rank-len(axes)+i {
			return false
		}
	}
	return true
}

func reduceReason(g *model.Graph, n *model.Node) string {
	in := shapeOf(g, n.Input(0))
	axes, ok := reduceAxes(g, n, len(in))
	if !ok {
		return "reduction axes computed at run time have no CUDA plan"
	}
	if len(axes) == 0 || trailing(len(in), axes) {
		return ""
	}
	shape, st, _ := reduceLayout(in, axes)
	return stridedReason(shape, st)
}

// emitReduce computes the reduction into the output's values, one per kept
// position (keepdims only changes the output's shape).
func emitReduce(b *builder, n *model.Node) error {
	args, err := b.args(n.Input(0))
	if err != nil {
		return err
	}
	in := b.shape(n.Input(0))
	axes, _ := reduceAxes(b.g, n, len(in))
	if len(axes) == 0 { // noop_with_empty_axes: a copy
		s := in
		if len(s) == 0 {
			s = []int{1}
		}
		return b.strided(n.Name, binCopy, args[0], b.out(n.Outputs[0]), s, rowStrides(s))
	}
	shape, st, cols := reduceLayout(in, axes)
	if err := fits32(n.Name, "the values reduced per output", cols); err != nil {
		return err
	}
	x := args[0]
	if !trailing(len(in), axes) && b.elems(n.Input(0)) > 0 {
		moved := b.scratch(n.Name+"/moved", b.elems(n.Input(0)))
		if err := b.strided(n.Name, binCopy, x, moved, shape, st); err != nil {
			return err
		}
		x = ptr(moved)
	}
	rows := b.elems(n.Outputs[0])
	op := map[string]int64{"ReduceSum": reduceSum, "ReduceMean": reduceMean, "ReduceMax": reduceMax}[n.Op]
	b.rowwise(n.Name, KReduceRows, rows, x, ptr(b.out(n.Outputs[0])), i64(rows), i64(cols), i64(op))
	return nil
}
