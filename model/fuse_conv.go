package model

import (
	"fmt"
	"slices"
)

// FuseConv turns every Conv with a constant float32 weight (and a constant
// bias, or none) into OpFusedConv, its attributes made explicit: kernel_shape
// from the weight, strides and dilations (default 1), group (default 1) and
// pads, with auto_pad resolved against the input's spatial shape (VALID: no
// padding; SAME_UPPER and SAME_LOWER: the output is ⌈input / stride⌉, the odd
// pixel of padding at the end or at the start). A Conv whose weight is
// computed stays a Conv.
var FuseConv = Pass{
	Name: "fuse-conv",
	Doc:  "Conv with constant weights → FusedConv with explicit pads (auto_pad resolved)",
	Run: func(g *Graph) (int, error) {
		return fuseAll(g, func(ix *index, n *Node) (bool, error) { return fuseConv(ix, n) })
	},
}

func fuseConv(ix *index, n *Node) (bool, error) {
	g := ix.g
	if n.Op != "Conv" {
		return false, nil
	}
	x, w, b := n.Input(0), g.Const(n.Input(1)), n.Input(2)
	xs := ix.shape(x)
	if w == nil || w.DType != Float32 || len(w.Shape) < 3 || !ix.isFloat(x) ||
		(b != "" && (g.Const(b) == nil || g.Const(b).DType != Float32)) || len(xs) != len(w.Shape) {
		return false, nil
	}
	kernel := w.Shape[2:]
	if k, ok := n.Attrs.Ints("kernel_shape"); ok && !slices.Equal(k, toInt64s(kernel)) {
		return false, fmt.Errorf("conv %q: kernel_shape %v does not match its weight's shape %v", n.Name, k, w.Shape)
	}
	attrs, err := explicitWindow(n, xs, kernel, false)
	if err != nil {
		return false, err
	}
	attrs["group"] = IntAttr(n.Attrs.Int("group", 1))
	fused := &Node{Name: n.Name, Op: OpFusedConv, Inputs: []string{x, n.Input(1), b}, Outputs: n.Outputs,
		Covers: coverAll(n), Attrs: attrs}
	replace(g, []*Node{n}, fused)
	return true, nil
}

// explicitWindow returns the window attributes of a convolution or a pool
// over input x with the given kernel, every one explicit and auto_pad
// resolved: kernel_shape, strides, dilations, pads.
func explicitWindow(n *Node, x Shape, kernel []int, pool bool) (Attrs, error) {
	w, err := windowOf(n.Attrs, spatialInts(x), kernel, pool)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", n.Op, n.Name, err)
	}
	if ap := n.Attrs.String("auto_pad", "NOTSET"); ap != "NOTSET" && !w.known() {
		return nil, fmt.Errorf("%s %q: auto_pad %s needs the input's spatial size, and it has shape %v", n.Op, n.Name, ap, x)
	}
	ns, off := w.nsp, 3-w.nsp
	k, s, d, p := make([]int64, ns), make([]int64, ns), make([]int64, ns), make([]int64, 2*ns)
	for i := range ns {
		j := off + i
		k[i], s[i], d[i] = int64(w.k[j]), int64(w.stride[j]), int64(w.dil[j])
		p[i], p[ns+i] = int64(w.padB[j]), int64(w.padE[j])
	}
	return Attrs{"kernel_shape": IntsAttr(k...), "strides": IntsAttr(s...), "dilations": IntsAttr(d...), "pads": IntsAttr(p...)}, nil
}

// toInt64s widens sizes to int64s.
func toInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// ConvWindow returns the attributes OpFusedConv gives a Conv node of g
// whose weight is computed at run time (so FuseConv left it a Conv): the
// window made explicit against the input's and the weight's shapes, and
// the group.
func ConvWindow(g *Graph, n *Node) (Attrs, error) {
	x, w := g.Values[n.Input(0)], g.Values[n.Input(1)]
	if x == nil || w == nil || !w.Shape.Known() || len(w.Shape) < 3 {
		return nil, fmt.Errorf("conv %q: its weight's shape is unknown", n.Name)
	}
	attrs, err := explicitWindow(n, x.Shape, w.Shape.Ints()[2:], false)
	if err != nil {
		return nil, err
	}
	attrs["group"] = IntAttr(n.Attrs.Int("group", 1))
	return attrs, nil
}
