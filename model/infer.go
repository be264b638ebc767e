package model

import "fmt"

// InferShapes runs InferNode over the graph's nodes in their order; the first
// error stops it. Values whose shape depends on data (Reshape's shape, Slice's
// starts ...) need those inputs to be constants by the time their node is
// reached, so a graph whose shapes are computed from Shape nodes must have
// them folded as it goes (infer a node, fold it when its inputs are constant,
// go on).
func InferShapes(g *Graph) error {
	for _, n := range g.Nodes {
		if err := InferNode(g, n); err != nil {
			return err
		}
	}
	return nil
}

// InferNode sets the dtype and shape of every output value of n from its
// inputs' dtypes and shapes (and from the data of constant inputs where ONNX
// makes a shape depend on values), following the semantics of g.Opset. It
// creates output values the graph lacks. Where auto_pad is SAME_UPPER,
// SAME_LOWER or VALID and the spatial sizes are known, it rewrites the node's
// attributes to the explicit pads it resolves to, so passes and engines see
// only explicit pads. Errors name the node and op and say what was wrong.
func InferNode(g *Graph, n *Node) error {
	def, ok := opDefs[n.Op]
	if !ok {
		return errNode(n, "op not supported")
	}
	c := &inferCtx{g: g, n: n, opset: EffectiveOpset(g.Opset), def: def}
	if err := c.bind(); err != nil {
		return err
	}
	return def.infer(c)
}

// inferCtx is what an op's inference reads and writes.
type inferCtx struct {
	g     *Graph
	n     *Node
	opset int
	def   opDef
	// in holds each input's value, nil for an omitted one.
	in []*Value
}

// bind checks the node's input and output counts, finds its input values
// (each with a dtype and a rank) and creates missing output values.
func (c *inferCtx) bind() error {
	n, d := c.n, c.def
	nin := len(n.Inputs)
	for nin > 0 && n.Inputs[nin-1] == "" {
		nin--
	}
	if nin < d.ins[0] || (d.ins[1] >= 0 && nin > d.ins[1]) {
		return c.errf("takes %s, got %d", countRange(d.ins, "input"), nin)
	}
	if no := len(n.Outputs); no < d.outs[0] || (d.outs[1] >= 0 && no > d.outs[1]) {
		return c.errf("has %s, got %d", countRange(d.outs, "output"), no)
	}
	c.in = make([]*Value, nin)
	for i, name := range n.Inputs[:nin] {
		if name == "" {
			if i < d.ins[0] {
				return c.errf("input %d is required but omitted", i)
			}
			continue
		}
		v := c.g.Values[name]
		switch {
		case v == nil:
			return c.errf("input %q is not a value of the graph", name)
		case v.DType == Undefined:
			return c.errf("input %q has no dtype yet (is its producer inferred?)", name)
		case v.Shape == nil:
			return c.errf("input %q has no shape yet (is its producer inferred?)", name)
		case !v.DType.Computable():
			return c.errf("input %q is %s; only float32, int64, int32 and bool can be computed", name, v.DType)
		}
		c.in[i] = v
	}
	for _, o := range n.Outputs {
		if o != "" && c.g.Values[o] == nil {
			c.g.AddValue(&Value{Name: o})
		}
	}
	if nin > 0 && c.in[0] != nil && !d.types.has(c.in[0].DType) {
		return c.errf("input %q is %s; %s computes %s", n.Inputs[0], c.in[0].DType, n.Op, d.types)
	}
	return nil
}

func countRange(r [2]int, what string) string {
	plural := func(k int) string {
		if k == 1 {
			return what
		}
		return what + "s"
	}
	switch {
	case r[1] < 0:
		return fmt.Sprintf("at least %d %s", r[0], plural(r[0]))
	case r[0] == r[1]:
		return fmt.Sprintf("%d %s", r[0], plural(r[0]))
	}
	return fmt.Sprintf("%d to %d %s", r[0], r[1], plural(r[1]))
}

// errf returns an error that names the node and its op.
func (c *inferCtx) errf(format string, a ...any) error { return errNode(c.n, format, a...) }

// has reports whether input i is given.
func (c *inferCtx) has(i int) bool { return i < len(c.in) && c.in[i] != nil }

// shape and dtype of input i (which must be given).
func (c *inferCtx) shape(i int) Shape { return c.in[i].Shape }
func (c *inferCtx) dtype(i int) DType { return c.in[i].DType }

// name of input i.
func (c *inferCtx) name(i int) string { return c.n.Inputs[i] }

// set gives output i its dtype and shape (an omitted output is skipped).
func (c *inferCtx) set(i int, dt DType, s Shape) {
	if i < len(c.n.Outputs) && c.n.Outputs[i] != "" {
		v := c.g.Values[c.n.Outputs[i]]
		v.DType, v.Shape = dt, s
	}
}

// constInput returns the data of input i, or an error saying that the shape
// depends on it and it is computed at run time. what names the input
// ("shape", "axes").
func (c *inferCtx) constInput(i int, what string) (*Tensor, error) {
	t := c.in[i].Const
	if t == nil {
		return nil, c.runtimeInput(i, what)
	}
	if !t.DType.IsInt() && what != "value" {
		return nil, c.errf("its %s input %q is %s; it must be int64 or int32", what, c.name(i), t.DType)
	}
	return t, nil
}

