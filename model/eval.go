package model

import (
	"fmt"
	"slices"
)

// EvalNode computes one node with the reference kernels, following the
// semantics of opset (0: the newest). in holds the node's inputs in order (nil
// for an omitted optional one); out holds its outputs, preallocated with the
// dtypes and shapes InferNode gave them (nil for an omitted output). Kernels
// write every element of their outputs and keep no state, so a caller that
// keeps the output tensors may call EvalNode again and again; the common ops
// allocate nothing when it does. Sums and products of reductions, matmuls and
// convolutions accumulate in float64.
func EvalNode(n *Node, opset int, in, out []*Tensor) (err error) {
	def, ok := opDefs[n.Op]
	if !ok {
		return errNode(n, "op not supported")
	}
	if len(in) < def.ins[0] {
		return errNode(n, "takes %s, got %d", countRange(def.ins, "input"), len(in))
	}
	for i := 0; i < def.ins[0]; i++ {
		if in[i] == nil {
			return errNode(n, "input %d is required but missing", i)
		}
	}
	if len(out) == 0 || out[0] == nil {
		return errNode(n, "its first output is missing")
	}
	defer func() {
		if r := recover(); r != nil {
			err = errNode(n, "the kernel failed on inputs of shapes %s: %v", shapesOf(in), r)
		}
	}()
	if err := def.eval(n, EffectiveOpset(opset), in, out); err != nil {
		return fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
	}
	return nil
}

func shapesOf(ts []*Tensor) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		if t == nil {
			s += "-"
		} else {
			s += fmt.Sprint(t.Shape)
		}
	}
	return s
}

// Eval runs a graph on the given inputs with the reference kernels and
// returns its outputs by name. g is not changed: Eval works on a copy in
// which it gives every input the shape of the tensor passed for it (so a
// symbolic batch takes the tensor's size), then infers each node's outputs,
// computes them and keeps them as constants, so that shapes computed from
// data (Shape, Reshape, Range ...) are known by the time they are needed.
func Eval(g *Graph, inputs map[string]*Tensor) (map[string]*Tensor, error) {
	c := g.Clone()
	for name := range inputs {
		if !slices.Contains(c.Inputs, name) {
			return nil, fmt.Errorf("%q is not an input of %s (inputs: %v)", name, g.Name, g.Inputs)
		}
	}
	for _, name := range c.Inputs {
		t, v := inputs[name], c.Values[name]
		if t == nil {
			return nil, fmt.Errorf("input %q is missing", name)
		}
		if err := checkInput(v, t); err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		v.DType, v.Shape, v.Const = t.DType, t.ShapeOf(), t
	}
	if err := c.Sort(); err != nil {
		return nil, err
	}
	opset := EffectiveOpset(c.Opset)
	for _, n := range c.Nodes {
		if err := InferNode(c, n); err != nil {
			return nil, err
		}
		in := make([]*Tensor, len(n.Inputs))
		for i, name := range n.Inputs {
			if name == "" {
				continue
			}
			if in[i] = c.Const(name); in[i] == nil {
				return nil, errNode(n, "input %q has no data", name)
			}
		}
		out := make([]*Tensor, len(n.Outputs))
		for i, name := range n.Outputs {
			if name == "" {
				continue
			}
			v := c.Values[name]
			out[i] = NewTensor(v.DType, v.Shape.Ints()...)
		}
		if err := EvalNode(n, opset, in, out); err != nil {
			return nil, err
		}
		for i, name := range n.Outputs {
			if name != "" {
				c.Values[name].Const = out[i]
			}
		}
	}
	res := make(map[string]*Tensor, len(c.Outputs))
	for _, name := range c.Outputs {
		t := c.Const(name)
		if t == nil {
			return nil, fmt.Errorf("output %q is never computed", name)
		}
		if inputs[name] == t || g.Const(name) == t {
			t = t.Clone()
		}
		res[name] = t
	}
	return res, nil
}

// checkInput checks a tensor passed for an input value: its data, its dtype,
// its rank and its fixed dimensions.
func checkInput(v *Value, t *Tensor) error {
	if err := t.Check(); err != nil {
		return err
	}
	if v.DType != Undefined && v.DType != t.DType {
		return fmt.Errorf("got %s, the graph takes %s", t.DType, v.DType)
	}
	if v.Shape == nil {
		return nil
	}
	if len(v.Shape) != len(t.Shape) {
		return fmt.Errorf("got shape %v, the graph takes %v", t.Shape, v.Shape)
	}
	for i, d := range v.Shape {
		if d.Known() && d.Size != t.Shape[i] {
			return fmt.Errorf("got shape %v, the graph takes %v", t.Shape, v.Shape)
		}
	}
	return nil
}
