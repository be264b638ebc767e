package model

import "slices"

// FuseGlobalPool turns a mean or a max over every spatial axis of an image
// (rank 4 or more) into the global pooling the engines compute in one pass,
// as the presets write it:
//
//	ReduceMean(x [N, C, d1 … dk], axes = 2 … k+1)  keepdims=1 → GlobalAveragePool(x)
//	                                               keepdims=0 → Flatten(GlobalAveragePool(x), axis=1)
//
// and ReduceMax likewise into GlobalMaxPool. The axes may be negative, in
// any order, an attribute or (from opset 18) a constant input. A mean over
// the last axis of [B, T, D] is left to FuseLayerNorm, which runs first.
var FuseGlobalPool = fusion("fuse-global-pool",
	"ReduceMean or ReduceMax over every spatial axis → GlobalAveragePool or GlobalMaxPool (+ Flatten)",
	fuseGlobalPool)

func fuseGlobalPool(ix *index, n *Node) bool {
	pool := map[string]string{"ReduceMean": "GlobalAveragePool", "ReduceMax": "GlobalMaxPool"}[n.Op]
	x := n.Input(0)
	xs := ix.shape(x)
	axes, ok := reductionAxes(ix, n)
	if pool == "" || !ok || len(xs) < 4 || !xs.Known() || !ix.isFloat(x) || len(axes) != len(xs)-2 {
		return false
	}
	norm := make([]int64, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += int64(len(xs))
		}
		norm[i] = a
	}
	slices.Sort(norm)
	for i, a := range norm {
		if a != int64(i+2) {
			return false
		}
	}
	g := ix.g
	p := &Node{Name: n.Name, Op: pool, Inputs: []string{x}, Outputs: n.Outputs, Covers: coverAll(n)}
	if n.Attrs.Int("keepdims", 1) == 1 {
		replace(g, []*Node{n}, p)
		return true
	}
	pooled := g.UniqueName(n.Name + "/pooled")
	shape := ShapeOf(xs[0].Size, xs[1].Size)
	for range xs[2:] {
		shape = append(shape, Fixed(1))
	}
	g.AddValue(&Value{Name: pooled, DType: Float32, Shape: shape})
	p.Outputs = []string{pooled}
	flat := &Node{Name: g.UniqueName(n.Name + "/flatten"), Op: "Flatten", Inputs: []string{pooled},
		Outputs: n.Outputs, Attrs: Attrs{"axis": IntAttr(1)}, Covers: coverAll(n)}
	replace(g, []*Node{n}, p, flat)
	return true
}
