package model

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// ptNet builds the small graphs the pass tests run on: fixed-shape float32
// inputs, random weights, scalar and int64 constants, nodes by op.
type ptNet struct {
	t     *testing.T
	b     *Builder
	r     *rand.Rand
	opset int
}

func newPT(t *testing.T, opset int) *ptNet {
	t.Helper()
	return &ptNet{t: t, b: NewBuilder(t.Name()), r: rand.New(rand.NewSource(1)), opset: opset}
}

// in adds a float32 input of a fixed shape.
func (p *ptNet) in(name string, dims ...int) string {
	return p.b.Input(name, Float32, ShapeOf(dims...))
}

// w adds a float32 constant of random values in [-1, 1).
func (p *ptNet) w(name string, dims ...int) string {
	v := make([]float32, NumElems(dims))
	for i := range v {
		v[i] = float32(p.r.Float64()*2 - 1)
	}
	return p.b.Const(name, Floats(dims, v))
}

// pos adds a float32 constant of random values in [0.5, 1.5).
func (p *ptNet) pos(name string, dims ...int) string {
	v := make([]float32, NumElems(dims))
	for i := range v {
		v[i] = float32(0.5 + p.r.Float64())
	}
	return p.b.Const(name, Floats(dims, v))
}

// f adds a float32 constant of the given shape and values.
func (p *ptNet) f(name string, dims []int, v ...float32) string {
	return p.b.Const(name, Floats(dims, v))
}

// s adds a float32 scalar constant.
func (p *ptNet) s(name string, v float32) string { return p.b.Const(name, Floats(nil, []float32{v})) }

// ints adds an int64 constant of shape [len(v)].
func (p *ptNet) ints(name string, v ...int64) string {
	return p.b.Const(name, Ints([]int{len(v)}, v))
}

// op adds a node with one output named like the node.
func (p *ptNet) op(op, name string, attrs Attrs, in ...string) string {
	return p.b.Op(op, name, attrs, in...)
}

// raw finishes the graph with the given outputs, its shapes those of the
// inputs and constants alone.
func (p *ptNet) raw(outs ...string) *Graph {
	p.t.Helper()
	p.b.Output(outs...)
	g, err := p.b.Build()
	if err != nil {
		p.t.Fatal(err)
	}
	g.Opset = p.opset
	return g
}

// build finishes the graph with the given outputs and infers its shapes.
func (p *ptNet) build(outs ...string) *Graph {
	p.t.Helper()
	g := p.raw(outs...)
	if err := InferShapes(g); err != nil {
		p.t.Fatal(err)
	}
	return g
}

// ptRun runs passes in order on a copy of g and returns the copy and the
// rewrites the last pass made; the copy must be valid and its shapes must
// infer again to what the passes recorded.
func ptRun(t *testing.T, g *Graph, passes ...Pass) (*Graph, int) {
	t.Helper()
	c := g.Clone()
	count := 0
	for _, p := range passes {
		n, err := p.Run(c)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		count = n
	}
	if err := finish(c); err != nil {
		t.Fatalf("after %s: %v\n%s", passNames(passes), err, strings.Join(ptNodes(c), "\n"))
	}
	return c, count
}

// ptNodes lists the nodes as `Op(inputs) -> outputs`, fused ops without
// their "infertop." prefix and an activation after a slash: `Linear/Relu(x, w, b) -> y`.
func ptNodes(g *Graph) []string {
	out := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		op := strings.TrimPrefix(n.Op, "infertop.")
		if a := ActivationOf(n); a.Op != "" {
			op += "/" + a.String()
		}
		out[i] = fmt.Sprintf("%s(%s) -> %s", op, strings.Join(n.Inputs, ", "), strings.Join(n.Outputs, ", "))
	}
	return out
}

