package model

import (
	"fmt"
	"strings"
)

// LatestOpset is the opset a graph whose Opset is 0 is read at.
const LatestOpset = MaxOpset

// EffectiveOpset is the opset whose semantics apply to a graph written for
// opset (0 means the newest this package knows).
func EffectiveOpset(opset int) int {
	if opset <= 0 {
		return LatestOpset
	}
	return opset
}

// typeSet is a set of dtypes, one bit per DType.
type typeSet uint32

const (
	tFloat typeSet = 1 << Float32
	tInt   typeSet = 1<<Int64 | 1<<Int32
	tBool  typeSet = 1 << Bool
	tNum           = tFloat | tInt
	tAny           = tNum | tBool
)

func (s typeSet) has(d DType) bool { return d < 32 && s&(1<<d) != 0 }

// String lists the dtypes, e.g. "float32, int32 or int64".
func (s typeSet) String() string {
	var names []string
	for _, d := range []DType{Float32, Int32, Int64, Bool} {
		if s.has(d) {
			names = append(names, d.String())
		}
	}
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// kernel computes one node into preallocated outputs (see EvalNode).
type kernel func(n *Node, opset int, in, out []*Tensor) error

// opDef is what this package knows of one op.
type opDef struct {
	// since is the opset the op first appeared in (default domain).
	since int
	// ins and outs are the least and most inputs and outputs; a most of -1 is unbounded.
	ins, outs [2]int
	// types are the dtypes the first input may have.
	types typeSet
	infer func(c *inferCtx) error
	eval  kernel
}

// opDefs are the ops this package computes, by op type.
var opDefs = joinOps(elementwiseOps, unaryOps, matmulOps, convOps, poolOps, reduceOps, normOps,
	shapeOps, sliceOps, indexOps, attentionOps)

func joinOps(tables ...map[string]opDef) map[string]opDef {
	out := map[string]opDef{}
	for _, t := range tables {
		for op, d := range t {
			if _, dup := out[op]; dup {
				panic("model: op " + op + " is defined twice")
			}
			out[op] = d
		}
	}
	return out
}

// isFused reports one of this package's fused ops.
func isFused(op string) bool { return op == OpLinear || op == OpFusedConv || op == OpAttention }

// errNode prefixes an error with the node's name and op.
func errNode(n *Node, format string, a ...any) error {
	return fmt.Errorf("node %q (%s): %s", n.Name, n.Op, fmt.Sprintf(format, a...))
}
