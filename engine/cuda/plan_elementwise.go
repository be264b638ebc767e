package cuda

import (
	"infertop/model"
)

// softmaxRows lays a Softmax's input out as [rows, cols, inner]: the
// normalized values of a row, cols of them, lie inner apart (opset 13 on,
// the one axis; before, cols covers every axis from the axis on).
func softmaxRows(g *model.Graph, n *model.Node) (rows, cols, inner int64, ok bool) {
	s := shapeOf(g, n.Input(0))
	old := g.Opset > 0 && g.Opset < 13
	def := int64(-1)
	if old {
		def = 1
	}
	axis, ok := axisOf(n, len(s), def)
	if !ok {
		return 0, 0, 0, false
	}
	rows, cols, inner = int64(model.NumElems(s[:axis])), int64(model.NumElems(s[axis:])), 1
	if !old {
		cols, inner = int64(s[axis]), int64(model.NumElems(s[axis+1:]))
	}
	return rows, cols, inner, true
}

func softmaxReason(g *model.Graph, n *model.Node) string {
	if _, _, _, ok := softmaxRows(g, n); !ok {
		return "a Softmax axis outside the input's has no CUDA plan"
	}
	return ""
}

// emitSoftmax runs infertop_softmax_rows, one block per row, on a copy of
// the input (the kernel works in place and a plan never writes its
// inputs): the output itself when the rows are contiguous, else a scratch
// copy with the axis moved last, moved back into the output after.
func emitSoftmax(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	rows, cols, inner, _ := softmaxRows(b.g, n)
	if err := fits32(n.Name, "the row length", cols); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	if rows*cols*inner == 0 {
		return nil
	}
	if inner == 1 {
		b.copyRows(n.Name, ptr(x), y, rows, cols, cols)
		b.rowwise(n.Name, KSoftmax, rows, ptr(y), i64(rows), i64(cols), f64(1))
		return nil
	}
	if err := fits32(n.Name, "a sample's values", cols*inner); err != nil {
		return err
	}
	o, a, in := int(rows), int(cols), int(inner)
	t := b.scratch(n.Name+"/axis last", rows*cols*inner)
	if err := b.strided(n.Name, binCopy, ptr(x), t, []int{o, in, a}, []int64{cols * inner, 1, inner}); err != nil {
		return err
	}
	b.rowwise(n.Name, KSoftmax, rows*inner, ptr(t), i64(rows*inner), i64(cols), f64(1))
	return b.strided(n.Name, binCopy, ptr(t), y, []int{o, a, in}, []int64{cols * inner, 1, cols})
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
