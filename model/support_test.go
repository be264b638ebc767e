package model

import (
	"slices"
	"strings"
	"testing"
)

// supportGraph is a graph at opset whose nodes read and write float32
// values named by their inputs and outputs (created as needed).
func supportGraph(opset int, nodes ...*Node) *Graph {
	g := NewGraph("g")
	g.Opset = opset
	for i, n := range nodes {
		if n.Name == "" {
			n.Name = n.Op + "_" + string(rune('a'+i))
		}
		for _, name := range append(slices.Clone(n.Inputs), n.Outputs...) {
			if name != "" && g.Values[name] == nil {
				g.AddValue(&Value{Name: name, DType: Float32})
			}
		}
	}
	g.Nodes = nodes
	g.Outputs = []string{"out"}
	return g
}

func TestCheckSupportedReasons(t *testing.T) {
	node := func(op string, attrs Attrs, in []string, out ...string) *Node {
		return &Node{Op: op, Attrs: attrs, Inputs: in, Outputs: out}
	}
	tests := []struct {
		name   string
		opset  int
		nodes  []*Node
		change func(g *Graph)
		want   string // "" when supported
	}{
		{"supported", 17, []*Node{node("Relu", nil, []string{"x"}, "out")}, nil, ""},
		{"unknown op", 17, []*Node{node("Loop", nil, []string{"x"}, "out")}, nil, "op not supported"},
		{"other domain", 17, []*Node{node("com.microsoft.FusedGemm", nil, []string{"x"}, "out")}, nil,
			`domain "com.microsoft" is not supported (only ONNX's default domain)`},
		{"newer than the opset", 13, []*Node{node("LayerNormalization", nil, []string{"x", "s"}, "out")}, nil,
			"op first defined in opset 17, the graph is opset 13"},
		{"opset too new", 22, []*Node{node("Relu", nil, []string{"x"}, "out")}, nil, "opset 22 is outside the supported 1 to 21"},
		{"dtype", 17, []*Node{node("Conv", nil, []string{"x", "w"}, "out")}, func(g *Graph) { g.Values["x"].DType = Float16 },
			"dtype float16 (computable: float32, int64, int32, bool)"},
		{"dtype the op does not compute", 17, []*Node{node("Conv", nil, []string{"x", "w"}, "out")},
			func(g *Graph) { g.Values["x"].DType = Int64 }, "input dtype int64 (Conv computes float32)"},
		{"cast", 17, []*Node{node("Cast", Attrs{"to": IntAttr(int64(Float64))}, []string{"x"}, "out")}, nil, "Cast to float64"},
		{"batch norm training mode", 17, []*Node{node("BatchNormalization", Attrs{"training_mode": IntAttr(1)},
			[]string{"x", "s", "b", "m", "v"}, "out")}, nil, "training_mode=1"},
		{"batch norm training outputs", 9, []*Node{node("BatchNormalization", nil, []string{"x", "s", "b", "m", "v"}, "y", "rm"),
			node("Add", nil, []string{"y", "rm"}, "out")}, nil, "its training outputs (running or saved mean and variance) are used"},
		{"dropout training", 13, []*Node{node("Dropout", nil, []string{"x", "", "tm"}, "out")},
			func(g *Graph) { g.AddConst("tm", refB(nil, true)) }, "training_mode is true"},
		{"dropout inference", 13, []*Node{node("Dropout", nil, []string{"x", "", "tm"}, "out", "mask")},
			func(g *Graph) { g.AddConst("tm", refB(nil, false)) }, ""},
		{"dropout mode at run time", 13, []*Node{node("Dropout", nil, []string{"x", "", "tm"}, "out")}, nil,
			"training_mode is computed at run time"},
		{"max pool indices used", 17, []*Node{node("MaxPool", nil, []string{"x"}, "y", "idx"), node("Cast", Attrs{"to": IntAttr(1)}, []string{"idx"}, "out")},
			nil, "its Indices output is used"},
		{"max pool indices unused", 17, []*Node{node("MaxPool", nil, []string{"x"}, "out", "idx")}, nil, ""},
		{"layer norm statistics", 17, []*Node{node("LayerNormalization", nil, []string{"x", "s"}, "y", "mean"), node("Add", nil, []string{"y", "mean"}, "out")},
			nil, ""},
		{"storage order", 17, []*Node{node("MaxPool", Attrs{"storage_order": IntAttr(1)}, []string{"x"}, "out")}, nil, "storage_order=1 (column-major)"},
		{"auto_pad", 17, []*Node{node("Conv", Attrs{"auto_pad": StringAttr("SAME")}, []string{"x", "w"}, "out")}, nil,
			`auto_pad "SAME" (accepted: NOTSET, SAME_UPPER, SAME_LOWER, VALID)`},
		{"auto_pad fine", 17, []*Node{node("Conv", Attrs{"auto_pad": StringAttr("SAME_LOWER")}, []string{"x", "w"}, "out")}, nil, ""},
		{"graph attribute", 17, []*Node{node("Identity", Attrs{"body": {Kind: AttrGraph}}, []string{"x"}, "out")}, nil, `graph attribute "body"`},
		{"gelu approximation", 20, []*Node{node("Gelu", Attrs{"approximate": StringAttr("fast")}, []string{"x"}, "out")}, nil,
			`approximate "fast" (accepted: none, tanh)`},
		{"fused activation", 17, []*Node{node(OpLinear, Attrs{AttrActivation: StringAttr("Mish")}, []string{"x", "w"}, "out")}, nil,
			`unknown activation "Mish"`},
		{"string constant", 17, []*Node{node("Constant", Attrs{"value_string": StringAttr("a")}, nil, "out")}, nil,
			"its value_string cannot be computed (accepted: value, value_float(s), value_int(s))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := supportGraph(tc.opset, tc.nodes...)
			if tc.change != nil {
				tc.change(g)
			}
			u := CheckSupported(g)
			switch {
			case tc.want == "" && len(u) > 0:
				t.Fatalf("refused: %v", u)
			case tc.want == "":
			case len(u) != 1 || u[0].Reason != tc.want:
				t.Fatalf("got %v, want one refusal: %s", u, tc.want)
			}
		})
	}
}

