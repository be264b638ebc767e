package cuda

import (
	"fmt"

	"infertop/model"
)

// builder turns a compiled graph into a Plan, node by node. It places every
// value: constants in weight buffers (one per constant a step reads), graph
// inputs in buffers of their own, and computed values in activation buffers
// shared by values whose lives do not overlap (see alloc.go).
type builder struct {
	g    *model.Graph
	plan *Plan
	n    int64 // the batch
	caps Dim3
	opts Options

	weights map[string]int // constant name → buffer
	zeros   int            // the buffer of zeros, −1 until a node needs one
	work    int            // the im2col workspace, −1 until a convolution needs one
	hwork   int            // a half-precision plan's (its columns in half), −1 until then
	dnnX    int            // cuDNN's half-precision input, −1 until a convolution needs one
	dnnY    int            // and output
	refs    map[string]Ref // where each value lies
	mem     *arena
	node    int // index of the node being emitted
}

func newBuilder(g *model.Graph, batch int, caps Dim3, opts Options) *builder {
	return &builder{g: g, n: int64(batch), caps: caps, opts: opts,
		plan:    &Plan{Graph: g.Name, Batch: batch, Conv: map[string]ConvWay{}},
		weights: map[string]int{}, zeros: -1, work: -1, hwork: -1, dnnX: -1, dnnY: -1, refs: map[string]Ref{}}
}

// run emits every node's steps and records the inputs and outputs.
func (b *builder) run() error {
	for _, name := range b.g.Inputs {
		v := b.g.Values[name]
		t := elemOf(v.DType)
		r := Ref{Buf: b.add(Buffer{Name: name, Role: RoleInput, Floats: int64(v.Shape.Elems()), Type: t})}
		b.refs[name] = r
		b.plan.Inputs = append(b.plan.Inputs, IO{Name: name, Ref: r, Shape: v.Shape.Ints(), Floats: int64(v.Shape.Elems()), Type: t, DT: v.DType})
	}
	if b.opts.fullWorkspace {
		if ws := workspaceFloats(b.g); ws > 0 {
			if b.opts.half() == ElemF32 {
				b.workspace(ws)
			} else {
				b.halfWorkspace(ws) // the half plans' im2col writes its columns in half precision
			}
		}
		if x, y := cudnnHalfFloats(b.g); x > 0 && b.opts.half() != ElemF32 {
			t := b.opts.half().String()
			b.shared(&b.dnnX, Buffer{Name: "cudnn x " + t, Role: RoleWorkspace}, x)
			b.shared(&b.dnnY, Buffer{Name: "cudnn y " + t, Role: RoleWorkspace}, y)
		}
	}
	b.mem = newArena(b.g, b.plan)
	for i, n := range b.g.Nodes {
		b.node = i
		lo := len(b.plan.Steps)
		b.mem.begin(lo)
		if err := b.emit(n); err != nil {
			return err
		}
		hi := len(b.plan.Steps)
		ns := NodeSteps{Name: n.Name, Op: n.Op, Covers: n.Covers, Lo: lo, Hi: hi}
		if len(n.Outputs) > 0 {
			if r, ok := b.refs[n.Outputs[0]]; ok {
				s := b.shape(n.Outputs[0])
				ns.Out, ns.OutFloats = r, int64(model.NumElems(s))
				if len(s) > 0 {
					ns.Samples = s[0]
				}
			}
		}
		b.plan.Nodes = append(b.plan.Nodes, ns)
		b.mem.end(i, hi)
	}
	for _, name := range b.g.Outputs {
		r, err := b.ref(name)
		if err != nil {
			return err
		}
		s, dt := b.shape(name), b.g.Values[name].DType
		b.plan.Outputs = append(b.plan.Outputs, IO{Name: name, Ref: r, Shape: s, Floats: int64(model.NumElems(s)), Type: elemOf(dt), DT: dt})
	}
	b.mem.finish(len(b.plan.Steps))
	return nil
}

// emit adds the steps of one node.
func (b *builder) emit(n *model.Node) error {
	p, ok := opPlanOf(n.Op)
	if !ok {
		return fmt.Errorf("node %s: op %s has no CUDA plan", n.Name, n.Op)
	}
	return p.emit(b, n)
}

func (b *builder) add(buf Buffer) int {
	b.plan.Buffers = append(b.plan.Buffers, buf)
	return len(b.plan.Buffers) - 1
}

// shape returns the known shape of a value.
func (b *builder) shape(name string) []int { return b.g.Values[name].Shape.Ints() }

// elems is the number of values of a value.
func (b *builder) elems(name string) int64 { return int64(model.NumElems(b.shape(name))) }

// ref returns where a value lies: a constant gets its weight buffer on first use.
func (b *builder) ref(name string) (Ref, error) {
	if r, ok := b.refs[name]; ok {
		return r, nil
	}
	v := b.g.Values[name]
	switch {
	case v == nil:
		return Ref{}, fmt.Errorf("node %s reads %q, which the graph lacks", b.g.Nodes[b.node].Name, name)
	case v.Const != nil:
		t := elemOf(v.Const.DType)
		r := Ref{Buf: b.add(Buffer{Name: name, Role: RoleWeight, Floats: int64(v.Const.Stored()), Const: v.Const, Type: t})}
		b.weights[name] = r.Buf
		b.refs[name] = r
		return r, nil
	}
	return Ref{}, fmt.Errorf("node %s reads %q before it is computed", b.g.Nodes[b.node].Name, name)
}

