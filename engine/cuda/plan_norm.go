package cuda

import (
	"infertop/model"
)

// A BatchNormalization the load-time passes did not fold into the
// convolution before it (none there, or run-time statistics): one
// infertop_batchnorm launch over [N, C, inner].

// batchNormPer reports the old per-activation form (spatial=0 before
// opset 9): parameters of shape [C, spatial…].
func batchNormPer(g *model.Graph, n *model.Node) bool {
	return g.Opset > 0 && g.Opset < 9 && n.Attrs.Int("spatial", 1) == 0
}

func batchNormReason(g *model.Graph, n *model.Node) string {
	x := shapeOf(g, n.Input(0))
	if len(x) < 2 {
		return "a BatchNormalization of an input without channels has no CUDA plan"
	}
	want := x[1]
	if batchNormPer(g, n) {
		want = model.NumElems(x[1:])
	}
	for _, p := range n.Inputs[1:] {
		if model.NumElems(shapeOf(g, p)) != want {
			return "a BatchNormalization parameter that is not one value per channel has no CUDA plan"
		}
	}
	if int64(model.NumElems(x[1:])) >= 1<<31 {
		return "a BatchNormalization of 2^31 values per sample or more has no CUDA plan"
	}
	return ""
}

// emitBatchNorm normalizes every channel; the running mean and variance
// outputs of the old opsets, when read, are copies of the mean and var
// inputs (as model.Eval gives them).
func emitBatchNorm(b *builder, n *model.Node) error {
	args, err := b.args(n.Inputs[:5]...)
	if err != nil {
		return err
	}
	x := b.shape(n.Input(0))
	nn, c, inner := int64(x[0]), int64(x[1]), int64(model.NumElems(x[2:]))
	per := int64(0)
	if batchNormPer(b.g, n) {
		per = 1
	}
	y := b.out(n.Outputs[0])
	if nn*c*inner > 0 {
		b.launch(n.Name, KBatchNorm, Dim3{X: blocks(inner, Block), Y: clampInt(c), Z: clampInt(nn)}, Dim3{X: Block, Y: 1, Z: 1},
			args[0], ptr(y), args[1], args[2], args[3], args[4], i64(nn), i64(c), i64(inner), i64(per),
			f64(float64(n.Attrs.Float("epsilon", 1e-5))))
	}
	for i, o := range n.Outputs[1:] {
		if !read(b.g, o) {
			continue
		}
		src := args[3+i%2]
		cols := b.elems(o)
		b.copyRows(n.Name, src, b.out(o), 1, cols, cols)
	}
	return nil
}
