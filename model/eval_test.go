package model

import "testing"

// flattenGraph flattens x [batch, 2, 2] as PyTorch exports x.view(x.size(0), -1):
// Shape → Gather → Unsqueeze → Concat → Reshape, then scales by 2.
func flattenGraph(t *testing.T) *Graph {
	t.Helper()
	b := NewBuilder("flatten")
	x := b.Input("x", Float32, Shape{Sym("batch"), Fixed(2), Fixed(2)})
	n := b.Op("Gather", "n", nil, b.Op("Shape", "shape", nil, x), b.Const("zero", refI(nil, 0)))
	n = b.Op("Unsqueeze", "n1", nil, n, b.Const("axes", refI([]int{1}, 0)))
	s := b.Op("Concat", "s", Attrs{"axis": IntAttr(0)}, n, b.Const("minus1", refI([]int{1}, -1)))
	y := b.Op("Mul", "y", nil, b.Op("Reshape", "flat", nil, x, s), b.Const("two", refF(nil, 2)))
	b.Output(y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEvalComputesShapesFromData(t *testing.T) {
	g := flattenGraph(t)
	res, err := Eval(g, map[string]*Tensor{"x": refF([]int{2, 2, 2}, refSeq(8, 1, 0)...)})
	if err != nil {
		t.Fatal(err)
	}
	refWantF(t, res["y"], []int{2, 4}, 0, 2, 4, 6, 8, 10, 12, 14)
	if g.Values["y"].Shape != nil || !g.Values["x"].Shape.Equal(Shape{Sym("batch"), Fixed(2), Fixed(2)}) {
		t.Fatalf("Eval changed the graph: x %v, y %v", g.Values["x"].Shape, g.Values["y"].Shape)
	}
	// Without the data, inference stops at the Reshape and says why.
	refWantErr(t, InferShapes(g), `node "flat" (Reshape): its shape input "s" is computed at run time; infertop needs static shapes`)
}

func TestEvalInputErrors(t *testing.T) {
	g := flattenGraph(t)
	tests := []struct {
		name   string
		inputs map[string]*Tensor
		msg    string
	}{
		{"missing", nil, `input "x" is missing`},
		{"dtype", map[string]*Tensor{"x": refI([]int{1, 2, 2}, 1, 2, 3, 4)}, `input "x": got int64, the graph takes float32`},
		{"shape", map[string]*Tensor{"x": refF([]int{1, 4}, 1, 2, 3, 4)}, `input "x": got shape [1 4], the graph takes [batch 2 2]`},
		{"data", map[string]*Tensor{"x": refF([]int{1, 2, 2}, 1, 2)}, `input "x": shape [1 2 2] needs 4 elements, data holds 2`},
		{"extra", map[string]*Tensor{"x": refF([]int{1, 2, 2}, 1, 2, 3, 4), "z": refF(nil, 1)},
			`"z" is not an input of flatten (inputs: [x])`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Eval(g, tc.inputs)
			refWantErr(t, err, tc.msg)
		})
	}
}

func TestEvalReturnsCopiesOfConstantOutputs(t *testing.T) {
	b := NewBuilder("passthrough")
	x := b.Input("x", Float32, ShapeOf(1))
	b.Output(x, b.Op("Identity", "id", nil, b.Const("c", refF([]int{1}, 5))))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	in := refF([]int{1}, 3)
	res, err := Eval(g, map[string]*Tensor{"x": in})
	if err != nil {
		t.Fatal(err)
	}
	res["x"].F32[0] = 0
	refWantF(t, in, []int{1}, 3)
	refWantF(t, res["id"], []int{1}, 5)
}

func TestEvalNodeChecksItsArguments(t *testing.T) {
	y := NewTensor(Float32, 2)
	refWantErr(t, EvalNode(&Node{Name: "n", Op: "Foo"}, 0, nil, []*Tensor{y}), `node "n" (Foo): op not supported`)
	refWantErr(t, EvalNode(&Node{Name: "n", Op: "Add"}, 0, []*Tensor{y}, []*Tensor{y}), `node "n" (Add): takes 2 inputs, got 1`)
	refWantErr(t, EvalNode(&Node{Name: "n", Op: "Relu"}, 0, []*Tensor{y}, nil), `node "n" (Relu): its first output is missing`)
	// Shapes that disagree with the output are an error, never a panic.
	err := EvalNode(&Node{Name: "n", Op: "MatMul"}, 0, []*Tensor{NewTensor(Float32, 2, 3), NewTensor(Float32, 3, 2)}, []*Tensor{y})
	if err == nil {
		t.Fatal("no error for an output of the wrong shape")
	}
}
