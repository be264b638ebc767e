package model

import "testing"

func TestInferShapesKeepsSymbols(t *testing.T) {
	b := NewBuilder("net")
	x := b.Input("x", Float32, Shape{Sym("batch"), Fixed(3), Fixed(8), Fixed(8)})
	w := b.Const("w", NewTensor(Float32, 4, 3, 3, 3))
	y := b.Op("Conv", "conv", Attrs{"pads": IntsAttr(1, 1, 1, 1)}, x, w)
	y = b.Op("MaxPool", "pool", Attrs{"kernel_shape": IntsAttr(2, 2), "strides": IntsAttr(2, 2)}, b.Op("Relu", "relu", nil, y))
	flat := b.Op("Flatten", "flat", nil, y)
	r := b.Op("Reshape", "reshape", nil, y, b.Const("shape", refI([]int{2}, 0, -1)))
	r2 := b.Op("Reshape", "reshape2", nil, y, b.Const("shape2", refI([]int{2}, -1, 64)))
	fc := b.Op("MatMul", "fc", nil, flat, b.Const("fcw", NewTensor(Float32, 64, 10)))
	sm := b.Op("Softmax", "sm", nil, b.Op("Add", "bias", nil, fc, b.Const("fcb", NewTensor(Float32, 10))))
	tr := b.Op("Transpose", "tr", nil, sm)
	b.Output(sm, r, r2, tr)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := InferShapes(g); err != nil {
		t.Fatal(err)
	}
	batch := Sym("batch")
	for name, want := range map[string]Shape{
		"conv":     {batch, Fixed(4), Fixed(8), Fixed(8)},
		"pool":     {batch, Fixed(4), Fixed(4), Fixed(4)},
		"flat":     {batch, Fixed(64)},
		"reshape":  {batch, Fixed(64)},
		"reshape2": {batch, Fixed(64)},
		"sm":       {batch, Fixed(10)},
		"tr":       {Fixed(10), batch},
	} {
		if v := g.Values[name]; !v.Shape.Equal(want) || v.DType != Float32 {
			t.Errorf("%s: %s %v, want float32 %v", name, v.DType, v.Shape, want)
		}
	}
}

func TestInferNodeErrors(t *testing.T) {
	graph := func() *Graph {
		g := NewGraph("g")
		g.AddValue(&Value{Name: "x", DType: Float32, Shape: Shape{Sym("batch"), Fixed(12)}})
		g.AddValue(&Value{Name: "s", DType: Int64, Shape: ShapeOf(2)})
		g.AddValue(&Value{Name: "u"})
		g.AddConst("w", NewTensor(Float32, 4, 12))
		g.Inputs = []string{"x", "s"}
		return g
	}
	tests := []struct {
		name string
		node *Node
		msg  string
	}{
		{"shape computed at run time", &Node{Name: "Reshape_12", Op: "Reshape", Inputs: []string{"x", "s"}, Outputs: []string{"y"}},
			`node "Reshape_12" (Reshape): its shape input "s" is computed at run time; infertop needs static shapes`},
		{"axes computed at run time", &Node{Name: "sq", Op: "Unsqueeze", Inputs: []string{"x", "s"}, Outputs: []string{"y"}},
			`node "sq" (Unsqueeze): its axes input "s" is computed at run time; infertop needs static shapes`},
		{"starts computed at run time", &Node{Name: "sl", Op: "Slice", Inputs: []string{"x", "s", "s"}, Outputs: []string{"y"}},
			`node "sl" (Slice): its starts input "s" is computed at run time; infertop needs static shapes`},
		{"range computed at run time", &Node{Name: "r", Op: "Range", Inputs: []string{"s", "s", "s"}, Outputs: []string{"y"}},
			`node "r" (Range): its start input "s" is computed at run time; infertop needs static shapes`},
		{"input not inferred", &Node{Name: "n", Op: "Relu", Inputs: []string{"u"}, Outputs: []string{"y"}},
			`node "n" (Relu): input "u" has no dtype yet (is its producer inferred?)`},
		{"input not a value", &Node{Name: "n", Op: "Relu", Inputs: []string{"nope"}, Outputs: []string{"y"}},
			`node "n" (Relu): input "nope" is not a value of the graph`},
		{"unknown op", &Node{Name: "n", Op: "Foo", Inputs: []string{"x"}, Outputs: []string{"y"}}, `node "n" (Foo): op not supported`},
		{"too many outputs", &Node{Name: "n", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y", "z"}},
			`node "n" (Relu): has 1 output, got 2`},
		{"required input omitted", &Node{Name: "n", Op: "Add", Inputs: []string{"", "x"}, Outputs: []string{"y"}},
			`node "n" (Add): input 0 is required but omitted`},
		{"weight not constant", &Node{Name: "fc", Op: OpLinear, Inputs: []string{"x", "x"}, Outputs: []string{"y"}},
			`node "fc" (infertop.Linear): its input "x" is not a constant; infertop.Linear takes a constant weight and bias`},
		{"too few inputs", &Node{Name: "n", Op: "Concat", Attrs: Attrs{"axis": IntAttr(0)}, Outputs: []string{"y"}},
			`node "n" (Concat): takes at least 1 input, got 0`},
		{"squeeze of a symbol", &Node{Name: "n", Op: "Squeeze", Inputs: []string{"x"}, Outputs: []string{"y"}},
			`node "n" (Squeeze): cannot tell whether dimension 0 of [batch 12] is 1; name the axes to squeeze`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graph()
			g.Nodes = []*Node{tc.node}
			refWantErr(t, InferShapes(g), tc.msg)
		})
	}
}

func TestInferLinearWithSymbolicBatch(t *testing.T) {
	g := NewGraph("g")
	g.AddValue(&Value{Name: "x", DType: Float32, Shape: Shape{Sym("batch"), Sym("seq"), Fixed(12)}})
	g.AddConst("w", NewTensor(Float32, 4, 12))
	g.AddConst("b", NewTensor(Float32, 4))
	n := &Node{Name: "fc", Op: OpLinear, Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}}
	if err := InferNode(g, n); err != nil {
		t.Fatal(err)
	}
	if s := g.Values["y"].Shape; !s.Equal(Shape{Sym("batch"), Sym("seq"), Fixed(4)}) {
		t.Fatalf("shape %v", s)
	}
}
