package model

import (
	"slices"
	"testing"
)

// geluGraph builds x·0.5·(1 + erf(x/√2)) over x [2, 5] in one of PyTorch's
// forms: div (Div by √2, else Mul by 1/√2) and nesting "xa" (Mul(Mul(x, a), 0.5)),
// "a5" (Mul(x, Mul(a, 0.5))) or "x5" (Mul(Mul(x, 0.5), a)); half is the 0.5
// written, and leak makes the Erf's output read outside the pattern too.
func geluGraph(t *testing.T, div bool, nesting string, half float32, leak bool) *Graph {
	p := newPT(t, 20)
	x := p.in("x", 2, 5)
	var d string
	if div {
		d = p.op("Div", "div", nil, x, p.s("sqrt2", 1.4142135))
	} else {
		d = p.op("Mul", "div", nil, p.s("rsqrt2", 0.70710678), x)
	}
	e := p.op("Erf", "erf", nil, d)
	a := p.op("Add", "add", nil, p.s("one", 1), e)
	var y string
	switch nesting {
	case "xa":
		y = p.op("Mul", "mul2", nil, p.op("Mul", "mul1", nil, x, a), p.s("half", half))
	case "a5":
		y = p.op("Mul", "mul2", nil, x, p.op("Mul", "mul1", nil, a, p.s("half", half)))
	case "x5":
		y = p.op("Mul", "mul2", nil, a, p.op("Mul", "mul1", nil, p.s("half", half), x))
	}
	outs := []string{y}
	if leak {
		outs = append(outs, p.op("Neg", "leak", nil, e))
	}
	return p.build(outs...)
}

func TestFuseGelu(t *testing.T) {
	for _, div := range []bool{true, false} {
		for _, nesting := range []string{"xa", "a5", "x5"} {
			name := nesting + " by Mul"
			if div {
				name = nesting + " by Div"
			}
			t.Run(name, func(t *testing.T) {
				g := geluGraph(t, div, nesting, 0.5, false)
				c, _ := ptRun(t, g, FuseGelu)
				ptWantNodes(t, c, "Gelu(x) -> mul2")
				if n := c.Nodes[0]; n.Name != "erf" || len(n.Covers) != 5 || !slices.Contains(n.Covers, "mul1") {
					t.Errorf("node %q covers %v", n.Name, n.Covers)
				}
				ptSame(t, g, c)
			})
		}
	}
}

func TestFuseGeluLeavesOthers(t *testing.T) {
	ptUnchanged(t, geluGraph(t, true, "xa", 0.6, false), FuseGelu)
	ptUnchanged(t, geluGraph(t, false, "a5", 0.5, true), FuseGelu)
	t.Run("another divisor", func(t *testing.T) {
		p := newPT(t, 20)
		x := p.in("x", 2, 5)
		a := p.op("Add", "add", nil, p.op("Erf", "erf", nil, p.op("Div", "div", nil, x, p.s("c", 2))), p.s("one", 1))
		ptUnchanged(t, p.build(p.op("Mul", "mul2", nil, p.op("Mul", "mul1", nil, x, a), p.s("half", 0.5))), FuseGelu)
	})
	t.Run("the product of another value", func(t *testing.T) {
		p := newPT(t, 20)
		x := p.in("x", 2, 5)
		a := p.op("Add", "add", nil, p.op("Erf", "erf", nil, p.op("Div", "div", nil, x, p.s("c", 1.4142135))), p.s("one", 1))
		ptUnchanged(t, p.build(p.op("Mul", "mul2", nil, p.op("Mul", "mul1", nil, p.in("z", 2, 5), a), p.s("half", 0.5))), FuseGelu)
	})
}
