package cuda

import (
	"fmt"

	"infertop/model"
)

// Element-wise ops of one operand and the copies that rearrange values —
// Transpose, Expand, Split — as infertop_binary launches: the kernel reads
// its first operand with a stride per output axis, so a permutation, a
// broadcast or a window of the input is the same launch with other
// strides (the copy op), and Neg, Exp, Sqrt and Erf are ops of it too.

// rowStrides are the row-major strides of shape s, in values.
func rowStrides(s []int) []int64 {
	st := make([]int64, len(s))
	step := int64(1)
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = step
		step *= int64(s[i])
	}
	return st
}

// strided launches infertop_binary with op over out's values, its operand
// x read with stride st[i] along output axis i.
func (b *builder) strided(node string, op int64, x Arg, y Ref, out []int, st []int64) error {
	n0, s0, _, inner, err := mergeAxes(out, st, st)
	if err != nil {
		return fmt.Errorf("node %s: %w", node, err)
	}
	return b.launchBinary(node, op, x, x, y, n0, s0, s0, inner)
}

// stridedReason refuses a layout infertop_binary cannot walk.
func stridedReason(out []int, st []int64) string {
	if _, _, _, _, err := mergeAxes(out, st, st); err != nil {
		return err.Error() + " has no CUDA plan yet"
	}
	return ""
}

// emitUnary computes Neg, Exp, Sqrt or Erf of every value.
func emitUnary(b *builder, n *model.Node) error {
	args, err := b.args(n.Input(0))
	if err != nil {
		return err
	}
	s := b.shape(n.Outputs[0])
	if len(s) == 0 {
		s = []int{1}
	}
	return b.strided(n.Name, binaryCode(n.Op), args[0], b.out(n.Outputs[0]), s, rowStrides(s))
}

// transposeStrides are the strides Transpose's output reads its input
// with: output axis i walks input axis perm[i] (the axes reversed when the
// node has no perm).
func transposeStrides(g *model.Graph, n *model.Node) ([]int64, bool) {
	in := shapeOf(g, n.Input(0))
	perm, ok := n.Attrs.Ints("perm")
	if !ok {
		for i := range in {
			perm = append(perm, int64(len(in)-1-i))
		}
	}
	if len(perm) != len(in) {
		return nil, false
	}
	st, out := rowStrides(in), make([]int64, len(in))
	for i, p := range perm {
		if p < 0 || int(p) >= len(in) {
			return nil, false
		}
		out[i] = st[p]
	}
	return out, true
}

func transposeReason(g *model.Graph, n *model.Node) string {
	st, ok := transposeStrides(g, n)
	if !ok {
		return "a perm that is not a permutation of the axes has no CUDA plan"
	}
	if len(st) == 0 {
		return ""
	}
	return stridedReason(shapeOf(g, output0(n)), st)
}

// emitTranspose copies the input into the output's axis order.
func emitTranspose(b *builder, n *model.Node) error {
	args, err := b.args(n.Input(0))
	if err != nil {
		return err
	}
	out := b.shape(n.Outputs[0])
	st, _ := transposeStrides(b.g, n)
	if len(out) == 0 {
		out, st = []int{1}, []int64{1}
	}
	return b.strided(n.Name, binCopy, args[0], b.out(n.Outputs[0]), out, st)
}

// expandStrides are the strides Expand's output reads its input with: the
// input aligned on the right, 0 along the axes it is broadcast over.
func expandStrides(in, out []int) []int64 {
	st, rs := make([]int64, len(out)), rowStrides(in)
	for i := range out {
		if j := i - (len(out) - len(in)); j >= 0 && in[j] != 1 {
			st[i] = rs[j]
		}
	}
	return st
}

func expandReason(g *model.Graph, n *model.Node) string {
	out := shapeOf(g, output0(n))
	if len(out) == 0 {
		return ""
	}
	return stridedReason(out, expandStrides(shapeOf(g, n.Input(0)), out))
}

// emitExpand broadcasts the input to the output's shape.
func emitExpand(b *builder, n *model.Node) error {
	args, err := b.args(n.Input(0))
	if err != nil {
		return err
	}
	out := b.shape(n.Outputs[0])
	st := expandStrides(b.shape(n.Input(0)), out)
	if len(out) == 0 {
		out, st = []int{1}, []int64{1}
	}
	return b.strided(n.Name, binCopy, args[0], b.out(n.Outputs[0]), out, st)
}

func splitReason(g *model.Graph, n *model.Node) string {
	in := shapeOf(g, n.Input(0))
	if len(in) == 0 {
		return "a scalar has no CUDA plan"
	}
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		if r := stridedReason(shapeOf(g, o), rowStrides(in)); r != "" {
			return r
		}
	}
	return ""
}

// emitSplit copies each part of the input along the axis into its output,
// the part's values read in place (the input's strides, from the part's
// first value); the parts' sizes are the outputs' own.
func emitSplit(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	in := b.shape(n.Input(0))
	axis, _ := axisOf(n, len(in), 0)
	st := rowStrides(in)
	var at int64
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		out := b.shape(o)
		if model.NumElems(out) > 0 {
			if err := b.strided(n.Name, binCopy, ptr(x.Plus(at*st[axis])), b.out(o), out, st); err != nil {
				return err
			}
		} else {
			b.out(o)
		}
		at += int64(out[axis])
	}
	return nil
}

// sliceLayout is where a Slice's output lies in its input: the offset of
// its first value and the input's stride along each output axis (the
// slice's step times the axis's stride, negative for a negative step).
func sliceLayout(g *model.Graph, n *model.Node) (off int64, st []int64, err error) {
	in := shapeOf(g, n.Input(0))
	start, step, err := model.SliceWindow(g, n, in)
	if err != nil {
		return 0, nil, err
	}
	rs := rowStrides(in)
	st = make([]int64, len(in))
	for i := range in {
		off += int64(start[i]) * rs[i]
		st[i] = rs[i] * int64(step[i])
	}
	return off, st, nil
}

func sliceReason(g *model.Graph, n *model.Node) string {
	_, st, err := sliceLayout(g, n)
	switch {
	case err != nil:
		return err.Error()
	case len(st) == 0:
		return "a scalar has no CUDA plan"
	}
	return stridedReason(shapeOf(g, output0(n)), st)
}

// emitSlice copies the slice's window of the input into the output.
func emitSlice(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	off, st, err := sliceLayout(b.g, n)
	if err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	out := b.shape(n.Outputs[0])
	if model.NumElems(out) == 0 {
		return nil
	}
	return b.strided(n.Name, binCopy, ptr(x.Plus(off)), y, out, st)
}