// args returns pointer arguments to the named values, "" giving a null pointer.
func (b *builder) args(names ...string) ([]Arg, error) {
	out := make([]Arg, len(names))
	for i, name := range names {
		if name == "" {
			out[i] = nilPtr()
			continue
		}
		r, err := b.ref(name)
		if err != nil {
			return nil, err
		}
		out[i] = ptr(r)
	}
	return out, nil
}

// floats is how many float32 values of memory a value takes (two per
// value of an integer or bool one).
func (b *builder) floats(name string) int64 {
	return b.elems(name) * elemOf(b.g.Values[name].DType).Size() / 4
}

// out places a value the current node writes and returns where.
func (b *builder) out(name string) Ref {
	r := b.mem.placeValue(name, b.floats(name))
	b.refs[name] = r
	return r
}

// alias makes value to share the memory of value from (a reshape).
func (b *builder) alias(to, from string) error {
	r, err := b.ref(from)
	if err != nil {
		return err
	}
	b.refs[to] = r
	b.mem.alias(to, r, b.floats(to))
	return nil
}

// scratch returns floats values of memory the current node may use until it ends.
func (b *builder) scratch(name string, floats int64) Ref { return b.mem.scratchSpace(name, floats) }

// zeroBias returns a weight buffer of at least n zeros (the bias of a node
// that has none; the kernels always add one).
func (b *builder) zeroBias(n int64) Ref {
	return b.shared(&b.zeros, Buffer{Name: "zeros", Role: RoleWeight}, n)
}

// workspace returns the im2col buffer, grown to hold floats values.
func (b *builder) workspace(floats int64) Ref {
	return b.shared(&b.work, Buffer{Name: "im2col", Role: RoleWorkspace}, floats)
}

// halfWorkspace returns the im2col buffer of a half-precision plan, whose
// columns are in its half type, grown to hold n of them.
func (b *builder) halfWorkspace(n int64) Ref {
	return b.shared(&b.hwork, Buffer{Name: "im2col " + b.opts.half().String(), Role: RoleWorkspace}, halfFloats(n))
}

// weightIn returns the constant name as the A or B operand of a product:
// its float32 weight buffer, or in a half-precision plan a weight buffer
// of its own in that type (converted once when the weights are uploaded),
// and the operand's type.
func (b *builder) weightIn(name string) (Ref, Elem, error) {
	t := b.opts.half()
	if t == ElemF32 {
		r, err := b.ref(name)
		return r, t, err
	}
	key := name + " (" + t.String() + ")"
	if r, ok := b.refs[key]; ok {
		return r, t, nil
	}
	c := b.g.Const(name)
	if c == nil {
		return Ref{}, t, fmt.Errorf("node %s: product operand %q is not a constant", b.g.Nodes[b.node].Name, name)
	}
	r := Ref{Buf: b.add(Buffer{Name: key, Role: RoleWeight, Floats: int64(len(c.F32)), Type: t, Const: c})}
	b.refs[key] = r
	return r, t, nil
}

// toHalf converts n float32 values at src into dst, a half-precision copy
// (in the plan's half type) that the next product reads.
func (b *builder) toHalf(node string, src, dst Ref, n int64) {
	b.elementwise(node, KToHalf, n, ptr(src), ptr(dst), i64(n), i64(int64(b.opts.half())))
}

// halfCopy places a scratch half-precision copy of n float32 values at src
// for the current node and returns it; in a float32 plan it returns src.
func (b *builder) halfCopy(node, what string, src Ref, n int64) Ref {
	if b.opts.half() == ElemF32 {
		return src
	}
	dst := b.scratch(node+"/"+what+" "+b.opts.half().String(), halfFloats(n))
	b.toHalf(node, src, dst, n)
	return dst
}

// shared returns a buffer every node that needs one shares, added to the
// plan on first use (*at is its index, −1 until then) and grown to hold
// floats values.
func (b *builder) shared(at *int, buf Buffer, floats int64) Ref {
	if *at < 0 {
		*at = b.add(buf)
	}
	p := &b.plan.Buffers[*at]
	p.Floats = max(p.Floats, floats)
	return Ref{Buf: *at}
}

func (b *builder) gemm(node string, g Gemm) {
	if g.Batch == 0 {
		g.Batch = 1
	}
	b.plan.Steps = append(b.plan.Steps, Step{Layer: node, Gemm: &g})
}

// launch appends a kernel launch with grid g (each dimension capped) and block blk.
func (b *builder) launch(node, kernel string, g, blk Dim3, args ...Arg) {
	g = Dim3{X: capDim(g.X, b.caps.X), Y: capDim(g.Y, b.caps.Y), Z: capDim(g.Z, b.caps.Z)}
	b.plan.Steps = append(b.plan.Steps, Step{Layer: node, Launch: &Launch{Kernel: kernel, Grid: g, Block: blk, Args: args}})
}

// elementwise launches a one-thread-per-element kernel over work items.
func (b *builder) elementwise(node, kernel string, work int64, args ...Arg) {
	b.launch(node, kernel, Dim3{X: blocks(work, Block), Y: 1, Z: 1}, Dim3{X: Block, Y: 1, Z: 1}, args...)
}

// rowwise launches a one-block-per-row kernel.
func (b *builder) rowwise(node, kernel string, rows int64, args ...Arg) {
	b.launch(node, kernel, Dim3{X: clampInt(rows), Y: 1, Z: 1}, Dim3{X: Block, Y: 1, Z: 1}, args...)
}
