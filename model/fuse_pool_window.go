package model

import "slices"

// ExplicitPools writes out every window attribute of MaxPool and
// AveragePool, as FuseConv does for convolutions, so that engines (and the
// comparison of an imported graph with a built-in one) see one form:
// kernel_shape, strides, dilations and pads (auto_pad resolved), ceil_mode,
// and AveragePool's count_include_pad. Defaults are ONNX's: strides and
// dilations 1, no padding, floor, padding not counted.
var ExplicitPools = Pass{
	Name: "explicit-pools",
	Doc:  "MaxPool and AveragePool with every window attribute explicit (auto_pad resolved)",
	Run: func(g *Graph) (int, error) {
		count := 0
		for _, n := range g.Nodes {
			if n.Op != "MaxPool" && n.Op != "AveragePool" {
				continue
			}
			k, ok := n.Attrs.Ints("kernel_shape")
			x := g.Values[n.Input(0)]
			if !ok || x == nil || len(x.Shape) != len(k)+2 {
				continue
			}
			kernel := make([]int, len(k))
			for i, v := range k {
				kernel[i] = int(v)
			}
			attrs, err := explicitWindow(n, x.Shape, kernel, true)
			if err != nil {
				return count, err
			}
			attrs["ceil_mode"] = IntAttr(n.Attrs.Int("ceil_mode", 0))
			if n.Op == "AveragePool" {
				attrs["count_include_pad"] = IntAttr(n.Attrs.Int("count_include_pad", 0))
			}
			if sameAttrs(attrs, n.Attrs) {
				continue
			}
			n.Attrs = attrs
			count++
		}
		return count, nil
	},
}

// sameAttrs reports two attribute maps of the same names and values.
func sameAttrs(a, b Attrs) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Kind != w.Kind || v.Int != w.Int || v.Float != w.Float || v.Str != w.Str ||
			!slices.Equal(v.Ints, w.Ints) || !slices.Equal(v.Floats, w.Floats) {
			return false
		}
	}
	return true
}
