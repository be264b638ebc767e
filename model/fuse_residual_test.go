package model

import (
	"slices"
	"testing"
)

func TestFuseResidual(t *testing.T) {
	lin := func(p *ptNet, name, x string, act string) string {
		attrs := Attrs{}
		if act != "" {
			attrs[AttrActivation] = StringAttr(act)
		}
		return p.op(OpLinear, name, attrs, x, p.w(name+".w", 4, 4), p.w(name+".b", 4))
	}
	conv := func(p *ptNet, name, x string) string {
		return p.op(OpFusedConv, name, Attrs{"kernel_shape": IntsAttr(3, 3), "pads": IntsAttr(1, 1, 1, 1),
			"strides": IntsAttr(1, 1), "dilations": IntsAttr(1, 1), "group": IntAttr(1)}, x, p.w(name+".w", 2, 2, 3, 3), p.w(name+".b", 2))
	}
	ptTable(t, 17, []ptCase{{
		name: "Add(Linear, R)",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 3, 4)
			return p.build(p.op("Add", "add", nil, lin(p, "fc", x, ""), x))
		},
		want: []string{"Linear(x, fc.w, fc.b, x) -> add"},
	}, {
		name: "Add(R, FusedConv), as PyTorch writes a residual block",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 1, 2, 5, 5)
			return p.build(p.op("Add", "add", nil, x, conv(p, "conv", p.op("Relu", "relu", nil, x))))
		},
		want: []string{"Relu(x) -> relu", "FusedConv(relu, conv.w, conv.b, x) -> add"},
	}, {
		name: "both terms qualify: the later producer takes the other",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 3, 4)
			return p.build(p.op("Add", "add", nil, lin(p, "fc2", lin(p, "fc1", x, "Relu"), ""), lin(p, "fc3", x, "")))
		},
		want: []string{"Linear/Relu(x, fc1.w, fc1.b) -> fc1", "Linear(fc1, fc2.w, fc2.b) -> fc2", "Linear(x, fc3.w, fc3.b, fc2) -> add"},
	}, {
		name: "a broadcast term stays an Add",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Add", "add", nil, lin(p, "fc", p.in("x", 3, 4), ""), p.in("r", 1, 4)))
		},
		want: []string{"Linear(x, fc.w, fc.b) -> fc", "Add(fc, r) -> add"},
	}, {
		name: "a producer with an activation stays",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 3, 4)
			return p.build(p.op("Add", "add", nil, lin(p, "fc", x, "Relu"), x))
		},
		want: []string{"Linear/Relu(x, fc.w, fc.b) -> fc", "Add(fc, x) -> add"},
	}, {
		name: "a producer read twice, or a graph output, stays",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 3, 4)
			a := lin(p, "fc", x, "")
			b := lin(p, "fc2", x, "")
			return p.build(p.op("Add", "add", nil, a, x), p.op("Mul", "mul", nil, a, x), p.op("Add", "add2", nil, b, x), b)
		},
		want: []string{"Linear(x, fc.w, fc.b) -> fc", "Linear(x, fc2.w, fc2.b) -> fc2", "Add(fc, x) -> add",
			"Mul(fc, x) -> mul", "Add(fc2, x) -> add2"},
	}}, FuseResidual)
}

func TestFuseResidualCovers(t *testing.T) {
	p := newPT(t, 17)
	x := p.in("x", 3, 4)
	g := p.build(p.op("Add", "add", nil, p.op(OpLinear, "fc", nil, x, p.w("w", 4, 4)), x))
	c, _ := ptRun(t, g, FuseResidual)
	if n := ptNode(t, c, "fc"); !slices.Equal(n.Covers, []string{"fc", "add"}) {
		t.Fatalf("covers %v, want [fc add]", n.Covers)
	}
}
