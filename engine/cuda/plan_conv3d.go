package cuda

import (
	"infertop/model"
)

// Three-dimensional convolutions and pooling (NCDHW), one thread per
// output value (infertop_conv3d, infertop_pool3d), and convolutions whose
// weight is computed at run time, which take the direct way (the 2-D or
// 3-D kernel) in every precision: they read the weight where the graph
// computes it.

// window3 is a 3-D window's attributes: kernel, strides, padding before
// and after and dilations, each (depth, height, width).
type window3 struct {
	k, s, pb, pe, d [3]int64
}

// window3Of reads a node's 3-D window; k is the kernel when the node has
// no kernel_shape (a convolution's comes from its weight).
func window3Of(n *model.Node, k [3]int64) window3 {
	w := window3{k: k, s: [3]int64{1, 1, 1}, d: [3]int64{1, 1, 1}}
	read := func(name string, into *[3]int64, from int) {
		if v, ok := n.Attrs.Ints(name); ok && len(v) >= from+3 {
			copy(into[:], v[from:from+3])
		}
	}
	read("kernel_shape", &w.k, 0)
	read("strides", &w.s, 0)
	read("dilations", &w.d, 0)
	read("pads", &w.pb, 0)
	read("pads", &w.pe, 3)
	return w
}

// conv3dLimits are the sizes infertop_conv3d indexes with 32 bits.
func conv3dLimits(x, w, y []int) []fitLimit {
	return []fitLimit{{"the input per sample", int64(model.NumElems(x[1:]))}, {"the output per sample", int64(model.NumElems(y[1:]))},
		{"the weight", int64(model.NumElems(w))}}
}

// fitLimit is a size a kernel indexes with 32 bits, named for messages.
type fitLimit struct {
	what string
	v    int64
}

// convVolume emits one infertop_conv3d launch: the grid's x covers the
// output voxels, y the output channels, z the samples.
func (b *builder) convVolume(n *model.Node, x, w, bias Ref, act epilogue) (Ref, error) {
	xs, ws, ys := b.shape(n.Input(0)), b.shape(n.Input(1)), b.shape(n.Outputs[0])
	for _, lim := range conv3dLimits(xs, ws, ys) {
		if err := fits32(n.Name, lim.what, lim.v); err != nil {
			return Ref{}, err
		}
	}
	win := window3Of(n, [3]int64{int64(ws[2]), int64(ws[3]), int64(ws[4])})
	y := b.out(n.Outputs[0])
	vox := int64(ys[2] * ys[3] * ys[4])
	args := []Arg{ptr(x), ptr(w), ptr(bias), ptr(y), i64(int64(xs[0])), i64(int64(xs[1])), i64(int64(xs[2])), i64(int64(xs[3])),
		i64(int64(xs[4])), i64(int64(ys[1])), i64(n.Attrs.Int("group", 1))}
	for _, v := range [][3]int64{win.k, win.s, win.pb, win.d} {
		args = append(args, i64(v[0]), i64(v[1]), i64(v[2]))
	}
	args = append(args, i64(int64(ys[2])), i64(int64(ys[3])), i64(int64(ys[4])))
	b.launch(n.Name, KConv3D, Dim3{X: blocks(vox, Block), Y: clampInt(int64(ys[1])), Z: clampInt(int64(xs[0]))},
		Dim3{X: Block, Y: 1, Z: 1}, append(args, act.args()...)...)
	return y, nil
}

// pool3d pools NCDHW volumes: the grid's x covers the planes, y the
// output voxels.
func (b *builder) pool3d(n *model.Node, x Ref) error {
	s, o := b.shape(n.Input(0)), b.shape(n.Outputs[0])
	for _, lim := range []fitLimit{{"the volume d·h·w", int64(model.NumElems(s[2:]))}, {"the output volume", int64(model.NumElems(o[2:]))}} {
		if err := fits32(n.Name, lim.what, lim.v); err != nil {
			return err
		}
	}
	win := window3Of(n, [3]int64{1, 1, 1})
	if n.Op == "GlobalMaxPool" {
		win = window3{k: [3]int64{int64(s[2]), int64(s[3]), int64(s[4])}, s: [3]int64{1, 1, 1}, d: [3]int64{1, 1, 1}}
	}
	y := b.out(n.Outputs[0])
	planes, vox := int64(s[0]*s[1]), int64(model.NumElems(o[2:]))
	args := []Arg{ptr(x), ptr(y), i64(planes), i64(int64(s[2])), i64(int64(s[3])), i64(int64(s[4])),
		i64(int64(o[2])), i64(int64(o[3])), i64(int64(o[4]))}
	for _, v := range [][3]int64{win.k, win.s, win.pb, win.pe, win.d} {
		args = append(args, i64(v[0]), i64(v[1]), i64(v[2]))
	}
	b.launch(n.Name, KPool3D, Dim3{X: clampInt(planes), Y: blocks(vox, Block), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
		append(args, i64(poolMode(n)))...)
	return nil
}

// rawConvNode is a Conv whose weight is computed, as the OpFusedConv node
// the plans compute: its window explicit.
func rawConvNode(g *model.Graph, n *model.Node) (*model.Node, error) {
	attrs, err := model.ConvWindow(g, n)
	if err != nil {
		return nil, err
	}
	return &model.Node{Name: n.Name, Op: model.OpFusedConv, Inputs: n.Inputs, Outputs: n.Outputs, Covers: n.Covers, Attrs: attrs}, nil
}

func rawConvReason(g *model.Graph, n *model.Node) string {
	f, err := rawConvNode(g, n)
	if err != nil {
		return err.Error()
	}
	return convReason(g, f)
}

// emitRawConv computes a Conv whose weight is computed at run time.
func emitRawConv(b *builder, n *model.Node) error {
	f, err := rawConvNode(b.g, n)
	if err != nil {
		return err
	}
	return emitConv(b, f)
}
