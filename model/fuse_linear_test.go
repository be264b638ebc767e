package model

import (
	"slices"
	"testing"
)

func TestFuseLinear(t *testing.T) {
	ptTable(t, 17, []ptCase{{
		name: "Gemm transB=1 keeps its weight and bias",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Gemm", "fc", Attrs{"transB": IntAttr(1)}, p.in("x", 2, 3), p.w("W", 4, 3), p.w("B", 4)))
		},
		want: []string{"Linear(x, W, B) -> fc"},
	}, {
		name: "Gemm transB=0 with alpha, beta and a [1, N] bias",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Gemm", "fc", Attrs{"alpha": FloatAttr(2), "beta": FloatAttr(0.5)},
				p.in("x", 2, 2), p.f("W", []int{2, 3}, 1, 2, 3, 4, 5, 6), p.f("C", []int{1, 3}, 10, 20, 30)))
		},
		want: []string{"Linear(x, fc/weight, fc/bias) -> fc"},
		check: func(t *testing.T, _, g *Graph) {
			if w := ptFloats(t, g, "fc/weight"); !slices.Equal(w, []float32{2, 8, 4, 10, 6, 12}) {
				t.Errorf("weight = %v, want 2·Wᵀ", w)
			}
			if b := ptFloats(t, g, "fc/bias"); !slices.Equal(b, []float32{5, 10, 15}) || len(g.Const("fc/bias").Shape) != 1 {
				t.Errorf("bias = %v %v, want 0.5·C as [3]", b, g.Const("fc/bias").Shape)
			}
		},
	}, {
		name: "Gemm with a scalar C",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Gemm", "fc", Attrs{"transB": IntAttr(1)}, p.in("x", 2, 3), p.w("W", 2, 3), p.s("C", 7)))
		},
		want: []string{"Linear(x, W, fc/bias) -> fc"},
		check: func(t *testing.T, _, g *Graph) {
			if b := ptFloats(t, g, "fc/bias"); !slices.Equal(b, []float32{7, 7}) {
				t.Errorf("bias = %v, want [7 7]", b)
			}
		},
	}, {
		name: "MatMul then Add of a bias, PyTorch's order (bias first)",
		build: func(p *ptNet) *Graph {
			mm := p.op("MatMul", "mm", nil, p.in("x", 2, 5, 3), p.f("W", []int{3, 2}, 1, 2, 3, 4, 5, 6))
			return p.build(p.op("Add", "add", nil, p.f("B", []int{2}, 1, -1), mm))
		},
		want: []string{"Linear(x, mm/weight, mm/bias) -> add"},
		check: func(t *testing.T, _, g *Graph) {
			if w := ptFloats(t, g, "mm/weight"); !slices.Equal(w, []float32{1, 3, 5, 2, 4, 6}) {
				t.Errorf("weight = %v, want Wᵀ", w)
			}
			if b := ptFloats(t, g, "mm/bias"); !slices.Equal(b, []float32{1, -1}) {
				t.Errorf("bias = %v", b)
			}
			if n := ptNode(t, g, "mm"); !slices.Equal(n.Covers, []string{"mm", "add"}) {
				t.Errorf("covers %v, want [mm add]", n.Covers)
			}
		},
	}, {
		name: "MatMul without a bias; a shared weight is transposed once",
		build: func(p *ptNet) *Graph {
			w := p.w("W", 3, 3)
			a := p.op("MatMul", "mm1", nil, p.in("x", 4, 3), w)
			return p.build(p.op("MatMul", "mm2", nil, a, w))
		},
		want: []string{"Linear(x, mm1/weight, ) -> mm1", "Linear(mm1, mm1/weight, ) -> mm2"},
	}, {
		name: "a bias after a Gemm's own bias adds to it",
		build: func(p *ptNet) *Graph {
			fc := p.op("Gemm", "fc", Attrs{"transB": IntAttr(1)}, p.in("x", 2, 2), p.w("W", 2, 2), p.f("B", []int{2}, 1, 2))
			return p.build(p.op("Add", "add", nil, fc, p.f("C", []int{1, 1}, 10)))
		},
		want: []string{"Linear(x, W, fc/bias) -> add"},
		check: func(t *testing.T, _, g *Graph) {
			if b := ptFloats(t, g, "fc/bias"); !slices.Equal(b, []float32{11, 12}) {
				t.Errorf("bias = %v, want [11 12]", b)
			}
		},
	}, {
		name: "Gemm transA=1 stays",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Gemm", "fc", Attrs{"transA": IntAttr(1)}, p.in("x", 3, 2), p.w("W", 3, 4)))
		},
		want: []string{"Gemm(x, W) -> fc"},
	}, {
		name: "a computed weight stays",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("MatMul", "mm", nil, p.in("x", 2, 3), p.in("w", 3, 4)))
		},
		want: []string{"MatMul(x, w) -> mm"},
	}, {
		name: "a Gemm bias of one row per sample stays a Gemm",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("Gemm", "fc", nil, p.in("x", 2, 3), p.w("W", 3, 4), p.w("C", 2, 4)))
		},
		want: []string{"Gemm(x, W, C) -> fc"},
	}, {
		name: "a 3-D constant right operand stays a MatMul",
		build: func(p *ptNet) *Graph {
			return p.build(p.op("MatMul", "mm", nil, p.in("x", 2, 2, 3), p.w("W", 2, 3, 4)))
		},
		want: []string{"MatMul(x, W) -> mm"},
	}, {
		name: "a bias along another axis, or after a product read twice, stays an Add",
		build: func(p *ptNet) *Graph {
			mm := p.op("MatMul", "mm", nil, p.in("x", 3, 3), p.w("W", 3, 3))
			a := p.op("Add", "add", nil, mm, p.w("C", 3, 1))
			return p.build(p.op("Add", "add2", nil, p.op("Add", "add1", nil, mm, p.w("B", 3)), a))
		},
		want: []string{"Linear(x, mm/weight, ) -> mm", "Add(mm, C) -> add", "Add(mm, B) -> add1", "Add(add1, add) -> add2"},
	}}, FuseLinear)
}
