package model

import (
	"math"
	"slices"
)

// index is a snapshot of who writes and who reads each value, taken before a
// fusion looks for its pattern; a fusion takes a new one after every rewrite.
type index struct {
	g    *Graph
	prod map[string]*Node
	cons map[string][]*Node
}

func newIndex(g *Graph) *index {
	return &index{g: g, prod: g.Producers(), cons: g.Consumers()}
}

// private reports an intermediate a fusion may swallow: a node's output that
// exactly one node reads and that is not a graph output.
func (ix *index) private(name string) bool {
	return name != "" && ix.prod[name] != nil && len(ix.cons[name]) == 1 && !ix.g.IsOutput(name)
}

// from returns the node writing name when its op is one of ops, else nil.
func (ix *index) from(name string, ops ...string) *Node {
	if p := ix.prod[name]; p != nil && slices.Contains(ops, p.Op) {
		return p
	}
	return nil
}

// sole returns the only node reading name when name is private and that node's op is one of ops.
func (ix *index) sole(name string, ops ...string) *Node {
	if !ix.private(name) {
		return nil
	}
	if c := ix.cons[name][0]; slices.Contains(ops, c.Op) {
		return c
	}
	return nil
}

// shape returns the shape of a value, nil when unknown.
func (ix *index) shape(name string) Shape {
	if v := ix.g.Values[name]; v != nil {
		return v.Shape
	}
	return nil
}

// isFloat reports a float32 value.
func (ix *index) isFloat(name string) bool {
	v := ix.g.Values[name]
	return v != nil && v.DType == Float32
}

// scalar returns the value of a float32 constant holding one element whose
// rank is at most maxRank (so that broadcasting it changes no shape).
func (ix *index) scalar(name string, maxRank int) (float64, bool) {
	t := ix.g.Const(name)
	if t == nil || t.DType != Float32 || t.Len() != 1 || len(t.Shape) > maxRank {
		return 0, false
	}
	return float64(t.F32[0]), true
}

// other returns the input of a two-input node that is not name, and whether
// name is one of its inputs.
func other(n *Node, name string) (string, bool) {
	if len(n.Inputs) != 2 {
		return "", false
	}
	switch name {
	case n.Inputs[0]:
		return n.Inputs[1], true
	case n.Inputs[1]:
		return n.Inputs[0], true
	}
	return "", false
}

// near reports whether a and b agree within a relative tolerance of 1e-5, as
// the constants PyTorch writes in float32 agree with the exact ones.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b))
}

// replace rewrites the node list: the nodes in remove go, and add take the
// place of the last of them (a fused node there reads only values computed
// before it). Values nothing refers to any more are dropped.
func replace(g *Graph, remove []*Node, add ...*Node) {
	last := -1
	for i, n := range g.Nodes {
		if slices.Contains(remove, n) {
			last = i
		}
	}
	out := make([]*Node, 0, len(g.Nodes)-len(remove)+len(add))
	for i, n := range g.Nodes {
		if i == last {
			out = append(out, add...)
		}
		if !slices.Contains(remove, n) {
			out = append(out, n)
		}
	}
	g.Nodes = out
	pruneValues(g)
}

// pruneValues drops the values no node, input or output refers to: the
// intermediates of fused patterns and the constants nothing reads any more.
func pruneValues(g *Graph) int {
	used := make(map[string]bool, len(g.Values))
	for _, n := range g.Nodes {
		for _, s := range n.Inputs {
			used[s] = true
		}
		for _, s := range n.Outputs {
			used[s] = true
		}
	}
	for _, s := range g.Inputs {
		used[s] = true
	}
	for _, s := range g.Outputs {
		used[s] = true
	}
	dropped := 0
	for name := range g.Values {
		if !used[name] {
			delete(g.Values, name)
			dropped++
		}
	}
	return dropped
}

// addConst adds a new constant named after base (made unique) and returns its name.
func addConst(g *Graph, base string, t *Tensor) string {
	name := g.UniqueName(base)
	g.AddConst(name, t)
	return name
}

// fuseAll applies match to every node in order until none matches any more,
// taking a new index after each rewrite, and returns how many it made. match
// returns whether it rewrote the graph.
func fuseAll(g *Graph, match func(ix *index, n *Node) (bool, error)) (int, error) {
	count := 0
	for {
		ix := newIndex(g)
		done := true
		for _, n := range g.Nodes {
			ok, err := match(ix, n)
			if err != nil {
				return count, err
			}
			if ok {
				count++
				done = false
				break
			}
		}
		if done {
			return count, nil
		}
	}
}
