package cuda

import (
	"fmt"
	"slices"

	"infertop/model"
)

// Element-wise Add, Sub, Mul and Div with ONNX's multidirectional
// broadcasting (infertop_binary), and Concat as one copy per input
// (infertop_copy_rows).

// Op codes of infertop_binary: two operands, then one (the second
// operand is read but unused).
const (
	binAdd int64 = iota
	binSub
	binMul
	binDiv
	binPow
	binCopy
	binNeg
	binExp
	binSqrt
	binErf
	binMax
	binMin
)

// binaryInner is how many axes after the first infertop_binary walks.
const binaryInner = 5

// binaryCode is the kernel's code of an element-wise op.
func binaryCode(op string) int64 {
	return map[string]int64{"Add": binAdd, "Sub": binSub, "Mul": binMul, "Div": binDiv, "Pow": binPow,
		"Neg": binNeg, "Exp": binExp, "Sqrt": binSqrt, "Erf": binErf}[op]
}

// broadcastAxes lays two operands of shapes a and b out against their
// broadcast output out: the output's first axis (the batch) with each
// operand's stride along it, then the other axes, those next to each other
// that both operands read contiguously or both skip merged into one, each
// with its size and each operand's stride (0 where it is broadcast). It
// fails when more than binaryInner axes remain.
func broadcastAxes(a, b, out []int) (n0, sa0, sb0 int64, inner [][3]int64, err error) {
	return mergeAxes(out, expandStrides(a, out), expandStrides(b, out))
}

// mergeAxes lays out two operands read with strides as and bs (one per
// axis of out, 0 where an operand is broadcast) as broadcastAxes does.
func mergeAxes(out []int, as, bs []int64) (n0, sa0, sb0 int64, inner [][3]int64, err error) {
	if len(out) == 0 {
		return 1, 0, 0, nil, nil
	}
	n0, sa0, sb0 = int64(out[0]), as[0], bs[0]
	for i := 1; i < len(out); i++ {
		d := int64(out[i])
		if d == 1 {
			continue
		}
		if k := len(inner) - 1; k >= 0 && inner[k][1] == as[i]*d && inner[k][2] == bs[i]*d {
			inner[k] = [3]int64{inner[k][0] * d, as[i], bs[i]}
			continue
		}
		inner = append(inner, [3]int64{d, as[i], bs[i]})
	}
	if len(inner) > binaryInner {
		return 0, 0, 0, nil, fmt.Errorf("broadcasting over %d axes that do not merge (at most %d after the first)", len(inner), binaryInner)
	}
	return n0, sa0, sb0, inner, nil
}

// arithReason accepts Add, Sub, Mul, Div and Pow of float32 values, and
// of integers (Pow also of an integer and a float32).
func arithReason(g *model.Graph, n *model.Node) string {
	if r := typedReason(g, n, true); r != "" {
		return r
	}
	if !allFloat(g, n) && n.Op != "Pow" && g.Values[n.Input(0)].DType != g.Values[n.Input(1)].DType {
		return "operands of two types have no CUDA plan"
	}
	return binaryReason(g, n)
}

func binaryReason(g *model.Graph, n *model.Node) string {
	if _, _, _, _, err := broadcastAxes(shapeOf(g, n.Input(0)), shapeOf(g, n.Input(1)), shapeOf(g, output0(n))); err != nil {
		return err.Error() + " has no CUDA plan yet"
	}
	return ""
}

// emitBinary computes Add, Sub, Mul or Div. An Add of two values of one
// shape is infertop_residual_add; everything else one infertop_binary
// launch whose grid's x covers the values of one sample and y the samples.
func emitBinary(b *builder, n *model.Node) error {
	if !allFloat(b.g, n) {
		return typedArith(b, n)
	}
	args, err := b.args(n.Input(0), n.Input(1))
	if err != nil {
		return err
	}
	sa, sb, so := b.shape(n.Input(0)), b.shape(n.Input(1)), b.shape(n.Outputs[0])
	total := b.elems(n.Outputs[0])
	if n.Op == "Add" && slices.Equal(sa, so) && slices.Equal(sb, so) {
		y := b.out(n.Outputs[0])
		b.elementwise(n.Name, KResidualAdd, total, args[0], args[1], ptr(y), i64(total), i64(0))
		return nil
	}
	return b.binary(n.Name, binaryCode(n.Op), args[0], args[1], b.out(n.Outputs[0]), so, sa, sb)
}

