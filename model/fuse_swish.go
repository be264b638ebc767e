package model

import "slices"

// FuseSwish moves x·sigmoid(x) (SiLU, or Swish with β = 1, which PyTorch
// exports as a Sigmoid and a Mul) into the epilogue of the Linear or
// FusedConv that computes x:
//
//	Mul(x, Sigmoid(x)) | Mul(Sigmoid(x), x)  of P → P with activation Swish
//
// P has no activation yet and x is read by the Sigmoid and the Mul alone;
// the Sigmoid's output is read by the Mul alone; neither is a graph output.
// It runs before FuseActivation, which would otherwise leave the Sigmoid
// alone (x has two readers) and the Mul as a pass of its own.
var FuseSwish = fusion("fuse-swish",
	"Mul(x, Sigmoid(x)) after a Linear or FusedConv → its epilogue (Swish, SiLU)",
	fuseSwish)

func fuseSwish(ix *index, n *Node) bool {
	if n.Op != "Mul" || len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return false
	}
	for i := range 2 {
		x, s := n.Inputs[i], n.Inputs[1-i]
		sig := ix.from(s, "Sigmoid")
		if sig == nil || !ix.private(s) || len(sig.Inputs) != 1 || sig.Input(0) != x {
			continue
		}
		p := ix.from(x, OpLinear, OpFusedConv)
		if p == nil || ix.g.IsOutput(x) || ActivationOf(p).Op != "" || !onlyReaders(ix.cons[x], sig, n) {
			continue
		}
		fused := p.Clone()
		Activation{Op: "Swish"}.Set(fused)
		fused.Outputs = n.Outputs
		fused.Covers = coverAll(p, sig, n)
		replace(ix.g, []*Node{p, sig, n}, fused)
		return true
	}
	return false
}

// onlyReaders reports that readers are exactly the nodes want (each once).
func onlyReaders(readers []*Node, want ...*Node) bool {
	if len(readers) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.Contains(readers, w) {
			return false
		}
	}
	return true
}
