package cpu

import (
	"fmt"
	"sort"
	"strings"

	"infertop/model"
)

// val is one value as the steps see it: a value of the compiled graph in
// one layout — the graph's own, or channels-last ([N, C, S...] stored as
// [N, S..., C], for convolutions and pools) — or a constant.
type val struct {
	name string
	// t holds the dtype and the shape in this layout; its data is bound at
	// Prepare (a constant's is the graph's, or a reordered copy).
	t *model.Tensor
	// cl says the value is stored channels-last.
	cl bool
	// konst says t holds constant data, outside the arena.
	konst bool
	// alias is the value whose buffer this one shares (a reshape, or a layout
	// change of a shape whose element order it keeps); nil for an owner.
	alias *val
	// store is its buffer, set by the memory planner (memory.go).
	store *storage
}

// root is the value that owns v's buffer.
func (v *val) root() *val {
	for v.alias != nil {
		v = v.alias
	}
	return v
}

// step is one kernel call: a node of the graph, or a layout change.
type step struct {
	// name is the node's name (a layout change is named after the value it converts).
	name string
	op   string
	k    kernel
	ins  []*val
	outs []*val
	// inplace lists the inputs whose buffer output 0 may take when they are
	// read for the last time here (element-wise kernels read each element
	// before they write the same one).
	inplace []int
}

// kernel is a step's computation over the buffers bound at Prepare.
type kernel interface {
	compute() error
}

// Optional kernel interfaces.
type (
	// scratchUser needs a scratch buffer while it runs; the steps run one at
	// a time, so they all share one.
	scratchUser interface {
		scratchFloats() int
		setScratch(buf []float32)
	}
	// binder caches its buffers' slices and packs its weights once the
	// buffers are allocated.
	binder interface{ bind() }
	// packer holds weights of its own (reordered for its layout), packedFloats of them.
	packer interface{ packedFloats() int }
	// packedInput reads input i only through its own packed copy of it.
	packedInput interface{ readsPacked(i int) bool }
)

// planner turns a compiled graph into steps: it chooses each value's
// layout, inserts the layout changes, and picks each node's kernel.
type planner struct {
	g     *model.Graph
	c     *compute
	opset int
	// vals holds each graph value's forms: [0] the graph's layout, [1] channels-last.
	vals map[string]*[2]*val
	// cl marks the values computed channels-last.
	cl    map[string]bool
	steps []*step
	// ref counts the nodes computed by the reference kernels, by op.
	ref map[string]int
	// convs counts the layout changes.
	convs int
	cons  map[string][]*model.Node
}

func newPlanner(g *model.Graph, c *compute) *planner {
	return &planner{g: g, c: c, opset: g.Opset, vals: map[string]*[2]*val{}, cl: map[string]bool{}, ref: map[string]int{},
		cons: g.Consumers()}
}

// plan makes the steps of the whole graph: the graph's inputs in its layout,
// every node in order, and the outputs converted back where needed. A node
// the planner cannot make sense of is an error, never a panic.
func (p *planner) plan() (err error) {
	node := "the graph's inputs"
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("planning %s: %v", node, r)
		}
	}()
	for _, name := range p.g.Inputs {
		v := p.g.Values[name]
		p.vals[name] = &[2]*val{{name: name, t: &model.Tensor{DType: v.DType, Shape: v.Shape.Ints()}}}
	}
	for _, n := range p.g.Nodes {
		node = fmt.Sprintf("node %q (%s)", n.Name, n.Op)
		if err := p.node(n); err != nil {
			return fmt.Errorf("%s: %w", node, err)
		}
	}
	node = "the graph's outputs"
	for _, name := range p.g.Outputs {
		p.get(name, false)
	}
	return nil
}

// fastOps are the planners of the ops that have fast kernels. Each reports
// whether it took the node (some take only some shapes or attributes).
var fastOps = map[string]func(p *planner, n *model.Node) (bool, error){
	model.OpLinear:       (*planner).linear,
	model.OpFusedConv:    (*planner).conv,
	model.OpAttention:    (*planner).attention,
	"MaxPool":            (*planner).pool,
	"AveragePool":        (*planner).pool,
	"GlobalAveragePool":  (*planner).globalPool,
	"GlobalMaxPool":      (*planner).globalPool,
	"LayerNormalization": (*planner).layerNorm,
	"Softmax":            (*planner).softmax,
	"BatchNormalization": (*planner).batchNorm,
	"Relu":               (*planner).unary,
	"LeakyRelu":          (*planner).unary,
	"Sigmoid":            (*planner).unary,
	"HardSigmoid":        (*planner).unary,
	"HardSwish":          (*planner).unary,
	"Tanh":               (*planner).unary,
	"Gelu":               (*planner).unary,
	"Clip":               (*planner).unary,
	"Add":                (*planner).binary,
	"Sub":                (*planner).binary,
	"Mul":                (*planner).binary,
	"Div":                (*planner).binary,
	"MatMul":             (*planner).matmul,
	"Transpose":          (*planner).transpose,
	"Concat":             (*planner).concat,
	"Split":              (*planner).split,
	"Reshape":            (*planner).reshape,
	"Flatten":            (*planner).reshape,
	"Squeeze":            (*planner).reshape,
	"Unsqueeze":          (*planner).reshape,
	"Identity":           (*planner).reshape,
	"Dropout":            (*planner).reshape,
}

// node plans one node: its fast kernel when it has one for the node's
// shapes and attributes, else the reference kernel.
func (p *planner) node(n *model.Node) error {
	if plan := fastOps[n.Op]; plan != nil {
		if ok, err := plan(p, n); err != nil || ok {
			return err
		}
	}
	return p.fallback(n)
}

