package onnx

import (
	"fmt"
	"strconv"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// built is a graph as read, with the nodes that cannot be computed whatever
// their op (see nodeAttrs) and why.
type built struct {
	g       *model.Graph
	refused map[*model.Node]string
}

// graphBuilder keeps what reading one GraphProto needs: which value names
// are taken and by what, for "defined twice" errors.
type graphBuilder struct {
	l       *loader
	g       *model.Graph
	defs    map[string]string
	isInput map[string]bool
}

// define records that by defines the value name.
func (b *graphBuilder) define(name, by string) error {
	if name == "" {
		return fmt.Errorf("%s defines a value without a name", by)
	}
	if prev, ok := b.defs[name]; ok {
		return fmt.Errorf("value %q is defined twice: by %s and by %s", name, prev, by)
	}
	b.defs[name] = by
	return nil
}

// graph builds a model graph from a GraphProto: constants, inputs, nodes,
// then the types value_info and the outputs declare.
func (l *loader) graph(gp *onnxpb.GraphProto, name string, opset int) (*built, error) {
	b := &graphBuilder{l: l, g: model.NewGraph(name), defs: map[string]string{}, isInput: map[string]bool{}}
	b.g.Opset = opset
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("the graph holds sparse initializers (accepted: dense ones)")
	}
	for _, tp := range gp.GetInitializer() {
		if err := b.define(tp.GetName(), "an initializer"); err != nil {
			return nil, err
		}
		t, err := l.tensor(tp, fmt.Sprintf("initializer %q", tp.GetName()))
		if err != nil {
			return nil, err
		}
		b.g.AddConst(tp.GetName(), t)
	}
	if err := b.inputs(gp.GetInput()); err != nil {
		return nil, err
	}
	refused, err := b.nodes(gp.GetNode())
	if err != nil {
		return nil, err
	}
	b.valueInfo(gp.GetValueInfo())
	if err := b.outputs(gp.GetOutput()); err != nil {
		return nil, err
	}
	if err := b.reads(); err != nil {
		return nil, err
	}
	b.dropUnread()
	return &built{g: b.g, refused: refused}, nil
}

// inputs adds the graph inputs that are not initializers (older exports list
// every initializer among the inputs too); each must declare a shape.
func (b *graphBuilder) inputs(vis []*onnxpb.ValueInfoProto) error {
	for _, vi := range vis {
		name := vi.GetName()
		if v := b.g.Values[name]; v != nil && v.Const != nil {
			continue
		}
		if err := b.define(name, "a graph input"); err != nil {
			return err
		}
		dt, shape, err := declared(vi, "graph input")
		if err != nil {
			return err
		}
		b.g.AddValue(&model.Value{Name: name, DType: dt, Shape: shape})
		b.g.Inputs = append(b.g.Inputs, name)
		b.isInput[name] = true
	}
	return nil
}

// declared reads the type of a graph input or output, which must be a
// tensor with an element type and a shape.
func declared(vi *onnxpb.ValueInfoProto, what string) (model.DType, model.Shape, error) {
	dt, shape, err := valueType(vi)
	switch {
	case err != nil:
		return 0, nil, fmt.Errorf("%s %q %w", what, vi.GetName(), err)
	case dt == model.Undefined:
		return 0, nil, fmt.Errorf("%s %q has no element type", what, vi.GetName())
	case shape == nil:
		return 0, nil, fmt.Errorf("%s %q has no shape (accepted: a shape whose dimensions are sizes or names)", what, vi.GetName())
	}
	return dt, shape, nil
}

// nodes adds the nodes, naming the unnamed ones <OpType>_<index>, and turns
// Constant nodes into constant values.
func (b *graphBuilder) nodes(nps []*onnxpb.NodeProto) (map[*model.Node]string, error) {
	names, err := nodeNames(nps)
	if err != nil {
		return nil, err
	}
	refused := map[*model.Node]string{}
	for i, np := range nps {
		name := names[i]
		if np.GetOpType() == "" {
			return nil, fmt.Errorf("node %q has no op type", name)
		}
		attrs, why, err := b.l.nodeAttrs(np, name)
		if err != nil {
			return nil, err
		}
		op := opName(np.GetDomain(), np.GetOpType())
		if op == "Constant" {
			if err := b.constant(np, name, attrs); err != nil {
				return nil, err
			}
			continue
		}
		n := &model.Node{Name: name, Op: op, Inputs: np.GetInput(), Outputs: np.GetOutput(), Attrs: attrs, Covers: []string{name}}
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if err := b.define(o, fmt.Sprintf("node %q", name)); err != nil {
				return nil, err
			}
			b.g.AddValue(&model.Value{Name: o})
		}
		b.g.Nodes = append(b.g.Nodes, n)
		if why == "" && isFused(op) {
			why = "fused ops are made by infertop's passes, not read from files"
		}
		if why != "" {
			refused[n] = why
		}
	}
	return refused, nil
}