// binary launches infertop_binary: y (shape so) = a (shape sa) op b (shape
// sb), broadcast; y may be a when they have one shape. The grid's x covers
// the values of one sample, y the samples.
func (b *builder) binary(node string, op int64, a, c Arg, y Ref, so, sa, sc []int) error {
	n0, sa0, sc0, inner, err := broadcastAxes(sa, sc, so)
	if err != nil {
		return fmt.Errorf("node %s: %w", node, err)
	}
	return b.launchBinary(node, op, a, c, y, n0, sa0, sc0, inner)
}

// launchBinary launches infertop_binary over axes laid out by mergeAxes.
func (b *builder) launchBinary(node string, op int64, a, c Arg, y Ref, n0, sa0, sc0 int64, inner [][3]int64) error {
	per, ps, err := b.binaryGeometry(node, n0, sa0, sc0, inner)
	if err != nil {
		return err
	}
	ps = append([]Arg{a, c, ptr(y), i64(op)}, ps...)
	b.launch(node, KBinary, Dim3{X: blocks(per, Block), Y: clampInt(n0), Z: 1}, Dim3{X: Block, Y: 1, Z: 1}, ps...)
	return nil
}

// binaryGeometry returns the values per outer index and the walk's
// parameters from n0 on, the inner axes padded to binaryInner.
func (b *builder) binaryGeometry(node string, n0, sa0, sc0 int64, inner [][3]int64) (int64, []Arg, error) {
	per := int64(1)
	for _, ax := range inner {
		per *= ax[0]
	}
	if err := fits32(node, "the values per sample", per); err != nil {
		return 0, nil, err
	}
	ps := []Arg{i64(n0), i64(sa0), i64(sc0)}
	for range binaryInner - len(inner) {
		ps = append(ps, i64(1), i64(0), i64(0))
	}
	for _, ax := range inner {
		ps = append(ps, i64(ax[0]), i64(ax[1]), i64(ax[2]))
	}
	return per, ps, nil
}

// copyRows launches infertop_copy_rows: x [rows, cols] into rows of length
// ldy from y on; the grid's x covers the columns, y the rows.
func (b *builder) copyRows(node string, x Arg, y Ref, rows, cols, ldy int64) {
	b.launch(node, KCopyRows, Dim3{X: blocks(cols, Block), Y: clampInt(rows), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
		x, ptr(y), i64(rows), i64(cols), i64(ldy))
}

// axisOf is a node's axis attribute (def when it has none), made
// non-negative for rank r; ok is false outside [0, r).
func axisOf(n *model.Node, r int, def int64) (int, bool) {
	a := int(n.Attrs.Int("axis", def))
	if a < 0 {
		a += r
	}
	return a, a >= 0 && a < r
}

func concatReason(g *model.Graph, n *model.Node) string {
	if len(shapeOf(g, output0(n))) == 0 {
		return "a scalar has no CUDA plan"
	}
	return ""
}

// emitConcat copies each input into its place in the output: every input
// [rows, cols] (rows the product of the axes before the concatenated one)
// lands at its column offset in the output's rows of length ldy.
func emitConcat(b *builder, n *model.Node) error {
	args, err := b.args(n.Inputs...)
	if err != nil {
		return err
	}
	so := b.shape(n.Outputs[0])
	axis, _ := axisOf(n, len(so), 0)
	rows, ldy := int64(model.NumElems(so[:axis])), int64(model.NumElems(so[axis:]))
	if err := fits32(n.Name, "the output's row length", ldy); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	var at int64
	for i, in := range n.Inputs {
		cols := int64(model.NumElems(b.shape(in)[axis:]))
		if cols > 0 {
			b.copyRows(n.Name, args[i], y.Plus(at), rows, cols, ldy)
		}
		at += cols
	}
	return nil
}
