package model

import (
	"slices"
	"testing"
)

func TestExplicitPools(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		attrs Attrs
		want  map[string][]int64
	}{
		{"MaxPool defaults", "MaxPool", Attrs{"kernel_shape": IntsAttr(2, 2), "strides": IntsAttr(2, 2)}, map[string][]int64{
			"kernel_shape": {2, 2}, "strides": {2, 2}, "dilations": {1, 1}, "pads": {0, 0, 0, 0}, "ceil_mode": {0}}},
		// SAME_UPPER, stride 2 over 5 with a 2-wide window: output 3, padding (3−1)·2 + 2 − 5 = 1, at the end.
		{"AveragePool SAME_UPPER, ceil", "AveragePool", Attrs{"kernel_shape": IntsAttr(2, 2), "strides": IntsAttr(2, 2),
			"auto_pad": StringAttr("SAME_UPPER"), "ceil_mode": IntAttr(1)}, map[string][]int64{
			"kernel_shape": {2, 2}, "strides": {2, 2}, "dilations": {1, 1}, "pads": {0, 0, 1, 1}, "ceil_mode": {1}, "count_include_pad": {0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, 13)
			g := p.raw(p.op(tc.op, "pool", tc.attrs, p.in("x", 1, 2, 5, 5)))
			c := g.Clone()
			if n, err := ExplicitPools.Run(c); err != nil || n != 1 {
				t.Fatalf("%d rewrites, %v", n, err)
			}
			a := c.Nodes[0].Attrs
			if len(a) != len(tc.want) {
				t.Errorf("attributes %v, want %v", a, tc.want)
			}
			for name, want := range tc.want {
				got, _ := a.Ints(name)
				if len(want) == 1 && name != "kernel_shape" {
					got = []int64{a.Int(name, -1)}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if n, _ := ExplicitPools.Run(c); n != 0 {
				t.Errorf("a second run rewrote %d nodes", n)
			}
			if err := InferShapes(g); err != nil {
				t.Fatal(err)
			}
			if err := InferShapes(c); err != nil {
				t.Fatal(err)
			}
			ptSame(t, g, c)
		})
	}
}
