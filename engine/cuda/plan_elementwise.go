package cuda

import (
	"infertop/model"
)

// softmaxRows is how a Softmax node's input splits into rows the softmax
// runs along: before opset 13 the axes from the node's axis on (the input
// flattened to 2-D there), from 13 the axis alone, which must then be the
// last of those larger than 1. ok is false otherwise.
func softmaxRows(g *model.Graph, n *model.Node) (rows, cols int64, ok bool) {
	s := shapeOf(g, n.Input(0))
	old := g.Opset > 0 && g.Opset < 13
	def := int64(-1)
	if old {
		def = 1
	}
	axis := int(n.Attrs.Int("axis", def))
	if axis < 0 {
		axis += len(s)
	}
	if axis < 0 || axis >= len(s) {
		return 0, 0, false
	}
	if !old && model.NumElems(s[axis+1:]) != 1 {
		return 0, 0, false
	}
	rows, cols = int64(model.NumElems(s[:axis])), int64(model.NumElems(s[axis:]))
	return rows, cols, true
}

func softmaxReason(g *model.Graph, n *model.Node) string {
	if _, _, ok := softmaxRows(g, n); !ok {
		return "Softmax along an axis other than the last has no CUDA plan yet"
	}
	return ""
}

// emitSoftmax copies the input into the output (the kernel works in place
// and a plan never writes its inputs) and runs infertop_softmax_rows on it,
// one block per row.
func emitSoftmax(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	rows, cols, _ := softmaxRows(b.g, n)
	if err := fits32(n.Name, "the row length", cols); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	b.copyRows(n.Name, ptr(x), y, rows, cols, cols)
	b.rowwise(n.Name, KSoftmax, rows, ptr(y), i64(rows), i64(cols), f64(1))
	return nil
}

// The nodes computed by one kernel each: the global pool, the layer norm and
// Softmax,
// the kernels that apply an activation or add a residual, and the renamings
// that take no step.

// emitAlias makes a Reshape, Flatten, Squeeze, Unsqueeze or Identity output
// share its input's memory: the data is the same row-major values.
func emitAlias(b *builder, n *model.Node) error { return b.alias(n.Outputs[0], n.Input(0)) }

// activate applies act to every value of x (shape s) into y, row by row of
// its last axis.
func (b *builder) activate(node string, x, y Ref, s []int, act epilogue) error {
	cols := int64(1)
	if len(s) > 0 {
		cols = int64(s[len(s)-1])
	}
	rows := int64(model.NumElems(s)) / max(cols, 1)
	return b.biasAct(node, x, y, nilPtr(), rows, cols, act)
}

// biasAct launches infertop_bias_act over row-major [rows, cols]: blocks of
// Block threads shaped (bx, by) with bx the power of two ≥ cols (at most
// Block), so narrow outputs (10 classes) still fill most of each block.
func (b *builder) biasAct(node string, x, y Ref, bias Arg, rows, cols int64, act epilogue) error {
	if err := fits32(node, "the row length", cols); err != nil {
		return err
	}
	bx := int64(1)
	for bx < cols && bx < Block {
		bx *= 2
	}
	by := Block / bx
	b.launch(node, KBiasAct, Dim3{X: blocks(cols, bx), Y: blocks(rows, by), Z: 1}, Dim3{X: int(bx), Y: int(by), Z: 1},
		append([]Arg{ptr(x), ptr(y), bias, i64(rows), i64(cols)}, act.args()...)...)
	return nil
}

// residual adds r to y (shape s) in place and applies act: ReLU inside the
// residual kernel, any other activation as a kernel of its own after it.
func (b *builder) residual(node string, y, r Ref, s []int, act epilogue) error {
	total := int64(model.NumElems(s))
	relu := int64(0)
	if act.code == ActReLU {
		relu = 1
	}
	b.elementwise(node, KResidualAdd, total, ptr(y), ptr(r), ptr(y), i64(total), i64(relu))
	if act.code != ActNone && act.code != ActReLU {
		return b.activate(node, y, y, s, act)
	}
	return nil
}

// emitGlobalPool averages each plane [N, C, spatial...] → [N, C, 1...].
func emitGlobalPool(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	s := b.shape(n.Input(0))
	nc, hw := int64(s[0])*int64(s[1]), int64(model.NumElems(s[2:]))
	if err := fits32(n.Name, "the plane size", hw); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	b.elementwise(n.Name, KAvgPool, nc, ptr(x), ptr(y), i64(nc), i64(hw))
	return nil
}

// emitLayerNorm normalizes each row of the axes from the node's axis on
// (biased variance, the node's epsilon), then scales and shifts it; a
// missing bias adds zeros. The kernel also writes each row's mean and
// 1/√(variance + ε) where the Mean and InvStdDev outputs are read.
func emitLayerNorm(b *builder, n *model.Node) error {
	s := b.shape(n.Input(0))
	axis, _ := axisOf(n, len(s), -1)
	d := int64(model.NumElems(s[axis:]))
	args, err := b.args(n.Input(0), n.Input(1), n.Input(2))
	if err != nil {
		return err
	}
	if args[2].IsNull() {
		args[2] = ptr(b.zeroBias(d))
	}
	if err := fits32(n.Name, "the row length", d); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	rows := b.elems(n.Input(0)) / max(d, 1)
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	stats := []Arg{nilPtr(), nilPtr()} // Mean and InvStdDev, where read
	for i, o := range n.Outputs[1:min(len(n.Outputs), 3)] {
		if read(b.g, o) {
			stats[i] = ptr(b.out(o))
		}
	}
	b.rowwise(n.Name, KLayerNorm, rows, append([]Arg{args[0], ptr(y), args[1], args[2], i64(rows), i64(d), f64(eps)}, stats...)...)
	return nil
}
