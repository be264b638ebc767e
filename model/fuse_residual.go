package model

// FuseResidual moves a residual sum into the epilogue of the Linear or
// FusedConv that produces one of its terms:
//
//	Add(P, R) or Add(R, P)  → P with R as its 4th input, writing the Add's output
//
// P is a Linear or FusedConv with no activation and no residual yet, read by
// the Add alone and not a graph output; R is a float32 value of exactly P's
// shape (a broadcast sum is left alone). When both terms qualify, the later
// producer takes the other as its residual.
var FuseResidual = fusion("fuse-residual",
	"Add of a Linear's or FusedConv's output and a same-shaped value → the producer's residual input",
	fuseResidual)

func fuseResidual(ix *index, add *Node) bool {
	if add.Op != "Add" || len(add.Inputs) != 2 || add.Inputs[0] == add.Inputs[1] {
		return false
	}
	var best *Node
	var residual string
	for i, p := range add.Inputs {
		prod := ix.from(p, OpLinear, OpFusedConv)
		r := add.Inputs[1-i]
		ps, rs := ix.shape(p), ix.shape(r)
		if prod == nil || !ix.private(p) || ActivationOf(prod).Op != "" || prod.Input(3) != "" ||
			!ps.Known() || !ps.Equal(rs) || !ix.isFloat(r) {
			continue
		}
		if best == nil || ix.later(prod, best) {
			best, residual = prod, r
		}
	}
	if best == nil {
		return false
	}
	fused := best.Clone()
	for len(fused.Inputs) < 3 {
		fused.Inputs = append(fused.Inputs, "")
	}
	fused.Inputs = append(fused.Inputs[:3], residual)
	fused.Outputs = add.Outputs
	fused.Covers = coverAll(best, add)
	replace(ix.g, []*Node{best, add}, fused)
	return true
}

// later reports whether a comes after b in the graph's node order.
func (ix *index) later(a, b *Node) bool {
	for _, n := range ix.g.Nodes {
		switch n {
		case a:
			return false
		case b:
			return true
		}
	}
	return false
}
