package session

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"infertop/model"
	"infertop/report"
)

// steps describes each node of c, the graph loaded compiled: its op with
// what a fused op folded in, its output shape and FLOPs, and the nodes of
// loaded it covers with their op types (a fused op a preset is built with
// without its namespace, as the step's label writes it).
func steps(loaded, c *model.Graph) []report.Step {
	opOf := make(map[string]string, len(loaded.Nodes))
	for _, n := range loaded.Nodes {
		opOf[n.Name] = n.Op
	}
	out := make([]report.Step, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		s := report.Step{Name: n.Name, Op: n.Op, FLOPs: model.NodeFLOPs(c, n), Covers: n.Covers}
		switch n.Op {
		case model.OpLinear, model.OpFusedConv:
			s.Activation = model.ActivationOf(n).String()
			s.Residual = n.Input(3) != ""
		case model.OpAttention:
			s.Mask = n.Input(1) != ""
		}
		if len(s.Covers) == 0 {
			s.Covers = []string{n.Name}
		}
		for _, name := range s.Covers {
			op, ok := opOf[name]
			if !ok {
				op = "?"
			}
			s.CoverOps = append(s.CoverOps, strings.TrimPrefix(op, "infertop."))
		}
		if len(n.Outputs) > 0 {
			if v := c.Values[n.Outputs[0]]; v != nil {
				s.Shape = v.Shape.Ints()
			}
		}
		out = append(out, s)
	}
	return out
}

// fusion groups the steps by what they cover and became, the most frequent
// first (ties in the order they first appear), and counts the nodes of
// loaded that no step covers by op type, the most frequent first.
func fusion(loaded *model.Graph, steps []report.Step) *report.Fusion {
	f := &report.Fusion{Nodes: len(loaded.Nodes), Steps: len(steps), Groups: []report.FusionGroup{}, Folded: []report.OpCount{}}
	index := map[[2]string]int{}
	covered := map[string]bool{}
	for _, s := range steps {
		key := [2]string{opRun(s.CoverOps), s.Label()}
		if i, ok := index[key]; ok {
			f.Groups[i].Count++
		} else {
			index[key] = len(f.Groups)
			f.Groups = append(f.Groups, report.FusionGroup{Count: 1, From: key[0], To: key[1]})
		}
		for _, c := range s.Covers {
			covered[c] = true
		}
	}
	sort.SliceStable(f.Groups, func(i, j int) bool { return f.Groups[i].Count > f.Groups[j].Count })
	folded := map[string]int{}
	for _, n := range loaded.Nodes {
		if !covered[n.Name] {
			folded[n.Op]++
		}
	}
	for op, k := range folded {
		f.Folded = append(f.Folded, report.OpCount{Op: op, Count: k})
	}
	slices.SortFunc(f.Folded, func(a, b report.OpCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Op, b.Op)
	})
	f.Summary = report.FusionSummary(*f)
	return f
}

// opRun writes a list of ops in the order they first appear, each once
// with how many times it appears: "Conv+BatchNormalization+Relu",
// "MatMul×3+Add×3".
func opRun(ops []string) string {
	var order []string
	count := map[string]int{}
	for _, op := range ops {
		if count[op] == 0 {
			order = append(order, op)
		}
		count[op]++
	}
	parts := make([]string, len(order))
	for i, op := range order {
		parts[i] = op
		if count[op] > 1 {
			parts[i] += fmt.Sprintf("×%d", count[op])
		}
	}
	return strings.Join(parts, "+")
}
