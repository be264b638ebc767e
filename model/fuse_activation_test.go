package model

import (
	"math"
	"slices"
	"testing"
)

func TestFuseActivation(t *testing.T) {
	inf := float32(math.Inf(1))
	tests := []struct {
		name  string
		opset int
		op    string
		attrs Attrs
		extra func(p *ptNet) []string
		want  Activation
	}{
		{name: "Relu", op: "Relu", want: Activation{Op: "Relu"}},
		{name: "Sigmoid", op: "Sigmoid", want: Activation{Op: "Sigmoid"}},
		{name: "Tanh", op: "Tanh", want: Activation{Op: "Tanh"}},
		{name: "HardSwish", op: "HardSwish", want: Activation{Op: "HardSwish"}},
		{name: "LeakyRelu default", op: "LeakyRelu", want: Activation{Op: "LeakyRelu", Params: []float32{0.01}}},
		{name: "LeakyRelu alpha", op: "LeakyRelu", attrs: Attrs{"alpha": FloatAttr(0.2)}, want: Activation{Op: "LeakyRelu", Params: []float32{0.2}}},
		{name: "HardSigmoid", op: "HardSigmoid", attrs: Attrs{"alpha": FloatAttr(0.25)}, want: Activation{Op: "HardSigmoid", Params: []float32{0.25, 0.5}}},
		{name: "Gelu", opset: 20, op: "Gelu", want: Activation{Op: "Gelu"}},
		{name: "Gelu tanh", opset: 20, op: "Gelu", attrs: Attrs{"approximate": StringAttr("tanh")}, want: Activation{Op: "GeluTanh"}},
		{name: "Clip inputs (ReLU6)", op: "Clip", extra: func(p *ptNet) []string { return []string{p.s("lo", 0), p.s("hi", 6)} },
			want: Activation{Op: "Clip", Params: []float32{0, 6}}},
		{name: "Clip without a min", op: "Clip", extra: func(p *ptNet) []string { return []string{"", p.s("hi", 1)} },
			want: Activation{Op: "Clip", Params: []float32{-inf, 1}}},
		{name: "Clip attributes before opset 11", opset: 10, op: "Clip", attrs: Attrs{"min": FloatAttr(-1), "max": FloatAttr(1)},
			want: Activation{Op: "Clip", Params: []float32{-1, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, orDefault(tc.opset, 17))
			ins := []string{p.op(OpLinear, "fc", nil, p.in("x", 3, 4), p.w("w", 5, 4), p.w("b", 5))}
			if tc.extra != nil {
				ins = append(ins, tc.extra(p)...)
			}
			g := p.build(p.op(tc.op, "act", tc.attrs, ins...))
			c, _ := ptRun(t, g, FuseActivation)
			ptWantNodes(t, c, "Linear/"+tc.want.String()+"(x, w, b) -> act")
			if got := ActivationOf(c.Nodes[0]); got.Op != tc.want.Op || !slices.Equal(got.Params, tc.want.Params) {
				t.Errorf("activation %v, want %v", got, tc.want)
			}
			if n := c.Nodes[0]; !slices.Equal(n.Covers, []string{"fc", "act"}) || n.Name != "fc" {
				t.Errorf("node %q covers %v", n.Name, n.Covers)
			}
			ptSame(t, g, c)
		})
	}
}

// orDefault returns a, or def when a is 0.
func orDefault(a, def int) int {
	if a == 0 {
		return def
	}
	return a
}

func TestFuseActivationOnConv(t *testing.T) {
	p := newPT(t, 17)
	conv := p.op(OpFusedConv, "conv", Attrs{"kernel_shape": IntsAttr(1, 1), "pads": IntsAttr(0, 0, 0, 0),
		"strides": IntsAttr(1, 1), "dilations": IntsAttr(1, 1), "group": IntAttr(1)}, p.in("x", 1, 2, 3, 3), p.w("w", 2, 2, 1, 1))
	g := p.build(p.op("Relu", "relu", nil, p.op("Add", "add", nil, conv, p.in("r", 1, 2, 3, 3))))
	c, _ := ptRun(t, g, FuseResidual, FuseActivation)
	ptWantNodes(t, c, "FusedConv/Relu(x, w, , r) -> relu")
	ptSame(t, g, c)
}

func TestFuseActivationLeavesOthers(t *testing.T) {
	tests := []struct {
		name  string
		build func(p *ptNet, fc string) *Graph
	}{
		{"a computed Clip bound", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Clip", "clip", nil, fc, p.in("lo")))
		}},
		{"a producer read twice", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Relu", "relu", nil, fc), p.op("Neg", "neg", nil, fc))
		}},
		{"a producer that is a graph output", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Relu", "relu", nil, fc), fc)
		}},
		{"a second activation", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Sigmoid", "sig", nil, p.op("Relu", "relu", nil, fc)))
		}},
		{"an activation of something else", func(p *ptNet, fc string) *Graph {
			return p.build(p.op("Relu", "relu", nil, p.op("Neg", "neg", nil, fc)))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, 17)
			g := tc.build(p, p.op(OpLinear, "fc", nil, p.in("x", 3, 4), p.w("w", 5, 4)))
			first, _ := ptRun(t, g, FuseActivation)
			ptUnchanged(t, first, FuseActivation)
			if tc.name == "a second activation" {
				ptWantNodes(t, first, "Linear/Relu(x, w) -> relu", "Sigmoid(relu) -> sig")
			} else if !slices.Equal(ptNodes(first), ptNodes(g)) {
				t.Fatalf("rewrote %v", ptNodes(first))
			}
		})
	}
}