func TestCheckSupportedGroupsAndCounts(t *testing.T) {
	g := supportGraph(17,
		&Node{Name: "loop_1", Op: "Loop", Inputs: []string{"x"}, Outputs: []string{"a"}},
		&Node{Name: "cast_1", Op: "Cast", Attrs: Attrs{"to": IntAttr(int64(Float16))}, Inputs: []string{"a"}, Outputs: []string{"b"}},
		&Node{Name: "loop_2", Op: "Loop", Inputs: []string{"b"}, Outputs: []string{"c"}},
		&Node{Name: "relu", Op: "Relu", Inputs: []string{"c"}, Outputs: []string{"out"}},
	)
	u := CheckSupported(g)
	want := []Unsupported{
		{Op: "Loop", Opset: 17, Node: "loop_1", Count: 2, Reason: "op not supported"},
		{Op: "Cast", Opset: 17, Node: "cast_1", Count: 1, Reason: "Cast to float16"},
	}
	if !slices.Equal(u, want) {
		t.Fatalf("got %v\nwant %v", u, want)
	}
	err := &UnsupportedError{Graph: "model.onnx", List: u}
	refWantErr(t, err, `model.onnx needs what cannot be computed: Loop (opset 17) ×2, first "loop_1": op not supported; `+
		`Cast (opset 17) ×1, first "cast_1": Cast to float16`)
}

func TestSupportedOpsAreTheListedOnes(t *testing.T) {
	want := strings.Fields(`Gemm MatMul Conv BatchNormalization MaxPool AveragePool GlobalAveragePool GlobalMaxPool
		ReduceMean ReduceSum ReduceMax Add Sub Mul Div Pow Sqrt Exp Erf Neg Relu LeakyRelu Clip Sigmoid HardSigmoid
		HardSwish Tanh Gelu Softmax LayerNormalization Concat Split Slice Transpose Reshape Flatten Squeeze Unsqueeze
		Gather Shape Constant ConstantOfShape Identity Dropout Cast Equal Where Expand Range`)
	slices.Sort(want)
	if got := SupportedOps(); !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}
