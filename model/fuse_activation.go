package model

import "math"

// FuseActivation moves an activation into the epilogue of the Linear or
// FusedConv before it (see Activation):
//
//	Relu | Sigmoid | Tanh | HardSwish | LeakyRelu(alpha) | HardSigmoid(alpha, beta) |
//	Clip(min, max) | Gelu(approximate)  of P  → P with that activation
//
// P is a Linear or FusedConv with no activation yet, read by the activation
// alone and not a graph output. Clip's bounds are attributes before opset 11
// and constant inputs from it on (an omitted bound is no bound); a computed
// bound leaves the Clip alone.
var FuseActivation = fusion("fuse-activation",
	"Relu, Clip, Sigmoid, Tanh, LeakyRelu, HardSigmoid, HardSwish or Gelu after a Linear or FusedConv → its epilogue",
	fuseActivation)

func fuseActivation(ix *index, n *Node) bool {
	act, ok := activationOf(ix, n)
	if !ok || len(n.Outputs) != 1 {
		return false
	}
	p := ix.from(n.Input(0), OpLinear, OpFusedConv)
	if p == nil || !ix.private(n.Input(0)) || ActivationOf(p).Op != "" {
		return false
	}
	fused := p.Clone()
	act.Set(fused)
	fused.Outputs = n.Outputs
	fused.Covers = coverAll(p, n)
	replace(ix.g, []*Node{p, n}, fused)
	return true
}

// activationOf reads the activation a node computes, and false when it is
// not one an epilogue computes (or its parameters are not constants).
func activationOf(ix *index, n *Node) (Activation, bool) {
	a := n.Attrs
	switch n.Op {
	case "Relu", "Sigmoid", "Tanh", "HardSwish":
		return Activation{Op: n.Op}, len(n.Inputs) == 1
	case "LeakyRelu":
		return Activation{Op: n.Op, Params: []float32{a.Float("alpha", 0.01)}}, true
	case "HardSigmoid":
		return Activation{Op: n.Op, Params: []float32{a.Float("alpha", 0.2), a.Float("beta", 0.5)}}, true
	case "Gelu":
		switch a.String("approximate", "none") {
		case "none":
			return Activation{Op: "Gelu"}, true
		case "tanh":
			return Activation{Op: "GeluTanh"}, true
		}
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if EffectiveOpset(ix.g.Opset) < 11 {
			return Activation{Op: n.Op, Params: []float32{a.Float("min", lo), a.Float("max", hi)}}, true
		}
		for i, bound := range []*float32{&lo, &hi} {
			name := n.Input(i + 1)
			if name == "" {
				continue
			}
			v, ok := ix.scalar(name, 0)
			if !ok {
				return Activation{}, false
			}
			*bound = float32(v)
		}
		return Activation{Op: n.Op, Params: []float32{lo, hi}}, true
	}
	return Activation{}, false
}
