package model

import (
	"slices"
	"strings"
	"testing"
)

func TestFoldConstants(t *testing.T) {
	tests := []struct {
		name  string
		opset int
		build func(p *ptNet) *Graph
		want  []string
		check func(t *testing.T, before, g *Graph)
	}{{
		name: "PyTorch's Shape → Gather → Unsqueeze → Concat → Reshape",
		build: func(p *ptNet) *Graph {
			x := p.in("x", 2, 3, 4)
			b := p.op("Gather", "gather", Attrs{"axis": IntAttr(0)}, p.op("Shape", "shape", nil, x), p.b.Const("zero", Ints(nil, []int64{0})))
			u := p.op("Unsqueeze", "unsq", nil, b, p.ints("axes", 0))
			shape := p.op("Concat", "concat", Attrs{"axis": IntAttr(0)}, u, p.op("Constant", "minus1", Attrs{"value": {Kind: AttrTensor, Tensor: Ints([]int{1}, []int64{-1})}}))
			return p.raw(p.op("Reshape", "y", nil, x, shape))
		},
		want: []string{"Reshape(x, concat) -> y"},
		check: func(t *testing.T, _, g *Graph) {
			if c := g.Const("concat"); c == nil || !slices.Equal(c.I64, []int64{2, -1}) {
				t.Errorf("the shape folded to %v, want [2 -1]", c)
			}
			if s := g.Values["y"].Shape; !s.Equal(ShapeOf(2, 12)) {
				t.Errorf("y has shape %v", s)
			}
		},
	}, {
		name:  "Shape with start and end (opset 15)",
		opset: 15,
		build: func(p *ptNet) *Graph {
			x := p.in("x", 2, 3, 4)
			return p.raw(p.op("Reshape", "y", nil, x, p.op("Concat", "cat", Attrs{"axis": IntAttr(0)},
				p.ints("minus1", -1), p.op("Shape", "shape", Attrs{"start": IntAttr(-2)}, x))))
		},
		want: []string{"Reshape(x, cat) -> y"},
		check: func(t *testing.T, _, g *Graph) {
			if c := g.Const("cat"); c == nil || !slices.Equal(c.I64, []int64{-1, 3, 4}) {
				t.Errorf("the shape folded to %v, want [-1 3 4]", c)
			}
		},
	}, {
		name: "a causal mask from Range, Equal, Where and a Cast",
		build: func(p *ptNet) *Graph {
			r := p.op("Range", "range", nil, p.b.Const("r0", Ints(nil, []int64{0})), p.b.Const("r1", Ints(nil, []int64{3})), p.b.Const("r2", Ints(nil, []int64{1})))
			eq := p.op("Equal", "eq", nil, r, p.b.Const("r3", Ints([]int{3, 1}, []int64{0, 1, 2})))
			w := p.op("Where", "where", nil, eq, p.op("Cast", "cast", Attrs{"to": IntAttr(int64(Float32))}, r), p.s("big", -100))
			return p.raw(p.op("Add", "y", nil, p.in("x", 2, 3, 3), w))
		},
		want: []string{"Add(x, where) -> y"},
		check: func(t *testing.T, _, g *Graph) {
			if c := ptFloats(t, g, "where"); !slices.Equal(c, []float32{0, -100, -100, -100, 1, -100, -100, -100, 2}) {
				t.Errorf("the mask folded to %v", c)
			}
		},
	}, {
		name: "a Transpose of a weight above FoldLimit folds",
		build: func(p *ptNet) *Graph {
			w := p.b.Const("W", NewTensor(Float32, 1025, 1024))
			return p.raw(p.op("MatMul", "y", nil, p.in("x", 2, 1025), p.op("Transpose", "wt", nil, p.op("Transpose", "w2", nil, w))))
		},
		want: []string{"MatMul(x, wt) -> y"},
	}, {
		name: "a ConstantOfShape above FoldLimit stays, a small one folds",
		build: func(p *ptNet) *Graph {
			big := p.op("ConstantOfShape", "big", nil, p.ints("bigshape", 1025, 1024))
			small := p.op("ConstantOfShape", "small", Attrs{"value": {Kind: AttrTensor, Tensor: Floats([]int{1}, []float32{2})}}, p.ints("smallshape", 1, 1024))
			return p.raw(p.op("Add", "y", nil, big, small))
		},
		want: []string{"ConstantOfShape(bigshape) -> big", "Add(big, small) -> y"},
	}, {
		name: "an Identity of a constant shares its data",
		build: func(p *ptNet) *Graph {
			return p.raw(p.op("Add", "y", nil, p.in("x", 2), p.op("Identity", "id", nil, p.w("b", 2))))
		},
		want: []string{"Add(x, id) -> y"},
		check: func(t *testing.T, before, g *Graph) {
			if g.Const("id") == nil || &g.Const("id").F32[0] != &before.Const("b").F32[0] {
				t.Errorf("the Identity copied its constant")
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.build(newPT(t, orDefault(tc.opset, 13)))
			c := g.Clone()
			if _, err := FoldConstants.Run(c); err != nil {
				t.Fatal(err)
			}
			ptWantNodes(t, c, tc.want...)
			if tc.check != nil {
				tc.check(t, g, c)
			}
			if g.Values["x"] != nil {
				ptSame(t, g, c)
			}
		})
	}
}

func TestFoldConstantsNamesTheFailingNode(t *testing.T) {
	p := newPT(t, 13)
	g := p.raw(p.op("Reshape", "y", nil, p.w("w", 2, 3), p.ints("shape", 4, 2)))
	_, err := FoldConstants.Run(g)
	if err == nil || !strings.Contains(err.Error(), `node "y" (Reshape)`) {
		t.Fatalf("err = %v", err)
	}
}
