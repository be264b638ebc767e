package onnx

import (
	"slices"

	"infertop/model"
)

// unsupported lists what in a graph cannot be computed: what
// model.CheckSupported finds, then the nodes of ops it knows whose
// attributes no engine computes with (subgraphs, sparse tensors ...), grouped
// by op and reason in the order they first appear.
func unsupported(b *built) []model.Unsupported {
	list := model.CheckSupported(b.g)
	known := model.SupportedOps()
	for _, n := range b.g.Nodes {
		why, ok := b.refused[n]
		if !ok || !(slices.Contains(known, n.Op) || isFused(n.Op)) {
			continue // an op model does not know is listed already
		}
		i := slices.IndexFunc(list, func(u model.Unsupported) bool { return u.Op == n.Op && u.Reason == why })
		if i >= 0 {
			list[i].Count++
			continue
		}
		list = append(list, model.Unsupported{Op: n.Op, Opset: b.g.Opset, Node: n.Name, Count: 1, Reason: why})
	}
	return list
}

// isFused reports one of model's fused ops, which its passes make and no file should hold.
func isFused(op string) bool {
	return op == model.OpLinear || op == model.OpFusedConv || op == model.OpAttention
}
