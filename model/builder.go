package model

import "fmt"

// Builder makes a graph node by node, as the presets are written. Each node
// has one output value named after the node, unless OpN names more. The
// first error is kept and returned by Build.
type Builder struct {
	g   *Graph
	err error
}

// NewBuilder starts a graph.
func NewBuilder(name string) *Builder { return &Builder{g: NewGraph(name)} }

func (b *Builder) fail(format string, a ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, a...)
	}
}

// Input adds a graph input.
func (b *Builder) Input(name string, dt DType, shape Shape) string {
	if b.g.Values[name] != nil {
		b.fail("value %q defined twice", name)
	}
	b.g.AddValue(&Value{Name: name, DType: dt, Shape: shape})
	b.g.Inputs = append(b.g.Inputs, name)
	return name
}

// Const adds a constant (a weight).
func (b *Builder) Const(name string, t *Tensor) string {
	if b.g.Values[name] != nil {
		b.fail("value %q defined twice", name)
	}
	b.g.AddConst(name, t)
	return name
}

// Op adds a node with one output, named like the node, and returns that name.
func (b *Builder) Op(op, name string, attrs Attrs, inputs ...string) string {
	return b.OpN(op, name, attrs, 1, inputs...)[0]
}

// OpN adds a node with n outputs named name:0, name:1, ... (name alone when n is 1).
func (b *Builder) OpN(op, name string, attrs Attrs, n int, inputs ...string) []string {
	outs := make([]string, n)
	for i := range outs {
		outs[i] = name
		if n > 1 {
			outs[i] = fmt.Sprintf("%s:%d", name, i)
		}
		if b.g.Values[outs[i]] != nil {
			b.fail("value %q defined twice", outs[i])
		}
		b.g.AddValue(&Value{Name: outs[i]})
	}
	b.g.Nodes = append(b.g.Nodes, &Node{Name: name, Op: op, Inputs: inputs, Outputs: outs, Attrs: attrs, Covers: []string{name}})
	return outs
}

// Output marks values as the graph's outputs.
func (b *Builder) Output(names ...string) { b.g.Outputs = append(b.g.Outputs, names...) }

// Build checks the graph (Validate) and returns it.
func (b *Builder) Build() (*Graph, error) {
	if b.err != nil {
		return nil, fmt.Errorf("%s: %w", b.g.Name, b.err)
	}
	if err := b.g.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", b.g.Name, err)
	}
	return b.g, nil
}