// ptWantNodes checks the nodes of g against want, one line each.
func ptWantNodes(t *testing.T, g *Graph, want ...string) {
	t.Helper()
	if got := ptNodes(g); !slices.Equal(got, want) {
		t.Fatalf("nodes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// ptNode returns the node of g named name.
func ptNode(t *testing.T, g *Graph, name string) *Node {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %q in %s", name, strings.Join(ptNodes(g), "; "))
	return nil
}

// ptInputs draws inputs for g: standard normal floats, 0 or 1 integers
// (masks), alternating bools.
func ptInputs(g *Graph, seed int64) map[string]*Tensor {
	r := rand.New(rand.NewSource(seed))
	in := map[string]*Tensor{}
	for _, name := range g.Inputs {
		v := g.Values[name]
		t := NewTensor(v.DType, v.Shape.Ints()...)
		for i := range t.F32 {
			t.F32[i] = float32(r.NormFloat64())
		}
		for i := range t.I64 {
			t.I64[i] = int64(r.Intn(2))
		}
		for i := range t.Bool {
			t.Bool[i] = i%2 == 0
		}
		in[name] = t
	}
	return in
}

// ptSame checks that two graphs compute the same outputs on random inputs:
// each element within 1e-5 of the reference relatively, the mean magnitude
// of the output serving as the floor for elements near zero.
func ptSame(t *testing.T, before, after *Graph) {
	t.Helper()
	in := ptInputs(before, 7)
	want, err := Eval(before, in)
	if err != nil {
		t.Fatalf("before: %v", err)
	}
	got, err := Eval(after, in)
	if err != nil {
		t.Fatalf("after: %v", err)
	}
	for _, name := range before.Outputs {
		ptClose(t, name, got[name], want[name], 1e-5)
	}
}

// ptClose compares two float32 tensors elementwise (see ptSame).
func ptClose(t *testing.T, name string, got, want *Tensor, tol float64) {
	t.Helper()
	if got == nil || !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: got %v, want shape %v", name, got, want.Shape)
	}
	mean := 0.0
	for _, v := range want.F32 {
		mean += math.Abs(float64(v))
	}
	mean /= float64(max(len(want.F32), 1))
	for i := range want.F32 {
		a, b := float64(got.F32[i]), float64(want.F32[i])
		if math.Abs(a-b) > tol*math.Max(math.Abs(b), mean) || math.IsNaN(a) != math.IsNaN(b) {
			t.Fatalf("%s[%d] = %g, want %g (tolerance %g relative)", name, i, a, b, tol)
		}
	}
}

// ptCase is one row of a pass's table: a graph, the nodes the passes make of
// it, and what else must hold of the result.
type ptCase struct {
	name  string
	build func(p *ptNet) *Graph
	want  []string
	check func(t *testing.T, before, after *Graph)
}

// ptTable runs the passes on each case's graph (built at opset): the result
// must hold the wanted nodes, pass the check and compute what the graph did.
func ptTable(t *testing.T, opset int, cases []ptCase, passes ...Pass) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.build(newPT(t, opset))
			c, _ := ptRun(t, g, passes...)
			ptWantNodes(t, c, tc.want...)
			if tc.check != nil {
				tc.check(t, g, c)
			}
			ptSame(t, g, c)
		})
	}
}

// ptUnchanged checks that a pass leaves a graph as it was.
func ptUnchanged(t *testing.T, g *Graph, p Pass) {
	t.Helper()
	c, n := ptRun(t, g, p)
	if n != 0 || !slices.Equal(ptNodes(c), ptNodes(g)) {
		t.Fatalf("%s rewrote %d times:\n  %s\nwas:\n  %s", p.Name, n, strings.Join(ptNodes(c), "\n  "),
			strings.Join(ptNodes(g), "\n  "))
	}
}

// ptFloats returns the data of a float32 constant.
func ptFloats(t *testing.T, g *Graph, name string) []float32 {
	t.Helper()
	c := g.Const(name)
	if c == nil || c.DType != Float32 {
		t.Fatalf("%q is not a float32 constant", name)
	}
	return c.F32
}
