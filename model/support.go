package model

import (
	"fmt"
	"sort"
	"strings"
)

// opSince is the opset each supported ONNX op first appeared in (default domain).
var opSince = map[string]int{
	"Gemm": 1, "MatMul": 1, "Conv": 1, "BatchNormalization": 1, "MaxPool": 1, "AveragePool": 1,
	"GlobalAveragePool": 1, "GlobalMaxPool": 1, "ReduceMean": 1, "ReduceSum": 1, "ReduceMax": 1,
	"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 1, "Sqrt": 1, "Exp": 1, "Erf": 9, "Neg": 1,
	"Relu": 1, "LeakyRelu": 1, "Clip": 1, "Sigmoid": 1, "HardSigmoid": 1, "HardSwish": 14, "Tanh": 1,
	"Gelu": 20, "Softmax": 1, "LayerNormalization": 17, "Concat": 1, "Split": 1, "Slice": 1,
	"Transpose": 1, "Reshape": 1, "Flatten": 1, "Squeeze": 1, "Unsqueeze": 1, "Gather": 1, "Shape": 1,
	"Constant": 1, "ConstantOfShape": 9, "Identity": 1, "Dropout": 1, "Cast": 1, "Equal": 1,
	"Where": 9, "Expand": 8, "Range": 11,
}

// The opsets a graph may be written for.
const (
	MinOpset = 7
	MaxOpset = 21
)

// Unsupported is one kind of node a graph needs that cannot be computed: an
// op (or an op with a dtype or attribute) this package does not know.
type Unsupported struct {
	// Op is the node's op type (with its domain when not ONNX's default one).
	Op string
	// Opset is the graph's opset.
	Opset int
	// Node names the first such node; Count says how many there are.
	Node  string
	Count int
	// Reason says what is refused, e.g. "op not supported" or "dtype float16".
	Reason string
}

// String reads like `Loop (opset 17) ×2, first "loop_1": op not supported`.
func (u Unsupported) String() string {
	return fmt.Sprintf("%s (opset %d) ×%d, first %q: %s", u.Op, u.Opset, u.Count, u.Node, u.Reason)
}

// SupportedOps lists the ONNX ops this package computes, sorted.
func SupportedOps() []string {
	out := make([]string, 0, len(opSince))
	for op := range opSince {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// CheckSupported lists every kind of node in g that cannot be computed,
// grouped by op and reason, in the order they first appear; nil when all can.
func CheckSupported(g *Graph) []Unsupported {
	var out []Unsupported
	index := map[string]int{}
	add := func(n *Node, reason string) {
		key := n.Op + "\x00" + reason
		if i, ok := index[key]; ok {
			out[i].Count++
			return
		}
		index[key] = len(out)
		out = append(out, Unsupported{Op: n.Op, Opset: g.Opset, Node: n.Name, Count: 1, Reason: reason})
	}
	for _, n := range g.Nodes {
		if reason := unsupportedReason(g, n); reason != "" {
			add(n, reason)
		}
	}
	return out
}

// unsupportedReason says why a node cannot be computed, or "".
func unsupportedReason(g *Graph, n *Node) string {
	switch n.Op {
	case OpLinear, OpFusedConv, OpAttention:
		return ""
	}
	since, ok := opSince[n.Op]
	if !ok {
		return "op not supported"
	}
	if g.Opset > 0 && g.Opset < since {
		return fmt.Sprintf("op first defined in opset %d", since)
	}
	for _, name := range append(append([]string{}, n.Inputs...), n.Outputs...) {
		if v := g.Values[name]; v != nil && v.DType != Undefined && !v.DType.Computable() {
			return "dtype " + v.DType.String()
		}
	}
	return ""
}

// UnsupportedError is the error a graph with unsupported nodes gives.
type UnsupportedError struct {
	Graph string
	List  []Unsupported
}

// Error lists every unsupported kind of node on one line.
func (e *UnsupportedError) Error() string {
	parts := make([]string, len(e.List))
	for i, u := range e.List {
		parts[i] = u.String()
	}
	return fmt.Sprintf("%s needs what cannot be computed: %s", e.Graph, strings.Join(parts, "; "))
}
