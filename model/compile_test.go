package model

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// mlpGraph is x [batch, 4] → MatMul + Add → Relu → flattened by PyTorch's
// Shape → Gather → Unsqueeze → Concat → Reshape, through an Identity.
func mlpGraph(t *testing.T) *Graph {
	p := newPT(t, 13)
	x := p.b.Input("x", Float32, Shape{Sym("batch"), Fixed(4)})
	h := p.op("Relu", "relu", nil, p.op("Add", "add", nil, p.w("b", 6), p.op("MatMul", "mm", nil, x, p.w("W", 4, 6))))
	n := p.op("Unsqueeze", "unsq", nil, p.op("Gather", "gather", nil, p.op("Shape", "shape", nil, h), p.b.Const("zero", Ints(nil, []int64{0}))), p.ints("axes", 0))
	shape := p.op("Concat", "concat", Attrs{"axis": IntAttr(0)}, n, p.ints("rest", 3, 2))
	return p.raw(p.op("Identity", "y", nil, p.op("Reshape", "reshape", nil, h, shape)))
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name string
		o    CompileOptions
		want []string
	}{
		{"every pass", CompileOptions{}, []string{"Linear/Relu(x, mm/weight, mm/bias) -> relu", "Reshape(relu, concat) -> y"}},
		{"no fusion", CompileOptions{NoFuse: true}, []string{"MatMul(x, W) -> mm", "Add(b, mm) -> add", "Relu(add) -> relu", "Reshape(relu, concat) -> y"}},
		{"no activation epilogue", CompileOptions{Skip: []string{"fuse-activation"}}, []string{"Linear(x, mm/weight, mm/bias) -> add", "Relu(add) -> relu", "Reshape(relu, concat) -> y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mlpGraph(t)
			before := ptNodes(g)
			c, err := CompileWith(g, Binding{Batch: 5}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			ptWantNodes(t, c, tc.want...)
			if s := c.Values["y"].Shape; !s.Equal(ShapeOf(5, 3, 2)) {
				t.Errorf("y: %v", s)
			}
			if c.Const("concat") == nil || !slices.Equal(c.Const("concat").I64, []int64{5, 3, 2}) {
				t.Errorf("the shape did not fold: %v", c.Const("concat"))
			}
			if !slices.Equal(ptNodes(g), before) || !g.Values["x"].Shape.Equal(Shape{Sym("batch"), Fixed(4)}) {
				t.Errorf("Compile changed its input graph")
			}
			in := ptInputs(c, 3)
			want, err := Eval(g, in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Eval(c, in)
			if err != nil {
				t.Fatal(err)
			}
			ptClose(t, "y", got["y"], want["y"], 1e-5)
		})
	}
}

// TestCompileFusesNewerOpsIntoOlderOpsets compiles opset-13 decompositions
// into the LayerNormalization (opset 17) and Gelu (opset 20) they compute.
func TestCompileFusesNewerOpsIntoOlderOpsets(t *testing.T) {
	g := layerNormGraph(t, lnFull())
	g.Opset = 13
	x := g.Outputs[0]
	b := &Builder{g: g}
	d := b.Op("Div", "gdiv", nil, x, b.Const("sqrt2", Floats(nil, []float32{1.4142135})))
	a := b.Op("Add", "gadd", nil, b.Op("Erf", "erf", nil, d), b.Const("one", Floats(nil, []float32{1})))
	g.Outputs = []string{b.Op("Mul", "gmul2", nil, b.Op("Mul", "gmul1", nil, x, a), b.Const("half", Floats(nil, []float32{0.5})))}
	c, err := Compile(g, Binding{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	ptWantNodes(t, c, "LayerNormalization(x, gamma, beta) -> add", "Gelu(add) -> gmul2")
	if c.Opset != 13 {
		t.Errorf("opset %d, want 13", c.Opset)
	}
	ptSame(t, g, c)
}

func TestCompileErrors(t *testing.T) {
	t.Run("an unknown fusion", func(t *testing.T) {
		_, err := CompileWith(mlpGraph(t), Binding{Batch: 1}, CompileOptions{Skip: []string{"fuse-everything"}})
		want := `no fusion is named "fuse-everything" (fusions: ` + passNames(FusionPasses()) + ")"
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v\nwant %s", err, want)
		}
	})
	t.Run("an unbound dimension", func(t *testing.T) {
		g := mlpGraph(t)
		g.Values["x"].Shape[1] = Sym("features")
		_, err := Compile(g, Binding{Batch: 1})
		if err == nil || !strings.HasSuffix(err.Error(), "bind it with --dim features=N") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an op that cannot be computed", func(t *testing.T) {
		g := mlpGraph(t)
		g.Nodes[len(g.Nodes)-1].Op = "Loop"
		_, err := Compile(g, Binding{Batch: 1})
		var u *UnsupportedError
		if !errors.As(err, &u) || len(u.List) != 1 || u.List[0].Op != "Loop" || u.List[0].Node != "y" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a dead node that cannot be computed is dropped first", func(t *testing.T) {
		g := mlpGraph(t)
		g.Nodes = append(g.Nodes, &Node{Name: "dead", Op: "Loop", Inputs: []string{"x"}, Outputs: []string{"dead"}})
		g.AddValue(&Value{Name: "dead"})
		if _, err := Compile(g, Binding{Batch: 1}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a shape computed at run time", func(t *testing.T) {
		p := newPT(t, 13)
		x := p.b.Input("x", Float32, Shape{Sym("batch"), Fixed(4)})
		g := p.raw(p.op("Reshape", "r", nil, x, p.b.Input("shape", Int64, ShapeOf(2))))
		_, err := Compile(g, Binding{Batch: 2})
		if err == nil || !strings.Contains(err.Error(), `node "r" (Reshape)`) || !strings.HasPrefix(err.Error(), "fold: ") {
			t.Fatalf("err = %v", err)
		}
		var ri *RuntimeInputError
		if !errors.As(err, &ri) || *ri != (RuntimeInputError{Node: "r", Op: "Reshape", What: "shape", Input: "shape"}) {
			t.Errorf("err = %#v, want a *RuntimeInputError naming the shape input", err)
		}
	})
}

// TestFusionPassesTogether runs every fusion in Compile's order over the
// patterns each is written for, so that no pass spoils another's match.
func TestFusionPassesTogether(t *testing.T) {
	tests := []struct {
		name string
		g    func(t *testing.T) *Graph
		want []string
	}{
		{"layer norm", func(t *testing.T) *Graph {
			return layerNormGraph(t, lnFull())
		}, []string{"LayerNormalization(x, gamma, beta) -> add"}},
		{"GELU", func(t *testing.T) *Graph { return geluGraph(t, true, "xa", 0.5, false) }, []string{"Gelu(x) -> mul2"}},
		{"nn.MultiheadAttention", func(t *testing.T) *Graph { return mhaGraph(t, mhaParts{scaleQ: 2}) }, []string{
			"Linear(x, in_mm/weight, in_mm/bias) -> in_mm/qkv",
			"Attention(in_mm/qkv) -> softmax/context",
			"Linear(softmax/context, out_w, out_b) -> y"}},
		{"BERT", func(t *testing.T) *Graph { return bertGraph(t, bertParts{}) }, []string{
			"Linear(x, query/qkv_weight, query/qkv_bias) -> query/qkv",
			"Attention(query/qkv, mask) -> o_r",
			"Linear(o_r, out/weight, out/bias) -> out_add"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g(t)
			c, _ := ptRun(t, g, FusionPasses()...)
			ptWantNodes(t, c, tc.want...)
			ptSame(t, g, c)
		})
	}
}
