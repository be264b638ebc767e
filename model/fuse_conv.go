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
	spatial := len(w.Shape) - 2
	kernel := make([]int64, spatial)
	for i := range kernel {
		kernel[i] = int64(w.Shape[2+i])
	}
	if k, ok := n.Attrs.Ints("kernel_shape"); ok && !slices.Equal(k, kernel) {
		return false, fmt.Errorf("conv %q: kernel_shape %v does not match its weight's shape %v", n.Name, k, w.Shape)
	}
	strides := intsOr(n.Attrs, "strides", spatial, 1)
	dilations := intsOr(n.Attrs, "dilations", spatial, 1)
	pads := intsOr(n.Attrs, "pads", 2*spatial, 0)
	if len(strides) != spatial || len(dilations) != spatial || len(pads) != 2*spatial {
		return false, fmt.Errorf("conv %q: strides %v, dilations %v and pads %v must have %d, %d and %d values",
			n.Name, strides, dilations, pads, spatial, spatial, 2*spatial)
	}
	switch mode := n.Attrs.String("auto_pad", "NOTSET"); mode {
	case "NOTSET":
	case "VALID":
		pads = make([]int64, 2*spatial)
	case "SAME_UPPER", "SAME_LOWER":
		for i := 0; i < spatial; i++ {
			in := xs[2+i]
			if !in.Known() {
				return false, fmt.Errorf("conv %q: auto_pad %s needs the input's spatial size, and %q has shape %v", n.Name, mode, x, xs)
			}
			out := (int64(in.Size) + strides[i] - 1) / strides[i]
			total := max((out-1)*strides[i]+(kernel[i]-1)*dilations[i]+1-int64(in.Size), 0)
			begin := total / 2
			if mode == "SAME_LOWER" {
				begin = total - total/2
			}
			pads[i], pads[spatial+i] = begin, total-begin
		}
	default:
		return false, fmt.Errorf("conv %q: auto_pad %q is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", n.Name, mode)
	}
	fused := &Node{Name: n.Name, Op: OpFusedConv, Inputs: []string{x, n.Input(1), b}, Outputs: n.Outputs,
		Covers: coverAll(n), Attrs: Attrs{
			"kernel_shape": IntsAttr(kernel...), "strides": IntsAttr(strides...), "pads": IntsAttr(pads...),
			"dilations": IntsAttr(dilations...), "group": IntAttr(n.Attrs.Int("group", 1)),
		}}
	replace(g, []*Node{n}, fused)
	return true, nil
}

// intsOr returns an ints attribute, or n copies of def when it is not set.
func intsOr(a Attrs, name string, n int, def int64) []int64 {
	if v, ok := a.Ints(name); ok {
		return append([]int64{}, v...)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = def
	}
	return out
}
