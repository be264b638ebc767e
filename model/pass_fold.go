package model

import "fmt"

// FoldLimit bounds what constant folding stores: a node whose inputs are
// all constants is computed at load time when each of its outputs holds at
// most FoldLimit elements (4 MiB of float32), or no more than its largest
// input. So a weight's Transpose, Cast or Reshape always folds, while a
// ConstantOfShape or an Expand that would store a large tensor stays a node
// computed at run time.
const FoldLimit = 1 << 20

// FoldConstants infers every node's output shapes and folds what is known at
// load time, in one sweep in node order (so that shapes computed from Shape
// nodes are known by the time a Reshape needs them): a node with no inputs
// (Constant) or whose inputs are all constants is computed with the
// reference kernels, within FoldLimit, and its outputs become constants; a
// Shape of a known shape becomes a constant; an Identity or Dropout of a
// constant shares its data. Folded nodes leave the graph. The PyTorch
// Shape → Gather → Unsqueeze → Concat → Reshape chains vanish this way.
var FoldConstants = Pass{
	Name: "fold",
	Doc:  "shape inference, and every node computable at load time → constants",
	Run:  foldConstants,
}

func foldConstants(g *Graph) (int, error) {
	opset := EffectiveOpset(g.Opset)
	kept := make([]*Node, 0, len(g.Nodes))
	folded := 0
	for _, n := range g.Nodes {
		if err := InferNode(g, n); err != nil {
			return folded, err
		}
		ok, err := foldNode(g, n, opset)
		if err != nil {
			return folded, err
		}
		if ok {
			folded++
		} else {
			kept = append(kept, n)
		}
	}
	g.Nodes = kept
	pruneValues(g)
	return folded, nil
}

// foldCacheMin is the size of the largest input from which a folded result
// is kept for the model's other batch sizes (smaller ones, the shape chains,
// depend on the batch and cost nothing to redo).
const foldCacheMin = 4096

// foldNode computes n when it can be computed at load time and makes its
// outputs constants; false leaves it a node.
func foldNode(g *Graph, n *Node, opset int) (bool, error) {
	in := make([]*Tensor, len(n.Inputs))
	largest := 0
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		if in[i] = g.Const(name); in[i] == nil {
			if n.Op == "Shape" && g.Values[name].Shape.Known() {
				return foldShape(g, n, opset), nil
			}
			return false, nil
		}
		largest = max(largest, in[i].Len())
	}
	outs := make([]*Value, len(n.Outputs))
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		v := g.Values[name]
		if !v.Shape.Known() || !v.DType.Computable() || (len(n.Inputs) > 0 && v.Shape.Elems() > max(FoldLimit, largest)) {
			return false, nil
		}
		outs[i] = v
	}
	switch n.Op {
	case "Identity", "Dropout":
		if !passThrough(g, n) {
			return false, nil
		}
		setConst(outs[0], in[0])
		return true, nil
	}
	eval := func() ([]*Tensor, error) {
		res := make([]*Tensor, len(outs))
		for i, v := range outs {
			if v != nil {
				res[i] = NewTensor(v.DType, v.Shape.Ints()...)
			}
		}
		if err := EvalNode(n, opset, in, res); err != nil {
			return nil, fmt.Errorf("folding constants: %w", err)
		}
		return res, nil
	}
	var res []*Tensor
	var err error
	if largest >= foldCacheMin {
		// A transform of a weight: the same for every batch size.
		var evalErr error
		res = g.derive("fold\x00"+n.Op+"\x00"+n.Name, in, func() []*Tensor {
			r, e := eval()
			evalErr = e
			return r
		})
		if evalErr != nil {
			return false, evalErr
		}
		if res == nil {
			return false, fmt.Errorf("folding constants: node %q failed to fold before", n.Name)
		}
	} else if res, err = eval(); err != nil {
		return false, err
	}
	for i, v := range outs {
		if v != nil {
			setConst(v, res[i])
		}
	}
	return true, nil
}

// foldShape makes the output of a Shape node the constant its input's known shape gives.
func foldShape(g *Graph, n *Node, opset int) bool {
	dims := g.Values[n.Input(0)].Shape.Ints()
	s, e := shapeRange(n, opset, len(dims))
	t := NewTensor(Int64, e-s)
	for i := range t.I64 {
		t.I64[i] = int64(dims[s+i])
	}
	setConst(g.Values[n.Outputs[0]], t)
	return true
}

// setConst makes v a constant holding t.
func setConst(v *Value, t *Tensor) {
	v.Const, v.DType, v.Shape = t, t.DType, t.ShapeOf()
}
