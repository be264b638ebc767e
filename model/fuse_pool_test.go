package model

import "testing"

func TestFuseGlobalPool(t *testing.T) {
	tests := []struct {
		name  string
		opset int
		build func(p *ptNet) string
		want  []string
	}{
		{"mean over H, W dropping them (PyTorch's x.mean(dim=(2, 3)))", 17, func(p *ptNet) string {
			return p.op("ReduceMean", "mean", Attrs{"axes": IntsAttr(2, 3), "keepdims": IntAttr(0)}, p.in("x", 2, 3, 4, 5))
		}, []string{"GlobalAveragePool(x) -> mean/pooled", "Flatten(mean/pooled) -> mean"}},
		{"mean keeping them, negative axes", 17, func(p *ptNet) string {
			return p.op("ReduceMean", "mean", Attrs{"axes": IntsAttr(-1, -2)}, p.in("x", 2, 3, 4, 5))
		}, []string{"GlobalAveragePool(x) -> mean"}},
		{"max with axes as an input", 18, func(p *ptNet) string {
			return p.op("ReduceMax", "max", nil, p.in("x", 2, 3, 4, 1, 2), p.ints("axes", 2, 3, 4))
		}, []string{"GlobalMaxPool(x) -> max"}},
		{"a mean over the last axis of [B, T, D]", 17, func(p *ptNet) string {
			return p.op("ReduceMean", "mean", Attrs{"axes": IntsAttr(-1)}, p.in("x", 2, 3, 4))
		}, []string{"ReduceMean(x) -> mean"}},
		{"not every spatial axis", 17, func(p *ptNet) string {
			return p.op("ReduceMean", "mean", Attrs{"axes": IntsAttr(3)}, p.in("x", 2, 3, 4, 5))
		}, []string{"ReduceMean(x) -> mean"}},
		{"the channels too", 17, func(p *ptNet) string {
			return p.op("ReduceMean", "mean", Attrs{"axes": IntsAttr(1, 2, 3)}, p.in("x", 2, 3, 4, 5))
		}, []string{"ReduceMean(x) -> mean"}},
		{"a sum", 17, func(p *ptNet) string {
			return p.op("ReduceSum", "sum", nil, p.in("x", 2, 3, 4), p.ints("axes", 2))
		}, []string{"ReduceSum(x, axes) -> sum"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, tc.opset)
			g := p.build(tc.build(p))
			c, _ := ptRun(t, g, FuseGlobalPool)
			ptWantNodes(t, c, tc.want...)
			for _, n := range c.Nodes {
				if len(n.Covers) != 1 || n.Covers[0] != g.Nodes[0].Name {
					t.Errorf("%s covers %v", n.Name, n.Covers)
				}
			}
			ptSame(t, g, c)
		})
	}
}
