package model

import (
	"slices"
	"testing"
)

func TestFuseConv(t *testing.T) {
	tests := []struct {
		name             string
		attrs            Attrs
		x                []int
		w                []int
		pads             []int64
		strides, dilates []int64
		group            int64
	}{
		{name: "defaults made explicit", x: []int{1, 2, 5, 5}, w: []int{3, 2, 3, 3},
			pads: []int64{0, 0, 0, 0}, strides: []int64{1, 1}, dilates: []int64{1, 1}, group: 1},
		{name: "explicit pads kept", attrs: Attrs{"pads": IntsAttr(1, 2, 1, 0), "strides": IntsAttr(2, 1)},
			x: []int{1, 2, 5, 5}, w: []int{3, 2, 3, 3}, pads: []int64{1, 2, 1, 0}, strides: []int64{2, 1}, dilates: []int64{1, 1}, group: 1},
		// SAME_UPPER, stride 2 over 6: output 3, total padding (3−1)·2 + 3 − 6 = 1, the odd one at the end.
		{name: "SAME_UPPER", attrs: Attrs{"auto_pad": StringAttr("SAME_UPPER"), "strides": IntsAttr(2, 2)},
			x: []int{1, 1, 6, 6}, w: []int{2, 1, 3, 3}, pads: []int64{0, 0, 1, 1}, strides: []int64{2, 2}, dilates: []int64{1, 1}, group: 1},
		{name: "SAME_LOWER", attrs: Attrs{"auto_pad": StringAttr("SAME_LOWER"), "strides": IntsAttr(2, 2)},
			x: []int{1, 1, 6, 6}, w: []int{2, 1, 3, 3}, pads: []int64{1, 1, 0, 0}, strides: []int64{2, 2}, dilates: []int64{1, 1}, group: 1},
		{name: "VALID", attrs: Attrs{"auto_pad": StringAttr("VALID"), "pads": IntsAttr(1, 1, 1, 1)},
			x: []int{1, 1, 4, 4}, w: []int{1, 1, 3, 3}, pads: []int64{0, 0, 0, 0}, strides: []int64{1, 1}, dilates: []int64{1, 1}, group: 1},
		{name: "depthwise, dilated, 1-D", attrs: Attrs{"group": IntAttr(4), "dilations": IntsAttr(2)},
			x: []int{2, 4, 9}, w: []int{4, 1, 3}, pads: []int64{0, 0}, strides: []int64{1}, dilates: []int64{2}, group: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, 17)
			// Before inference, which resolves auto_pad too.
			g := p.raw(p.op("Conv", "conv", tc.attrs, p.in("x", tc.x...), p.w("W", tc.w...), p.w("B", tc.w[0])))
			c := g.Clone()
			if n, err := FuseConv.Run(c); err != nil || n != 1 {
				t.Fatalf("%d rewrites, %v", n, err)
			}
			if err := InferShapes(c); err != nil {
				t.Fatal(err)
			}
			ptWantNodes(t, c, "FusedConv(x, W, B) -> conv")
			n := c.Nodes[0]
			kernel := make([]int64, len(tc.w)-2)
			for i := range kernel {
				kernel[i] = int64(tc.w[2+i])
			}
			for name, want := range map[string][]int64{"pads": tc.pads, "strides": tc.strides, "dilations": tc.dilates, "kernel_shape": kernel} {
				if got, _ := n.Attrs.Ints(name); !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if got := n.Attrs.Int("group", 0); got != tc.group || n.Attrs.Has("auto_pad") {
				t.Errorf("group %d (want %d), auto_pad left: %v", got, tc.group, n.Attrs.Has("auto_pad"))
			}
			ptSame(t, g, c)
		})
	}
}

func TestFuseConvLeavesComputedWeights(t *testing.T) {
	p := newPT(t, 17)
	g := p.build(p.op("Conv", "conv", nil, p.in("x", 1, 1, 4, 4), p.in("w", 1, 1, 3, 3)))
	ptUnchanged(t, g, FuseConv)
}

func TestFuseConvRefusesAKernelShapeItsWeightContradicts(t *testing.T) {
	p := newPT(t, 17)
	g := p.raw(p.op("Conv", "conv", Attrs{"kernel_shape": IntsAttr(2, 2)}, p.in("x", 1, 1, 4, 4), p.w("W", 1, 1, 3, 3)))
	_, err := FuseConv.Run(g)
	if want := `conv "conv": kernel_shape [2 2] does not match its weight's shape [1 1 3 3]`; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