// nodeNames names every node: its own name, used once, or <OpType>_<index>
// (with a further _<k> when a named node took that already).
func nodeNames(nps []*onnxpb.NodeProto) ([]string, error) {
	taken := make(map[string]bool, len(nps))
	for _, np := range nps {
		if name := np.GetName(); name != "" {
			if taken[name] {
				return nil, fmt.Errorf("node name %q is used twice", name)
			}
			taken[name] = true
		}
	}
	names := make([]string, len(nps))
	for i, np := range nps {
		if names[i] = np.GetName(); names[i] != "" {
			continue
		}
		base := np.GetOpType() + "_" + strconv.Itoa(i)
		name := base
		for k := 1; taken[name]; k++ {
			name = base + "_" + strconv.Itoa(k)
		}
		taken[name] = true
		names[i] = name
	}
	return names, nil
}

// opName is a node's op: the op type for ONNX's default domain, the domain
// and the op type otherwise ("com.microsoft.FusedMatMul").
func opName(domain, opType string) string {
	if domain == "" || domain == "ai.onnx" {
		return opType
	}
	return domain + "." + opType
}

// constant adds the value a Constant node holds as a constant.
func (b *graphBuilder) constant(np *onnxpb.NodeProto, name string, attrs model.Attrs) error {
	if len(np.GetInput()) != 0 || len(np.GetOutput()) != 1 || np.GetOutput()[0] == "" {
		return fmt.Errorf("Constant node %q reads %s and writes %d (accepted: it reads none and writes one)",
			name, count(len(np.GetInput()), "value"), len(np.GetOutput()))
	}
	t, err := constantValue(np, name, attrs)
	if err != nil {
		return err
	}
	out := np.GetOutput()[0]
	if err := b.define(out, fmt.Sprintf("Constant node %q", name)); err != nil {
		return err
	}
	b.g.AddConst(out, t)
	return nil
}

// valueInfo gives the values nodes compute the dtypes and shapes value_info
// declares. It is a hint: an entry for another value, or one that is not a
// tensor's or has a bad dimension, is passed over.
func (b *graphBuilder) valueInfo(vis []*onnxpb.ValueInfoProto) {
	for _, vi := range vis {
		v := b.g.Values[vi.GetName()]
		if v == nil || v.Const != nil || b.isInput[v.Name] {
			continue
		}
		if dt, shape, err := valueType(vi); err == nil {
			v.DType, v.Shape = dt, shape
		}
	}
}

// outputs records the graph outputs, each of which must be defined and
// declare a shape; a computed output takes its declared dtype and shape.
func (b *graphBuilder) outputs(vis []*onnxpb.ValueInfoProto) error {
	seen := make(map[string]bool, len(vis))
	for _, vi := range vis {
		name := vi.GetName()
		if seen[name] {
			return fmt.Errorf("graph output %q is listed twice", name)
		}
		seen[name] = true
		dt, shape, err := declared(vi, "graph output")
		if err != nil {
			return err
		}
		v := b.g.Values[name]
		if v == nil {
			return fmt.Errorf("graph output %q is never computed", name)
		}
		if v.Const == nil && !b.isInput[name] {
			v.DType, v.Shape = dt, shape
		}
		b.g.Outputs = append(b.g.Outputs, name)
	}
	return nil
}

// reads checks that every value a node reads is defined somewhere.
func (b *graphBuilder) reads() error {
	for _, n := range b.g.Nodes {
		for _, in := range n.Inputs {
			if _, ok := b.defs[in]; in != "" && !ok {
				return fmt.Errorf("node %q reads %q, which nothing defines", n.Name, in)
			}
		}
	}
	return nil
}

// dropUnread removes the constants of a dtype that cannot be computed that
// no node reads and no output is: they change nothing, and would fail validation.
func (b *graphBuilder) dropUnread() {
	read := map[string]bool{}
	for _, n := range b.g.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	for name, v := range b.g.Values {
		if v.Const != nil && !v.Const.DType.Computable() && !read[name] && !b.g.IsOutput(name) {
			delete(b.g.Values, name)
		}
	}
}
