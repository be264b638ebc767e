package model

import (
	"fmt"
	"sort"
)

// BindDims returns the pass that gives a graph's symbolic dimensions their
// sizes: the batch to the first dimension of every input whose first
// dimension is symbolic, b.Dims to the named ones, and the same size to the
// same symbol wherever it appears (in the shapes of outputs and
// intermediates too). It fails on an input dimension left free (a named one
// says how to bind it: --dim NAME=N), on a size that is not positive, and on
// a --dim that gives the batch symbol a size other than the batch. A --dim
// naming no dimension of the graph binds nothing (one set of --dim flags may
// serve several models).
func BindDims(b Binding) Pass {
	return Pass{
		Name: "bind",
		Doc:  "the batch and the named dimensions → fixed sizes",
		Run:  func(g *Graph) (int, error) { return bindDims(g, b) },
	}
}

func bindDims(g *Graph, b Binding) (int, error) {
	if b.Batch <= 0 {
		return 0, fmt.Errorf("batch %d must be positive", b.Batch)
	}
	names := make([]string, 0, len(b.Dims))
	for name := range b.Dims {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if n := b.Dims[name]; n <= 0 {
			return 0, fmt.Errorf("--dim %s=%d: a dimension's size must be positive", name, n)
		}
	}
	sizes := map[string]int{}
	for _, name := range names {
		sizes[name] = b.Dims[name]
	}
	for _, in := range g.Inputs {
		v := g.Values[in]
		if v == nil || v.Shape == nil {
			return 0, fmt.Errorf("input %q has no shape; each input needs at least its rank", in)
		}
		if len(v.Shape) == 0 || v.Shape[0].Known() || v.Shape[0].Name == "" {
			continue
		}
		sym := v.Shape[0].Name
		if n, ok := b.Dims[sym]; ok && n != b.Batch {
			return 0, fmt.Errorf("--dim %s=%d: %q is the batch dimension of input %q, which takes the batch size %d",
				sym, n, sym, in, b.Batch)
		}
		sizes[sym] = b.Batch
	}
	bound := 0
	for _, in := range g.Inputs {
		v := g.Values[in]
		for i, d := range v.Shape {
			if d.Known() {
				continue
			}
			switch n, ok := sizes[d.Name]; {
			case i == 0:
				v.Shape[0] = Fixed(b.Batch)
			case ok && d.Name != "":
				v.Shape[i] = Fixed(n)
			case d.Name != "":
				return bound, fmt.Errorf("input %q has the free dimension %q (shape %v): bind it with --dim %s=N", in, d.Name, v.Shape, d.Name)
			default:
				return bound, fmt.Errorf("input %q has an unnamed free dimension %d (shape %v); the model must name it or fix its size", in, i, v.Shape)
			}
			bound++
		}
	}
	for _, v := range g.Values {
		for i, d := range v.Shape {
			if n, ok := sizes[d.Name]; ok && !d.Known() && d.Name != "" {
				v.Shape[i] = Fixed(n)
				bound++
			}
		}
	}
	return bound, nil
}