// optional adds a node's optional input (none when name is "") to ins, in
// the layout given, and returns its tensor (nil when omitted).
func (p *planner) optional(name string, cl bool, ins *[]*val) *model.Tensor {
	if name == "" {
		return nil
	}
	v := p.get(name, cl)
	*ins = append(*ins, v)
	return v.t
}

// shape is a graph value's shape (the graph's layout).
func (p *planner) shape(name string) []int { return p.g.Values[name].Shape.Ints() }

// dtype is a graph value's dtype.
func (p *planner) dtype(name string) model.DType { return p.g.Values[name].DType }

// isConst reports a constant input.
func (p *planner) isConst(name string) bool { return p.g.Const(name) != nil }

// used reports whether some node reads one of the values or the graph returns it.
func (p *planner) used(names ...string) bool {
	for _, name := range names {
		if name != "" && (p.g.IsOutput(name) || len(p.cons[name]) > 0) {
			return true
		}
	}
	return false
}

// clable reports a value that may be stored channels-last: float32 of rank 3 or 4.
func (p *planner) clable(name string) bool {
	v := p.g.Values[name]
	return v != nil && v.DType == model.Float32 && len(v.Shape) >= 3 && len(v.Shape) <= 4
}

// clShape is the channels-last form of a shape [N, C, S...]: [N, S..., C].
func clShape(s []int) []int {
	out := make([]int, 0, len(s))
	out = append(out, s[0])
	out = append(out, s[2:]...)
	return append(out, s[1])
}

// keepsOrder reports a shape whose channels-last form holds its elements in
// the same order: one channel, or one pixel.
func keepsOrder(s []int) bool { return len(s) < 3 || s[1] == 1 || model.NumElems(s[2:]) == 1 }

func layoutIndex(cl bool) int {
	if cl {
		return 1
	}
	return 0
}

// get returns a graph value in the layout asked for, adding a layout
// change before the step about to be planned when it is not there yet.
func (p *planner) get(name string, cl bool) *val {
	pair := p.vals[name]
	if pair == nil {
		c := p.g.Const(name)
		if c == nil {
			panic(fmt.Sprintf("cpu engine: %q is read before it is computed", name))
		}
		pair = &[2]*val{{name: name, t: c, konst: true}}
		p.vals[name] = pair
	}
	i := layoutIndex(cl)
	if pair[i] != nil {
		return pair[i]
	}
	src := pair[1-i]
	shape := p.shape(name)
	phys := shape
	if cl {
		phys = clShape(shape)
	}
	t := &model.Tensor{DType: src.t.DType, Shape: phys}
	v := &val{name: name, t: t, cl: cl}
	switch {
	case src.konst:
		v.konst = true
		v.t = reorderConst(src.t, cl)
	case keepsOrder(shape):
		v.alias = src
	default:
		v.name = name + map[bool]string{true: ".nhwc", false: ".nchw"}[cl]
		p.convs++
		p.add(&step{name: v.name, op: "layout", k: newLayoutKernel(p.c, src.t, t, cl), ins: []*val{src}, outs: []*val{v}})
	}
	pair[i] = v
	return v
}

// out makes the value a node computes, in the layout given.
func (p *planner) out(name string, cl bool) *val {
	v := p.g.Values[name]
	shape := v.Shape.Ints()
	if cl {
		shape = clShape(shape)
		p.cl[name] = true
	}
	o := &val{name: name, t: &model.Tensor{DType: v.DType, Shape: shape}, cl: cl}
	pair := &[2]*val{}
	pair[layoutIndex(cl)] = o
	p.vals[name] = pair
	return o
}

// isCL reports a computed value stored channels-last.
func (p *planner) isCL(name string) bool { return p.cl[name] }

// add appends a step.
func (p *planner) add(s *step) { p.steps = append(p.steps, s) }

// reorderConst returns a constant in the layout asked for (the graph's data
// when its order is kept).
func reorderConst(c *model.Tensor, cl bool) *model.Tensor {
	s := c.Shape
	if !cl || keepsOrder(s) {
		shape := s
		if cl {
			shape = clShape(s)
		}
		return &model.Tensor{DType: c.DType, Shape: shape, F32: c.F32, I64: c.I64, Bool: c.Bool}
	}
	n, ch, sp := s[0], s[1], model.NumElems(s[2:])
	out := make([]float32, len(c.F32))
	for b := 0; b < n; b++ {
		for i := 0; i < ch; i++ {
			for j := 0; j < sp; j++ {
				out[(b*sp+j)*ch+i] = c.F32[(b*ch+i)*sp+j]
			}
		}
	}
	return model.Floats(clShape(s), out)
}

// summary describes the plan for Info.Plan: what runs channels-last, the
// layout changes, and the nodes left to the reference kernels, e.g.
// "12 values channels-last, 2 layout changes; reference kernels: Cast, Gather ×2".
func (p *planner) summary() string {
	var parts []string
	if n := len(p.cl); n > 0 {
		parts = append(parts, fmt.Sprintf("%s channels-last, %s", plural(n, "value"), plural(p.convs, "layout change")))
	}
	if len(p.ref) > 0 {
		ops := make([]string, 0, len(p.ref))
		for op, k := range p.ref {
			if k > 1 {
				op = fmt.Sprintf("%s ×%d", op, k)
			}
			ops = append(ops, op)
		}
		sort.Strings(ops)
		parts = append(parts, "reference kernels: "+strings.Join(ops, ", "))
	}
	return strings.Join(parts, "; ")
}

// plural reads like "1 value" or "3 values".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
