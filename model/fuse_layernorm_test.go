package model

import (
	"slices"
	"testing"
)

// lnParts are the choices a layer-norm decomposition is built with.
type lnParts struct {
	axes     []int64 // of both ReduceMeans
	exponent float32
	scale    []int   // the Mul's constant shape; nil: no Mul
	bias     []int   // the Add's constant shape; nil: no Add
	swap     bool    // constants first in the Mul and the Add
	leak     bool    // the Sub's output read outside the pattern too
	axesIn   bool    // axes as a constant input (opset 18) instead of an attribute
	eps      float32 // added to the variance
}

// layerNormGraph builds PyTorch's opset-13 layer norm of x [2, 3, 4].
func layerNormGraph(t *testing.T, lp lnParts) *Graph {
	opset := 17
	if lp.axesIn {
		opset = 18
	}
	p := newPT(t, opset)
	x := p.in("x", 2, 3, 4)
	reduce := func(name, in string) string {
		if lp.axesIn {
			return p.op("ReduceMean", name, nil, in, p.ints(name+".axes", lp.axes...))
		}
		return p.op("ReduceMean", name, Attrs{"axes": IntsAttr(lp.axes...)}, in)
	}
	bin := func(op, name, a, b string) string {
		if lp.swap {
			a, b = b, a
		}
		return p.op(op, name, nil, a, b)
	}
	d := p.op("Sub", "sub", nil, x, reduce("mean", x))
	v := reduce("var", p.op("Pow", "pow", nil, d, p.s("two", lp.exponent)))
	y := p.op("Div", "div", nil, d, p.op("Sqrt", "sqrt", nil, p.op("Add", "addeps", nil, v, p.s("eps", lp.eps))))
	if lp.scale != nil {
		y = bin("Mul", "mul", y, p.pos("gamma", lp.scale...))
	}
	if lp.bias != nil {
		y = bin("Add", "add", y, p.w("beta", lp.bias...))
	}
	outs := []string{y}
	if lp.leak {
		outs = append(outs, p.op("Neg", "leak", nil, d))
	}
	return p.build(outs...)
}

// lnFull is PyTorch's layer norm over the last axis, with an affine transform.
func lnFull() lnParts {
	return lnParts{axes: []int64{-1}, exponent: 2, scale: []int{4}, bias: []int{4}, eps: 1e-5}
}

// lnWith returns lnFull changed by f.
func lnWith(f func(*lnParts)) lnParts { lp := lnFull(); f(&lp); return lp }

func TestFuseLayerNorm(t *testing.T) {
	tests := []struct {
		name string
		lp   lnParts
		want []string
	}{
		{"PyTorch's opset 13 export", lnFull(), []string{"LayerNormalization(x, gamma, beta) -> add"}},
		{"axes as rank-1, constants first", lnWith(func(lp *lnParts) { lp.axes, lp.swap = []int64{2}, true }),
			[]string{"LayerNormalization(x, gamma, beta) -> add"}},
		{"axes as an input (opset 18)", lnWith(func(lp *lnParts) { lp.axesIn = true }),
			[]string{"LayerNormalization(x, gamma, beta) -> add"}},
		{"[1, 1, D] parameters", lnWith(func(lp *lnParts) { lp.scale, lp.bias = []int{1, 1, 4}, []int{1, 4} }),
			[]string{"LayerNormalization(x, mean/scale, mean/bias) -> add"}},
		{"no affine transform", lnWith(func(lp *lnParts) { lp.scale, lp.bias = nil, nil }),
			[]string{"LayerNormalization(x, mean/scale) -> div"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := layerNormGraph(t, tc.lp)
			c, _ := ptRun(t, g, FuseLayerNorm)
			ptWantNodes(t, c, tc.want...)
			n := c.Nodes[0]
			if n.Name != "mean" || n.Attrs.Int("axis", 0) != -1 || n.Attrs.Float("epsilon", 0) != 1e-5 {
				t.Errorf("node %q, axis %d, epsilon %g", n.Name, n.Attrs.Int("axis", 0), n.Attrs.Float("epsilon", 0))
			}
			if len(n.Covers) < 7 || n.Covers[0] != "mean" {
				t.Errorf("covers %v", n.Covers)
			}
			if s := c.Const(n.Inputs[1]); !slices.Equal(s.Shape, []int{4}) {
				t.Errorf("scale shape %v, want [4]", s.Shape)
			}
			ptSame(t, g, c)
		})
	}
}

func TestFuseLayerNormLeavesOthers(t *testing.T) {
	tests := []struct {
		name string
		lp   lnParts
	}{
		{"another axis", lnWith(func(lp *lnParts) { lp.axes = []int64{1} })},
		{"two axes", lnWith(func(lp *lnParts) { lp.axes = []int64{1, 2} })},
		{"exponent 3", lnWith(func(lp *lnParts) { lp.exponent = 3 })},
		{"x − mean read outside", lnWith(func(lp *lnParts) { lp.leak = true })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ptUnchanged(t, layerNormGraph(t, tc.lp), FuseLayerNorm)
		})
	}
	t.Run("a scale of another size stays a Mul", func(t *testing.T) {
		g := layerNormGraph(t, lnWith(func(lp *lnParts) { lp.scale = []int{3, 1} }))
		c, _ := ptRun(t, g, FuseLayerNorm)
		ptWantNodes(t, c, "LayerNormalization(x, mean/scale) -> div", "Mul(div, gamma) -> mul", "Add(mul, beta) -> add")
		ptSame(t, g, c)
	})
}
