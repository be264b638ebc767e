package model

import "math"

// FuseGelu rewrites the erf GELU that PyTorch exports before opset 20,
// x·0.5·(1 + erf(x/√2)), into one Gelu:
//
//	d = Div(x, √2) or Mul(x, 1/√2)   e = Erf(d)   a = Add(e, 1)
//	then  Mul(Mul(x, a), 0.5)  or  Mul(x, Mul(a, 0.5))  or  Mul(Mul(x, 0.5), a)
//	  → Gelu(x)
//
// in any operand order of the Adds and Muls. The constants are float32
// scalars within 1e-5 of √2, 1/√2, 1 and 0.5; every intermediate is read by
// the next node alone and is not a graph output; both Muls by x read the same x.
var FuseGelu = fusion("fuse-gelu",
	"the erf decomposition x·0.5·(1+erf(x/√2)) → Gelu",
	fuseGelu)

func fuseGelu(ix *index, erf *Node) bool {
	if erf.Op != "Erf" {
		return false
	}
	d := ix.from(erf.Input(0), "Div", "Mul")
	if d == nil || !ix.private(erf.Input(0)) {
		return false
	}
	x, rank := "", 0
	for _, in := range d.Inputs {
		c, _ := other(d, in)
		r := len(ix.shape(in))
		v, ok := ix.scalar(c, r)
		if ok && ((d.Op == "Div" && in == d.Inputs[0] && near(v, math.Sqrt2)) ||
			(d.Op == "Mul" && near(v, 1/math.Sqrt2))) {
			x, rank = in, r
			break
		}
	}
	if x == "" || !ix.isFloat(x) {
		return false
	}
	add := ix.sole(erf.Outputs[0], "Add")
	if add == nil {
		return false
	}
	if c, _ := other(add, erf.Outputs[0]); !ix.isConst(c, 1, rank) {
		return false
	}
	a := add.Outputs[0]
	mul1 := ix.sole(a, "Mul")
	if mul1 == nil {
		return false
	}
	nodes := []*Node{d, erf, add, mul1}
	o, _ := other(mul1, a)
	var last *Node
	switch {
	case o == x: // Mul(Mul(x, a), 0.5)
		last = ix.sole(mul1.Outputs[0], "Mul")
		if last == nil {
			return false
		}
		if c, _ := other(last, mul1.Outputs[0]); !ix.isConst(c, 0.5, rank) {
			return false
		}
		nodes = append(nodes, last)
	case ix.isConst(o, 0.5, rank): // Mul(x, Mul(a, 0.5))
		last = ix.sole(mul1.Outputs[0], "Mul")
		if last == nil {
			return false
		}
		if c, _ := other(last, mul1.Outputs[0]); c != x {
			return false
		}
		nodes = append(nodes, last)
	default: // Mul(Mul(x, 0.5), a)
		half := ix.from(o, "Mul")
		if half == nil || !ix.private(o) {
			return false
		}
		if c, ok := other(half, x); !ok || !ix.isConst(c, 0.5, rank) {
			return false
		}
		nodes = append(nodes, half)
		last = mul1
	}
	gelu := &Node{Name: erf.Name, Op: "Gelu", Inputs: []string{x}, Outputs: last.Outputs, Covers: coverAll(nodes...)}
	replace(ix.g, nodes, gelu)
	return true
}

// isConst reports a float32 scalar constant (of rank at most maxRank) within 1e-5 of v.
func (ix *index) isConst(name string, v float64, maxRank int) bool {
	c, ok := ix.scalar(name, maxRank)
	return ok && near(c, v)
}
