package cuda

import (
	"infertop/model"
)

// MaxPool, AveragePool and GlobalMaxPool over 2-D windows: infertop_maxpool2
// for 2×2 max windows of stride 2 without padding or dilation,
// infertop_pool for any other window (a global pool's is the whole plane).

// window2 is a 2-D window's attributes: kernel, strides, padding before
// (top, left) and after (bottom, right) and dilations, each (height, width). The compiled graph has
// them explicit (auto_pad resolved); a missing one takes ONNX's default.
type window2 struct {
	kh, kw, sh, sw, pt, pl, pb, pr, dh, dw int64
}

// window2Of reads a node's 2-D window; k is the kernel's (height, width)
// when the node has no kernel_shape (a convolution's comes from its weight).
func window2Of(n *model.Node, kh, kw int64) window2 {
	if k, ok := n.Attrs.Ints("kernel_shape"); ok && len(k) == 1 {
		return window1Of(n)
	}
	two := func(name string, def int64) (int64, int64) {
		if v, ok := n.Attrs.Ints(name); ok && len(v) >= 2 {
			return v[0], v[1]
		}
		return def, def
	}
	w := window2{kh: kh, kw: kw}
	if k, ok := n.Attrs.Ints("kernel_shape"); ok && len(k) == 2 {
		w.kh, w.kw = k[0], k[1]
	}
	w.sh, w.sw = two("strides", 1)
	w.pt, w.pl = two("pads", 0)
	if p, ok := n.Attrs.Ints("pads"); ok && len(p) == 4 {
		w.pb, w.pr = p[2], p[3]
	}
	w.dh, w.dw = two("dilations", 1)
	return w
}

// window1Of reads a 1-D window's attributes as a 2-D window one row high,
// over a plane of one row (plane).
func window1Of(n *model.Node) window2 {
	one := func(name string, def int64) int64 {
		if v, ok := n.Attrs.Ints(name); ok && len(v) >= 1 {
			return v[0]
		}
		return def
	}
	w := window2{kh: 1, kw: one("kernel_shape", 1), sh: 1, sw: one("strides", 1), dh: 1, dw: one("dilations", 1)}
	if p, ok := n.Attrs.Ints("pads"); ok && len(p) == 2 {
		w.pl, w.pr = p[0], p[1]
	}
	return w
}

// plane is a 1-D layout [N, C, L] seen as 2-D [N, C, 1, L] (a 1-D
// kernel [O, C, K] as [O, C, 1, K]); other shapes as they are.
func plane(s []int) []int {
	if len(s) == 3 {
		return []int{s[0], s[1], 1, s[2]}
	}
	return s
}

func poolReason(g *model.Graph, n *model.Node) string {
	if r := len(shapeOf(g, n.Input(0))); r < 3 || r > 5 {
		return "only 1-D, 2-D and 3-D pooling have a CUDA plan"
	}
	return ""
}

// poolMode is infertop_pool's mode for a node: 0 max, 1 mean over the taps
// inside the input, 2 mean with count_include_pad.
func poolMode(n *model.Node) int64 {
	switch {
	case n.Op == "MaxPool" || n.Op == "GlobalMaxPool":
		return 0
	case n.Attrs.Int("count_include_pad", 0) != 0:
		return 2
	}
	return 1
}

// emitPool pools NCHW planes: the grid's x covers the planes, y the
// output pixels.
func emitPool(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	if len(b.shape(n.Input(0))) == 5 {
		return b.pool3d(n, x)
	}
	s, o := plane(b.shape(n.Input(0))), plane(b.shape(n.Outputs[0]))
	for _, lim := range []struct {
		what string
		v    int64
	}{{"the plane size h·w", int64(s[2]) * int64(s[3])}, {"the output plane size", int64(o[2]) * int64(o[3])}} {
		if err := fits32(n.Name, lim.what, lim.v); err != nil {
			return err
		}
	}
	win, mode := window2Of(n, 1, 1), poolMode(n)
	if n.Op == "GlobalMaxPool" {
		win = window2{kh: int64(s[2]), kw: int64(s[3]), sh: 1, sw: 1, dh: 1, dw: 1}
	}
	y := b.out(n.Outputs[0])
	planes, pix := int64(s[0])*int64(s[1]), int64(o[2])*int64(o[3])
	grid, blk := Dim3{X: clampInt(planes), Y: blocks(pix, Block), Z: 1}, Dim3{X: Block, Y: 1, Z: 1}
	args := []Arg{ptr(x), ptr(y), i64(planes), i64(int64(s[2])), i64(int64(s[3])), i64(int64(o[2])), i64(int64(o[3]))}
	if mode == 0 && win == (window2{kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1}) && int64(o[2]) == int64(s[2])/2 && int64(o[3]) == int64(s[3])/2 {
		b.launch(n.Name, KMaxPool2, grid, blk, args...)
		return nil
	}
	b.launch(n.Name, KPool, grid, blk, append(args, i64(win.kh), i64(win.kw), i64(win.sh), i64(win.sw),
		i64(win.pt), i64(win.pl), i64(win.pb), i64(win.pr), i64(win.dh), i64(win.dw), i64(mode))...)
	return nil
}
