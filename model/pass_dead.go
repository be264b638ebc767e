package model

import "slices"

// DropDead removes what inference does not need: Identity nodes and
// inference-form Dropouts (no training_mode, or a constant false one,
// is_test=1 before opset 7, and the mask unread), their readers rewired to
// the value they pass on (a graph output keeps its name: its producer
// writes it directly); nodes none of
// whose outputs is read or is a graph output; and values nothing refers to,
// unused constants among them. An Identity that copies a graph input or a
// constant to a graph output stays.
var DropDead = Pass{
	Name: "drop-dead",
	Doc:  "Identity and inference Dropout rewired away, unread nodes and unused constants dropped",
	Run:  dropDead,
}

func dropDead(g *Graph) (int, error) {
	count := 0
	for i := 0; i < len(g.Nodes); i++ {
		n := g.Nodes[i]
		if passThrough(g, n) && bypass(g, n) {
			g.Nodes = slices.Delete(g.Nodes, i, i+1)
			i--
			count++
		}
	}
	live := map[string]bool{}
	for _, o := range g.Outputs {
		live[o] = true
	}
	keep := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		if slices.ContainsFunc(n.Outputs, func(o string) bool { return live[o] }) {
			keep[i] = true
			for _, in := range n.Inputs {
				live[in] = true
			}
		}
	}
	out := g.Nodes[:0:0]
	for i, n := range g.Nodes {
		if keep[i] {
			out = append(out, n)
		} else {
			count++
		}
	}
	g.Nodes = out
	return count + pruneValues(g), nil
}

// passThrough reports an Identity, or a Dropout that passes its input on
// unchanged (inference) and whose mask nothing reads.
func passThrough(g *Graph, n *Node) bool {
	switch n.Op {
	case "Identity":
		return len(n.Inputs) == 1 && len(n.Outputs) == 1
	case "Dropout":
		if len(n.Outputs) > 1 && n.Outputs[1] != "" {
			mask := n.Outputs[1]
			if g.IsOutput(mask) || slices.ContainsFunc(g.Nodes, func(c *Node) bool { return slices.Contains(c.Inputs, mask) }) {
				return false
			}
		}
		if legacyTraining(n, EffectiveOpset(g.Opset)) != "" {
			return false
		}
		if tm := n.Input(2); tm != "" {
			t := g.Const(tm)
			if t == nil || t.Stored() != 1 || t.Int(0) != 0 {
				return false
			}
		}
		return len(n.Inputs) >= 1
	}
	return false
}

// bypass rewires the readers of a pass-through node's output to its input,
// or, when that output is a graph output, makes the input's producer write
// it; false when neither can be done.
func bypass(g *Graph, n *Node) bool {
	x, y := n.Input(0), n.Outputs[0]
	if x == "" || y == "" {
		return false
	}
	if !g.IsOutput(y) {
		renameUses(g, y, x)
		return true
	}
	var prod *Node
	for _, p := range g.Nodes {
		if slices.Contains(p.Outputs, x) {
			prod = p
		}
	}
	if prod == nil || g.IsOutput(x) || slices.Contains(g.Inputs, x) {
		return false
	}
	for i, o := range prod.Outputs {
		if o == x {
			prod.Outputs[i] = y
		}
	}
	renameUses(g, x, y)
	return true
}

// renameUses makes every node that reads from read to instead.
func renameUses(g *Graph, from, to string) {
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if in == from {
				n.Inputs[i] = to
			}
		}
	}
}
