package model

import (
	"fmt"
	"sort"
	"strings"
)

// The opsets a graph may be written for.
const (
	MinOpset = 1
	MaxOpset = 21
)

// Unsupported is one kind of node a graph needs that cannot be computed: an
// op (or an op with a dtype or attribute) this package does not know.
type Unsupported struct {
	// Op is the node's op type (with its domain when not ONNX's default one,
	// as "com.microsoft.FusedConv").
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

// SupportedOps lists the ONNX ops this package computes, sorted (the fused
// ops, which only the passes make, are not listed).
func SupportedOps() []string {
	out := make([]string, 0, len(opDefs))
	for op := range opDefs {
		if !isFused(op) {
			out = append(out, op)
		}
	}
	sort.Strings(out)
	return out
}

// CheckSupported lists every kind of node in g that cannot be computed,
// grouped by op and reason, in the order they first appear; nil when all can.
// It refuses ops it does not know, ops of another domain, ops newer than the
// graph's opset, dtypes other than float32, int64, int32 and bool (and Casts
// to them), training-mode nodes (BatchNormalization training_mode=1 or with
// its training outputs used, Dropout whose training_mode is true or not a
// constant, either of them without is_test=1 before opset 7), MaxPool's
// Indices when used, storage_order=1, unknown auto_pad values and graph
// attributes. LayerNormalization's Mean and InvStdDev outputs are computed:
// every normalization computes them on its way, and ONNX's tests of the op read them.
// A graph whose opset is outside MinOpset to MaxOpset has every node refused.
func CheckSupported(g *Graph) []Unsupported {
	used := usedValues(g)
	return GroupUnsupported(g, func(n *Node) string { return unsupportedReason(g, n, used) })
}

// GroupUnsupported lists the nodes of g that reason refuses (says something
// other than "" of), grouped by op and reason in the order they first
// appear, with the graph's opset: CheckSupported's list for what this
// package cannot compute, and an engine's for what it cannot run.
func GroupUnsupported(g *Graph, reason func(n *Node) string) []Unsupported {
	var out []Unsupported
	index := map[string]int{}
	for _, n := range g.Nodes {
		why := reason(n)
		if why == "" {
			continue
		}
		key := n.Op + "\x00" + why
		if i, ok := index[key]; ok {
			out[i].Count++
			continue
		}
		index[key] = len(out)
		out = append(out, Unsupported{Op: n.Op, Opset: g.Opset, Node: n.Name, Count: 1, Reason: why})
	}
	return out
}

// usedValues is the set of values some node reads or the graph returns.
func usedValues(g *Graph) map[string]bool {
	used := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			used[in] = true
		}
	}
	for _, o := range g.Outputs {
		used[o] = true
	}
	return used
}

// unsupportedReason says why a node cannot be computed, or "".
func unsupportedReason(g *Graph, n *Node, used map[string]bool) string {
	def, ok := opDefs[n.Op]
	if !ok {
		if i := strings.LastIndexByte(n.Op, '.'); i > 0 {
			return fmt.Sprintf("domain %q is not supported (only ONNX's default domain)", n.Op[:i])
		}
		return "op not supported"
	}
	if g.Opset != 0 && (g.Opset < MinOpset || g.Opset > MaxOpset) {
		return fmt.Sprintf("opset %d is outside the supported %d to %d", g.Opset, MinOpset, MaxOpset)
	}
	if g.Opset > 0 && g.Opset < def.since {
		return fmt.Sprintf("op first defined in opset %d, the graph is opset %d", def.since, g.Opset)
	}
	for name, a := range n.Attrs {
		if a.Kind == AttrGraph {
			return fmt.Sprintf("graph attribute %q", name)
		}
	}
	for _, name := range append(append([]string{}, n.Inputs...), n.Outputs...) {
		if v := g.Values[name]; v != nil && v.DType != Undefined && !v.DType.Computable() {
			return fmt.Sprintf("dtype %s (computable: float32, int64, int32, bool)", v.DType)
		}
	}
	if len(n.Inputs) > 0 {
		if v := g.Values[n.Inputs[0]]; v != nil && v.DType != Undefined && !def.types.has(v.DType) {
			return fmt.Sprintf("input dtype %s (%s computes %s)", v.DType, n.Op, def.types)
		}
	}
	return opReason(g, n, used)
}

// opReason refuses what is particular to some ops: training modes, outputs
// that are not computed, attribute values that are not supported.
func opReason(g *Graph, n *Node, used map[string]bool) string {
	usedOut := func(i int) bool { return i < len(n.Outputs) && n.Outputs[i] != "" && used[n.Outputs[i]] }
	switch ap := n.Attrs.String("auto_pad", "NOTSET"); ap {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return fmt.Sprintf("auto_pad %q (accepted: NOTSET, SAME_UPPER, SAME_LOWER, VALID)", ap)
	}
	if n.Attrs.Int("storage_order", 0) != 0 {
		return "storage_order=1 (column-major)"
	}
	switch n.Op {
	case "Cast":
		if to, _ := castTo(n); !to.Computable() {
			return "Cast to " + to.String()
		}
	case "BatchNormalization":
		if n.Attrs.Int("training_mode", 0) != 0 {
			return "training_mode=1"
		}
		if why := legacyTraining(n, EffectiveOpset(g.Opset)); why != "" {
			return why
		}
		for i := 1; i < 5; i++ {
			if usedOut(i) {
				return "its training outputs (running or saved mean and variance) are used"
			}
		}
	case "Dropout":
		if why := legacyTraining(n, EffectiveOpset(g.Opset)); why != "" {
			return why
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			t := g.Const(n.Inputs[2])
			switch {
			case t == nil:
				return "training_mode is computed at run time"
			case t.DType == Bool && len(t.Bool) == 1 && t.Bool[0]:
				return "training_mode is true"
			}
		}
	case "MaxPool":
		if usedOut(1) {
			return "its Indices output is used"
		}
	case "Gelu":
		if ap := n.Attrs.String("approximate", "none"); ap != "none" && ap != "tanh" {
			return fmt.Sprintf("approximate %q (accepted: none, tanh)", ap)
		}
	case "Constant":
		if _, _, err := constantShape(n); err != nil {
			return err.Error()
		}
	case OpLinear, OpFusedConv:
		if err := ActivationOf(n).Valid(); err != nil {
			return err.Error()
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
