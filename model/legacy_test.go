package model

import (
	"slices"
	"testing"
)

func TestLegacyBroadcast(t *testing.T) {
	a := refF([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	bcast := func(axis ...int64) Attrs {
		at := Attrs{"broadcast": IntAttr(1)}
		if len(axis) > 0 {
			at["axis"] = IntAttr(axis[0])
		}
		return at
	}
	tests := []struct {
		name  string
		opset int
		op    string
		attrs Attrs
		b     *Tensor
		want  []float32 // nil: an error
		err   string
	}{
		{"equal shapes need no broadcast", 6, "Add", nil, refF([]int{2, 3}, 1, 1, 1, 1, 1, 1), []float32{2, 3, 4, 5, 6, 7}, ""},
		{"broadcast=0 refuses other shapes", 6, "Add", nil, refF([]int{3}, 1, 2, 3), nil,
			`node "n" (Add): before opset 7 its inputs must have one shape unless broadcast=1; "x0" [2 3] and "x1" [3] differ`},
		{"opset 7 broadcasts without the attribute", 7, "Add", nil, refF([]int{3}, 1, 2, 3), []float32{2, 4, 6, 5, 7, 9}, ""},
		{"suffix", 6, "Sub", bcast(), refF([]int{3}, 1, 2, 3), []float32{0, 0, 0, 3, 3, 3}, ""},
		{"scalar", 1, "Mul", bcast(), refF(nil, 2), []float32{2, 4, 6, 8, 10, 12}, ""},
		{"axis at the right", 6, "Div", bcast(1), refF([]int{3}, 1, 2, 3), []float32{1, 1, 1, 4, 2.5, 2}, ""},
		{"size-1 dimension, axis 0 of equal ranks", 6, "Add", bcast(0), refF([]int{2, 1}, 10, 20), []float32{11, 12, 13, 24, 25, 26}, ""},
		{"pow", 6, "Pow", bcast(), refF([]int{3}, 2, 1, 0), []float32{1, 2, 1, 16, 5, 1}, ""},
		{"axis elsewhere", 6, "Add", bcast(0), refF([]int{2}, 1, 2), nil,
			`node "n" (Add): broadcast=1 with axis=0 aligns "x1" [2] at axis 0 of "x0" [2 3]; only the right alignment (axis=1) is computed`},
		{"A would grow", 6, "Add", bcast(), refF([]int{3, 2, 3}, make([]float32, 18)...), nil,
			`node "n" (Add): before opset 7 broadcast=1 broadcasts "x1" [3 2 3] to the shape of "x0" [2 3], which it does not fit`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := refRun(tc.opset, tc.op, tc.attrs, 1, a, tc.b)
			if tc.want == nil {
				refWantErr(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			refWantF(t, out[0], []int{2, 3}, tc.want...)
		})
	}
	t.Run("equal", func(t *testing.T) {
		got := refRun1(t, 6, "Equal", bcast(), refI([]int{2, 2}, 1, 2, 3, 4), refI([]int{2}, 1, 4))
		refWantB(t, got, []int{2, 2}, true, false, false, true)
	})
}

func TestLegacyGemm(t *testing.T) {
	a, b := refF([]int{1, 2}, 1, 2), refF([]int{2, 2}, 1, 0, 0, 1)
	refWantF(t, refRun1(t, 6, "Gemm", Attrs{"broadcast": IntAttr(1)}, a, b, refF([]int{2}, 10, 20)), []int{1, 2}, 11, 22)
	refWantF(t, refRun1(t, 6, "Gemm", nil, a, b, refF([]int{1, 2}, 10, 20)), []int{1, 2}, 11, 22)
	_, err := refRun(6, "Gemm", nil, 1, a, b, refF([]int{2}, 10, 20))
	refWantErr(t, err, `node "n" (Gemm): before opset 7 C must be [M N] = [1 2] unless broadcast=1; it is [2]`)
	refWantF(t, refRun1(t, 7, "Gemm", nil, a, b, refF([]int{2}, 10, 20)), []int{1, 2}, 11, 22)
}

func TestLegacyTrainingModes(t *testing.T) {
	x := refF([]int{1, 2, 1}, 1, 2)
	c := func(v ...float32) *Tensor { return refF([]int{2}, v...) }
	testMode := Attrs{"is_test": IntAttr(1)}
	refWantF(t, refRun1(t, 6, "BatchNormalization", testMode, x, c(1, 1), c(0, 1), c(0, 0), c(1, 1)), []int{1, 2, 1}, 1, 3)
	_, err := refRun(6, "BatchNormalization", nil, 1, x, c(1, 1), c(0, 1), c(0, 0), c(1, 1))
	refWantErr(t, err, `node "n" (BatchNormalization): is_test=0 (training mode; before opset 7 inference needs is_test=1); BatchNormalization is computed for inference only`)
	refWantF(t, refRun1(t, 7, "BatchNormalization", nil, x, c(1, 1), c(0, 1), c(0, 0), c(1, 1)), []int{1, 2, 1}, 1, 3)

	refWantF(t, refRun1(t, 6, "Dropout", testMode, x), []int{1, 2, 1}, 1, 2)
	_, err = refRun(6, "Dropout", nil, 1, x)
	refWantErr(t, err, `node "n" (Dropout): is_test=0 (training mode; before opset 7 inference needs is_test=1); Dropout is computed for inference only`)

	for _, op := range []string{"BatchNormalization", "Dropout"} {
		g := supportGraph(6, &Node{Op: op, Inputs: []string{"x"}, Outputs: []string{"out"}})
		if u := CheckSupported(g); len(u) != 1 || u[0].Reason != "is_test=0 (training mode; before opset 7 inference needs is_test=1)" {
			t.Errorf("%s at opset 6 without is_test: %v", op, u)
		}
		g.Nodes[0].Attrs = testMode
		if u := CheckSupported(g); len(u) != 0 {
			t.Errorf("%s at opset 6 with is_test=1: %v", op, u)
		}
	}
}

// TestLegacyDropoutStaysUntilRefused: a training Dropout of opset 6 is not
// an Identity, so Compile refuses it rather than drop it.
func TestLegacyDropoutStaysUntilRefused(t *testing.T) {
	b := NewBuilder("d")
	x := b.Input("x", Float32, Shape{Sym("batch"), Fixed(2)})
	b.Output(b.Op("Dropout", "drop", nil, x))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Opset = 6
	_, err = Compile(g, Binding{Batch: 1})
	refWantErr(t, err, `d needs what cannot be computed: Dropout (opset 6) ×1, first "drop": is_test=0 (training mode; before opset 7 inference needs is_test=1)`)
	g.Nodes[0].Attrs = Attrs{"is_test": IntAttr(1)}
	c, err := Compile(g, Binding{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 1 || c.Nodes[0].Op != "Identity" && c.Nodes[0].Op != "Dropout" {
		t.Errorf("nodes %v", c.Nodes)
	}
}

func TestLegacyCastNamesItsDtype(t *testing.T) {
	x := refF([]int{2}, 1.5, -2.5)
	refWantI(t, refRun1(t, 5, "Cast", Attrs{"to": StringAttr("INT32")}, x), Int32, []int{2}, 1, -2)
	refWantB(t, refRun1(t, 1, "Cast", Attrs{"to": StringAttr("BOOL")}, x), []int{2}, true, true)
	_, err := refRun(5, "Cast", Attrs{"to": StringAttr("REAL")}, 1, x)
	refWantErr(t, err, `node "n" (Cast): its attribute to names no dtype (accepted: TensorProto's numbers, or their names as FLOAT, INT64)`)
	g := supportGraph(5, &Node{Op: "Cast", Attrs: Attrs{"to": StringAttr("DOUBLE")}, Inputs: []string{"x"}, Outputs: []string{"out"}})
	if u := CheckSupported(g); len(u) != 1 || u[0].Reason != "Cast to float64" {
		t.Errorf("Cast to DOUBLE: %v", u)
	}
}

func TestLegacyConcatAxis(t *testing.T) {
	a, b := refF([]int{1, 2}, 1, 2), refF([]int{1, 1}, 3)
	refWantF(t, refRun1(t, 3, "Concat", nil, a, b), []int{1, 3}, 1, 2, 3)
	refWantF(t, refRun1(t, 4, "Concat", Attrs{"axis": IntAttr(1)}, a, b), []int{1, 3}, 1, 2, 3)
	_, err := refRun(4, "Concat", nil, 1, a, b)
	refWantErr(t, err, `node "n" (Concat): has no axis`)
}

func TestLegacyReshapeAttribute(t *testing.T) {
	x := refF([]int{2, 3}, refSeq(6, 1, 0)...)
	refWantF(t, refRun1(t, 4, "Reshape", Attrs{"shape": IntsAttr(3, -1)}, x), []int{3, 2}, refSeq(6, 1, 0)...)
	_, err := refRun(4, "Reshape", nil, 1, x)
	refWantErr(t, err, `node "n" (Reshape): has no shape attribute`)
	_, err = refRun(4, "Reshape", nil, 1, x, refI([]int{1}, 6))
	refWantErr(t, err, `node "n" (Reshape): takes its shape as an attribute before opset 5, got 2 inputs`)
	_, err = refRun(5, "Reshape", Attrs{"shape": IntsAttr(6)}, 1, x)
	refWantErr(t, err, `node "n" (Reshape): takes its shape as input 1 from opset 5, got 1 input`)
}

func TestLegacySplitInput(t *testing.T) {
	x := refF([]int{3}, 1, 2, 3)
	out, err := refRun(1, "Split", nil, 2, x, refI([]int{2}, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	refWantF(t, out[0], []int{1}, 1)
	refWantF(t, out[1], []int{2}, 2, 3)
	_, err = refRun(2, "Split", nil, 2, x, refI([]int{2}, 1, 2))
	refWantErr(t, err, `node "n" (Split): takes split as an attribute from opset 2 to 12, got 2 inputs`)
	out, err = refRun(2, "Split", Attrs{"split": IntsAttr(2, 1)}, 2, x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].F32, []float32{1, 2}) || !slices.Equal(out[1].F32, []float32{3}) {
		t.Errorf("split [2 1]: %v %v", out[0].F32, out[1].F32)
	}
}

// TestLegacyFormsInCompile: a compiled graph holds Cast's dtype as a number
// and Concat's axis explicitly, whatever its opset wrote.
func TestLegacyFormsInCompile(t *testing.T) {
	b := NewBuilder("old")
	x := b.Input("x", Float32, Shape{Sym("batch"), Fixed(2)})
	shared := Attrs{"to": StringAttr("INT32")}
	c := b.Op("Cast", "cast", shared, x)
	b.Output(b.Op("Concat", "cat", nil, c, b.Op("Cast", "cast2", shared, x)))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Opset = 3
	cg, err := Compile(g, Binding{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range cg.Nodes {
		switch n.Op {
		case "Cast":
			if a := n.Attrs["to"]; a.Kind != AttrInt || DType(a.Int) != Int32 {
				t.Errorf("%s: to %+v, want the number of int32", n.Name, a)
			}
		case "Concat":
			if a, ok := n.Attrs["axis"]; !ok || a.Kind != AttrInt || a.Int != 1 {
				t.Errorf("%s: axis %+v, want 1", n.Name, a)
			}
		}
	}
	for _, n := range g.Nodes {
		if n.Op == "Concat" && n.Attrs.Has("axis") || n.Op == "Cast" && n.Attrs["to"].Kind != AttrString {
			t.Errorf("Compile changed the graph it was given: %v", n.Attrs)
		}
	}
	if s := cg.Values[cg.Outputs[0]].Shape; !s.Equal(ShapeOf(2, 4)) {
		t.Errorf("output shape %v, want [2 4]", s)
	}
}