// runtimeInput is the error of a node whose output shape depends on the
// data of input i, which is computed at run time; what names the input.
func (c *inferCtx) runtimeInput(i int, what string) error {
	return &RuntimeInputError{Node: c.n.Name, Op: c.n.Op, What: what, Input: c.name(i)}
}

// RuntimeInputError is the error of a node whose output shape depends on the
// data of an input that is computed at run time (Reshape's shape, Slice's
// starts, Range's limit ...): every shape is fixed when a graph is compiled,
// so such an input must be a constant or folded into one.
type RuntimeInputError struct {
	// Node and Op name the node.
	Node, Op string
	// What is the input's role ("shape", "axes", "starts").
	What string
	// Input is the value the node reads there.
	Input string
}

// Error reads like `node "r" (Reshape): its shape input "s" is computed at run time; infertop needs static shapes`.
func (e *RuntimeInputError) Error() string {
	return fmt.Sprintf("node %q (%s): its %s input %q is computed at run time; infertop needs static shapes", e.Node, e.Op, e.What, e.Input)
}

// wantType checks input i's dtype.
func (c *inferCtx) wantType(i int, ts typeSet) error {
	if !ts.has(c.dtype(i)) {
		return c.errf("input %q is %s; %s takes %s there", c.name(i), c.dtype(i), c.n.Op, ts)
	}
	return nil
}

// sameType checks that input j has input i's dtype.
func (c *inferCtx) sameType(i, j int) error {
	if c.dtype(i) != c.dtype(j) {
		return c.errf("inputs %q (%s) and %q (%s) must have the same dtype", c.name(i), c.dtype(i), c.name(j), c.dtype(j))
	}
	return nil
}

// wantRank checks that input i's rank is within [lo, hi] (hi < 0: unbounded).
func (c *inferCtx) wantRank(i, lo, hi int) error {
	r := len(c.shape(i))
	if r < lo || (hi >= 0 && r > hi) {
		want := fmt.Sprintf("%d to %d", lo, hi)
		switch {
		case hi < 0:
			want = fmt.Sprintf("at least %d", lo)
		case lo == hi:
			want = fmt.Sprint(lo)
		}
		return c.errf("input %q has shape %v; its rank must be %s", c.name(i), c.shape(i), want)
	}
	return nil
}

// axis normalizes a possibly negative axis of a rank-r shape.
func (c *inferCtx) axis(a int64, r int) (int, error) {
	ax, err := normAxis(a, r)
	if err != nil {
		return 0, c.errf("%v", err)
	}
	return ax, nil
}

// normAxis normalizes a possibly negative axis of a rank-r shape.
func normAxis(a int64, r int) (int, error) {
	if a < -int64(r) || a >= int64(r) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d (accepted: %d to %d)", a, r, -r, r-1)
	}
	if a < 0 {
		a += int64(r)
	}
	return int(a), nil
}

// attrAxis reads the axis attribute (def when absent) of a rank-r shape, normalized.
func attrAxis(n *Node, def int64, r int) (int, error) { return normAxis(n.Attrs.Int("axis", def), r) }

// axisSet normalizes a list of axes of a rank-r shape, refusing repeats.
func (c *inferCtx) axisSet(list []int64, r int, what string) ([MaxRank]bool, error) {
	var set [MaxRank]bool
	if r > MaxRank {
		return set, c.errf("rank %d is above %d, the most the kernels compute", r, MaxRank)
	}
	for _, a := range list {
		ax, err := c.axis(a, r)
		if err != nil {
			return set, err
		}
		if set[ax] {
			return set, c.errf("%s %v name axis %d twice", what, list, ax)
		}
		set[ax] = true
	}
	return set, nil
}

// unknown is a dimension whose size inference cannot tell.
var unknown = Dim{Size: -1}

// dimProd is the product of dims: a fixed size when all are known, the
// one symbolic dimension when every other is 1, unknown otherwise.
func dimProd(dims []Dim) Dim {
	n, sym, syms := 1, Dim{}, 0
	for _, d := range dims {
		if d.Known() {
			n *= d.Size
		} else {
			sym = d
			syms++
		}
	}
	switch {
	case syms == 0:
		return Fixed(n)
	case syms == 1 && n == 1:
		return sym
	}
	return unknown
}

// broadcastShapes is the numpy broadcast of shapes a and b.
func broadcastShapes(a, b Shape) (Shape, error) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := a.Clone()
	off := len(a) - len(b)
	for i, db := range b {
		da := a[off+i]
		switch {
		case da == db:
		case db.Known() && db.Size == 1:
		case da.Known() && da.Size == 1:
			out[off+i] = db
		case da.Known() && db.Known():
			return nil, fmt.Errorf("dimension %d: %d against %d", off+i, da.Size, db.Size)
		case !da.Known() && db.Known():
			out[off+i] = db
		case da.Known():
		default:
			out[off+i] = unknown
		}
	}
	return out, nil
}
