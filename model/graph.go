package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Value is a named tensor of the graph: a graph input, a node's output, or a
// constant (an initializer or a folded result), which has Const set.
type Value struct {
	Name  string
	DType DType
	// Shape is nil while the rank is unknown (before shape inference).
	Shape Shape
	// Const holds the data of a constant; nil for computed values and inputs.
	Const *Tensor
}

// Node is one operation: Op reads the values named by Inputs and writes those
// named by Outputs. An empty input name is an omitted optional input.
type Node struct {
	// Name is unique within the graph (the loader names unnamed nodes).
	Name string
	// Op is an ONNX op type ("Conv") or one of this package's fused ops (OpLinear ...).
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   Attrs
	// Covers names the nodes of the graph as loaded that this node computes:
	// itself, or every node a fusion folded into it.
	Covers []string
}

// Input returns the name of input i, or "" when the node has fewer inputs.
func (n *Node) Input(i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// Clone copies the node; attribute values are shared.
func (n *Node) Clone() *Node {
	return &Node{Name: n.Name, Op: n.Op, Inputs: slices.Clone(n.Inputs), Outputs: slices.Clone(n.Outputs),
		Attrs: n.Attrs.Clone(), Covers: slices.Clone(n.Covers)}
}

// String reads like `Conv "conv1" (x, w, b) -> (y)`.
func (n *Node) String() string {
	return fmt.Sprintf("%s %q (%s) -> (%s)", n.Op, n.Name, strings.Join(n.Inputs, ", "), strings.Join(n.Outputs, ", "))
}

// Graph is a model: its values, its nodes in execution order, and which
// values are its inputs and outputs.
type Graph struct {
	// Name is the model's name (a preset's, or the file's graph name).
	Name string
	// Inputs are the values the caller provides, in order (never constants).
	Inputs []string
	// Outputs are the values the caller receives, in order.
	Outputs []string
	// Nodes run in this order; Sort puts them in a topological order.
	Nodes []*Node
	// Values holds every value by name.
	Values map[string]*Value
	// Opset is the default domain's opset the graph was written for (0: the newest this package knows).
	Opset int
	// Producer says what wrote the graph ("pytorch 1.13.0", "infertop presets").
	Producer string

	// derived, when set, keeps the constants the passes derive (see
	// derivedCache); clones share it.
	derived *derivedCache
}

// NewGraph returns an empty graph.
func NewGraph(name string) *Graph { return &Graph{Name: name, Values: map[string]*Value{}} }

// Value returns the named value, or nil.
func (g *Graph) Value(name string) *Value { return g.Values[name] }

// Const returns the constant data of the named value, or nil when it is not a constant.
func (g *Graph) Const(name string) *Tensor {
	if v := g.Values[name]; v != nil {
		return v.Const
	}
	return nil
}

// AddValue adds v, replacing a value of the same name.
func (g *Graph) AddValue(v *Value) *Value { g.Values[v.Name] = v; return v }

// AddConst adds a constant value holding t.
func (g *Graph) AddConst(name string, t *Tensor) *Value {
	return g.AddValue(&Value{Name: name, DType: t.DType, Shape: t.ShapeOf(), Const: t})
}

// Clone copies the graph's structure: nodes, values and lists are new, constant
// data is shared (passes never change a tensor in place; they add new ones).
func (g *Graph) Clone() *Graph {
	c := &Graph{Name: g.Name, Inputs: slices.Clone(g.Inputs), Outputs: slices.Clone(g.Outputs),
		Values: make(map[string]*Value, len(g.Values)), Opset: g.Opset, Producer: g.Producer, derived: g.derived}
	for k, v := range g.Values {
		cv := *v
		cv.Shape = v.Shape.Clone()
		c.Values[k] = &cv
	}
	c.Nodes = make([]*Node, len(g.Nodes))
	for i, n := range g.Nodes {
		c.Nodes[i] = n.Clone()
	}
	return c
}

// Producers maps each value name to the node that writes it.
func (g *Graph) Producers() map[string]*Node {
	m := make(map[string]*Node, len(g.Nodes))
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				m[o] = n
			}
		}
	}
	return m
}

// Consumers maps each value name to the nodes that read it, in node order.
func (g *Graph) Consumers() map[string][]*Node {
	m := make(map[string][]*Node, len(g.Nodes))
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !slices.Contains(m[in], n) {
				m[in] = append(m[in], n)
			}
		}
	}
	return m
}

