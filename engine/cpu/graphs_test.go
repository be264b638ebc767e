package cpu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"infertop/model"
)

// gb builds small test graphs: fixed shapes, random constants, nodes named
// n0, n1 ... in order.
type gb struct {
	b     *model.Builder
	r     *rand.Rand
	nodes int
	opset int
}

func newGB(name string) *gb {
	return &gb{b: model.NewBuilder(name), r: rand.New(rand.NewPCG(uint64(len(name)), 9))}
}

// in adds a float32 graph input.
func (g *gb) in(shape ...int) string {
	g.nodes++
	return g.b.Input(fmt.Sprintf("in%d", g.nodes), model.Float32, model.ShapeOf(shape...))
}

// input adds a graph input of a dtype.
func (g *gb) input(name string, dt model.DType, shape ...int) string {
	return g.b.Input(name, dt, model.ShapeOf(shape...))
}

// konst adds a random float32 constant.
func (g *gb) konst(shape ...int) string {
	g.nodes++
	return g.b.Const(fmt.Sprintf("c%d", g.nodes), model.Floats(shape, randF(g.r, model.NumElems(shape), 1)))
}

// ints adds an int64 constant.
func (g *gb) ints(v ...int64) string {
	g.nodes++
	return g.b.Const(fmt.Sprintf("c%d", g.nodes), model.Ints([]int{len(v)}, v))
}

// scalar adds a float32 scalar constant.
func (g *gb) scalar(v float32) string {
	g.nodes++
	return g.b.Const(fmt.Sprintf("c%d", g.nodes), model.Floats(nil, []float32{v}))
}

// op adds a node with one output.
func (g *gb) op(op string, attrs model.Attrs, inputs ...string) string {
	g.nodes++
	return g.b.Op(op, fmt.Sprintf("n%d", g.nodes), attrs, inputs...)
}

// opN adds a node with n outputs.
func (g *gb) opN(op string, attrs model.Attrs, n int, inputs ...string) []string {
	g.nodes++
	return g.b.OpN(op, fmt.Sprintf("n%d", g.nodes), attrs, n, inputs...)
}

// conv adds an OpFusedConv of c → m channels with a random weight and bias.
func (g *gb) conv(x string, c, m int, attrs model.Attrs) string {
	k, _ := attrs.Ints("kernel_shape")
	group := int(attrs.Int("group", 1))
	shape := []int{m, c / group}
	for _, v := range k {
		shape = append(shape, int(v))
	}
	return g.op(model.OpFusedConv, attrs, x, g.konst(shape...), g.konst(m))
}

// graphCase is a graph to run against the reference kernels.
type graphCase struct {
	name  string
	build func(g *gb) []string // returns the outputs
	// ref lists the ops the engine may leave to the reference kernels.
	ref []string
	// layouts is how many layout changes the plan must make (-1: any).
	layouts int
}

// runGraphCases runs each case on 1 and 3 threads against model.Eval of the
// same compiled graph, and checks that no op outside ref ran on the
// reference kernels.
func runGraphCases(t *testing.T, cases []graphCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGB(tc.name)
			g.b.Output(tc.build(g)...)
			graph, err := g.b.Build()
			if err != nil {
				t.Fatal(err)
			}
			graph.Opset = g.opset
			m := &model.Model{Name: tc.name, Graph: graph}
			batch := graph.Values[graph.Inputs[0]].Shape[0].Size
			var want []*model.Tensor
			for _, threads := range []int{1, 3} {
				e := openT(t, m, threads, options{})
				if err := e.Prepare(batch); err != nil {
					t.Fatal(err)
				}
				layouts := 0
				for _, s := range e.plan.steps {
					if _, ref := s.k.(*refKernel); ref && !slices.Contains(tc.ref, s.op) {
						t.Errorf("node %s (%s) runs on the reference kernels", s.name, s.op)
					}
					if s.op == "layout" {
						layouts++
					}
				}
				if tc.layouts >= 0 && layouts != tc.layouts {
					t.Errorf("%d layout changes, want %d", layouts, tc.layouts)
				}
				in := inputsFor(e, 3)
				if want == nil {
					want = evalRef(t, e.plan.g, in)
				}
				got := runT(t, e, batch, in)
				compareOut(t, fmt.Sprintf("%d threads", threads), got, want)
				if t.Failed() {
					for _, s := range e.plan.steps {
						t.Logf("step %s (%s) %T", s.name, s.op, s.k)
					}
					return
				}
			}
		})
	}
}
