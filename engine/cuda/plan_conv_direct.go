package cuda

import (
	"infertop/model"
)

// convDirect emits one launch of infertop_conv_direct, which computes any
// 2-D convolution (groups, dilations, a rectangular kernel, strides and
// padding per axis) with bias and activation, and a 1-D one as a 2-D one a
// row high: the grid's x covers the
// output pixels, y the output channels, z the samples.
func (b *builder) convDirect(n *model.Node, x, w, bias Ref, act epilogue) (Ref, error) {
	xs, ws, ys := plane(b.shape(n.Input(0))), plane(b.shape(n.Input(1))), plane(b.shape(n.Outputs[0]))
	win := window2Of(n, int64(ws[2]), int64(ws[3]))
	c, h, wd := int64(xs[1]), int64(xs[2]), int64(xs[3])
	out, oh, ow := int64(ys[1]), int64(ys[2]), int64(ys[3])
	for _, lim := range []struct {
		what string
		v    int64
	}{{"the input per sample c·h·w", c * h * wd}, {"the output per sample", out * oh * ow}, {"the weight", int64(model.NumElems(ws))},
		{"the rows h + the padding", h + win.pt + win.kh*win.dh}, {"the columns w + the padding", wd + win.pl + win.kw*win.dw},
		{"oh·stride", oh * win.sh}, {"ow·stride", ow * win.sw}} {
		if err := fits32(n.Name, lim.what, lim.v); err != nil {
			return Ref{}, err
		}
	}
	y := b.out(n.Outputs[0])
	group := n.Attrs.Int("group", 1)
	b.launch(n.Name, KConvDirect, Dim3{X: blocks(oh*ow, Block), Y: clampInt(out), Z: clampInt(int64(xs[0]))}, Dim3{X: Block, Y: 1, Z: 1},
		append([]Arg{ptr(x), ptr(w), ptr(bias), ptr(y), i64(int64(xs[0])), i64(c), i64(h), i64(wd), i64(out), i64(group),
			i64(win.kh), i64(win.kw), i64(win.sh), i64(win.sw), i64(win.pt), i64(win.pl), i64(win.dh), i64(win.dw),
			i64(oh), i64(ow)}, act.args()...)...)
	return y, nil
}