// IsOutput reports whether the named value is one of the graph's outputs.
func (g *Graph) IsOutput(name string) bool { return slices.Contains(g.Outputs, name) }

// Sort orders the nodes so that every node comes after the producers of its
// inputs, keeping the given order wherever it already holds. It fails on a
// cycle, naming the nodes on it.
func (g *Graph) Sort() error {
	prod := g.Producers()
	state := make(map[*Node]int8, len(g.Nodes)) // 0 new, 1 on the path, 2 done
	order := make([]*Node, 0, len(g.Nodes))
	var path []*Node
	var visit func(n *Node) error
	visit = func(n *Node) error {
		switch state[n] {
		case 2:
			return nil
		case 1:
			i := slices.Index(path, n)
			names := make([]string, 0, len(path)-i+1)
			for _, p := range path[i:] {
				names = append(names, p.Name)
			}
			names = append(names, n.Name)
			return fmt.Errorf("the graph has a cycle: %s", strings.Join(names, " → "))
		}
		state[n] = 1
		path = append(path, n)
		for _, in := range n.Inputs {
			if p := prod[in]; p != nil && p != n {
				if err := visit(p); err != nil {
					return err
				}
			} else if p == n {
				return fmt.Errorf("the graph has a cycle: node %q reads its own output %q", n.Name, in)
			}
		}
		path = path[:len(path)-1]
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range g.Nodes {
		if err := visit(n); err != nil {
			return err
		}
	}
	g.Nodes = order
	return nil
}

// Validate checks what every graph must hold, whatever its ops: node and
// value names used once, every input read defined (a graph input, a constant
// or an earlier node's output), inputs not constants, outputs defined, the
// nodes in execution order, and constants holding as much data as their shapes say.
func (g *Graph) Validate() error {
	defined := map[string]bool{}
	for name, v := range g.Values {
		if v.Name != name {
			return fmt.Errorf("value %q is filed under %q", v.Name, name)
		}
		if v.Const != nil {
			if err := v.Const.Check(); err != nil {
				return fmt.Errorf("constant %q: %w", name, err)
			}
			defined[name] = true
		}
	}
	for _, in := range g.Inputs {
		v := g.Values[in]
		switch {
		case v == nil:
			return fmt.Errorf("graph input %q has no value", in)
		case v.Const != nil:
			return fmt.Errorf("graph input %q is also a constant", in)
		case defined[in]:
			return fmt.Errorf("graph input %q is listed twice", in)
		}
		defined[in] = true
	}
	nodeNames := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Name == "" || nodeNames[n.Name] {
			return fmt.Errorf("node name %q is empty or used twice", n.Name)
		}
		nodeNames[n.Name] = true
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				if g.Values[in] == nil {
					return fmt.Errorf("node %q reads %q, which nothing defines", n.Name, in)
				}
				return fmt.Errorf("node %q reads %q before it is computed", n.Name, in)
			}
		}
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if defined[o] {
				return fmt.Errorf("value %q is written twice (by node %q, and before it)", o, n.Name)
			}
			if g.Values[o] == nil {
				return fmt.Errorf("node %q writes %q, which has no value", n.Name, o)
			}
			defined[o] = true
		}
	}
	if len(g.Outputs) == 0 {
		return fmt.Errorf("the graph has no outputs")
	}
	for _, o := range g.Outputs {
		if !defined[o] {
			return fmt.Errorf("graph output %q is never computed", o)
		}
	}
	return nil
}

// OpCounts counts the nodes of each op, sorted by op name.
func (g *Graph) OpCounts() []OpCount {
	m := map[string]int{}
	for _, n := range g.Nodes {
		m[n.Op]++
	}
	out := make([]OpCount, 0, len(m))
	for op, c := range m {
		out = append(out, OpCount{Op: op, Count: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

// OpCount is how many nodes of an op a graph has.
type OpCount struct {
	Op    string
	Count int
}

// UniqueName returns base, or base with a number appended, that names no
// value and no node of the graph yet.
func (g *Graph) UniqueName(base string) string {
	taken := func(s string) bool {
		if _, ok := g.Values[s]; ok {
			return true
		}
		return slices.ContainsFunc(g.Nodes, func(n *Node) bool { return n.Name == s })
	}
	if !taken(base) {
		return base
	}
	for i := 1; ; i++ {
		s := fmt.Sprintf("%s_%d", base, i)
		if !taken(s) {
			return s
		}
	}
}
