package model

import (
	"slices"
	"testing"
)

// x·sigmoid(x) after a Linear or a FusedConv becomes its Swish epilogue,
// whichever input of the Mul the Sigmoid is, and computes the same.
func TestFuseSwish(t *testing.T) {
	for _, sigFirst := range []bool{false, true} {
		p := newPT(t, 17)
		fc := p.op(OpLinear, "fc", nil, p.in("x", 3, 4), p.w("w", 5, 4), p.w("b", 5))
		sig := p.op("Sigmoid", "sig", nil, fc)
		ins := []string{fc, sig}
		if sigFirst {
			ins = []string{sig, fc}
		}
		g := p.build(p.op("Mul", "silu", nil, ins...))
		c, _ := ptRun(t, g, FuseSwish, FuseActivation)
		ptWantNodes(t, c, "Linear/Swish(x, w, b) -> silu")
		if n := c.Nodes[0]; !slices.Equal(n.Covers, []string{"fc", "sig", "silu"}) || n.Name != "fc" {
			t.Errorf("node %q covers %v", n.Name, n.Covers)
		}
		ptSame(t, g, c)
	}
	// On a convolution, after its residual.
	p := newPT(t, 17)
	conv := p.op(OpFusedConv, "conv", Attrs{"kernel_shape": IntsAttr(1, 1), "pads": IntsAttr(0, 0, 0, 0),
		"strides": IntsAttr(1, 1), "dilations": IntsAttr(1, 1), "group": IntAttr(1)}, p.in("x", 1, 2, 3, 3), p.w("w", 2, 2, 1, 1))
	sum := p.op("Add", "add", nil, conv, p.in("r", 1, 2, 3, 3))
	g := p.build(p.op("Mul", "silu", nil, sum, p.op("Sigmoid", "sig", nil, sum)))
	c, _ := ptRun(t, g, FuseResidual, FuseSwish, FuseActivation)
	ptWantNodes(t, c, "FusedConv/Swish(x, w, , r) -> silu")
	ptSame(t, g, c)
}

func TestFuseSwishLeavesOthers(t *testing.T) {
	tests := []struct {
		name  string
		build func(p *ptNet, fc string) *Graph
	}{
		{"x read by a third node", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Mul", "silu", nil, fc, p.op("Sigmoid", "sig", nil, fc)), p.op("Neg", "neg", nil, fc))
		}},
		{"the sigmoid read twice", func(p *ptNet, fc string) *Graph {
			sig := p.op("Sigmoid", "sig", nil, fc)
			return p.build(p.op("Mul", "silu", nil, fc, sig), p.op("Neg", "neg", nil, sig))
		}},
		{"the sigmoid of something else", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Mul", "silu", nil, fc, p.op("Sigmoid", "sig", nil, p.in("y", 3, 5))))
		}},
		{"x a graph output", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Mul", "silu", nil, fc, p.op("Sigmoid", "sig", nil, fc)), fc)
		}},
		{"a producer with an activation", func(p *ptNet, fc string) *Graph {
			r := p.op("Relu", "relu", nil, fc)
			return p.build(p.op("Mul", "silu", nil, r, p.op("Sigmoid", "sig", nil, r)))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, 17)
			g := tc.build(p, p.op(OpLinear, "fc", nil, p.in("x", 3, 4), p.w("w", 5, 4)))
			if tc.name == "a producer with an activation" {
				g, _ = ptRun(t, g, FuseActivation) // Linear/Relu, read by the Sigmoid and the Mul
				ptWantNodes(t, g, "Linear/Relu(x, w) -> relu", "Sigmoid(relu) -> sig", "Mul(relu, sig) -> silu")
			}
			first, _ := ptRun(t, g, FuseSwish)
			ptUnchanged(t, first, FuseSwish)
			if !slices.Equal(ptNodes(first), ptNodes(g)) {
				t.Fatalf("rewrote %v", ptNodes(first))
			}
		})
	}
}
