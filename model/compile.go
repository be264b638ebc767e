package model

import (
	"fmt"
	"slices"
)

// CompileOptions changes which passes Compile runs, for tests and for
// showing what each node of a model becomes.
type CompileOptions struct {
	// NoFuse skips every fusion: the result holds the graph's own ops,
	// bound, folded and cleaned of dead nodes.
	NoFuse bool
	// Skip names fusions not to run (see FusionPasses).
	Skip []string
}

// Compile returns a copy of g bound to b and made ready for an engine (see
// CompileWith); g itself is not changed and constant data is shared.
func Compile(g *Graph, b Binding) (*Graph, error) { return CompileWith(g, b, CompileOptions{}) }

// CompileWith returns a copy of g bound to b and made ready for an engine:
//
//  1. bind: the batch and b.Dims give every symbolic input dimension its size (BindDims);
//  2. dead nodes, Identity and inference Dropout go (DropDead), anything
//     left that cannot be computed is refused with an *UnsupportedError, and
//     the attributes of opsets before 6 are written as later ones write them (LegacyForms);
//  3. every shape is inferred and what is known at load time folded (FoldConstants),
//     then what that left unread dropped (DropDead);
//  4. the fusions of FusionPasses run in order, but those o skips;
//  5. the nodes are sorted, the graph validated and checked again for what
//     cannot be computed (ops newer than the graph's opset allowed: fusions
//     make LayerNormalization and Gelu in opset-13 graphs), every shape is
//     inferred again and must agree with what the passes recorded, and
//     every value's shape must be known.
//
// Errors name the pass and the node or value at fault.
func CompileWith(g *Graph, b Binding, o CompileOptions) (*Graph, error) {
	fusions := FusionPasses()
	for _, name := range o.Skip {
		if !slices.ContainsFunc(fusions, func(p Pass) bool { return p.Name == name }) {
			return nil, fmt.Errorf("no fusion is named %q (fusions: %s)", name, passNames(fusions))
		}
	}
	c := g.Clone()
	if err := c.Sort(); err != nil {
		return nil, err
	}
	if err := runPasses(c, BindDims(b), DropDead); err != nil {
		return nil, err
	}
	if u := CheckSupported(c); len(u) > 0 {
		return nil, &UnsupportedError{Graph: c.Name, List: u}
	}
	if err := runPasses(c, LegacyForms, FoldConstants, DropDead); err != nil {
		return nil, err
	}
	if !o.NoFuse {
		for _, p := range fusions {
			if !slices.Contains(o.Skip, p.Name) {
				if err := runPasses(c, p); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := finish(c); err != nil {
		return nil, err
	}
	return c, nil
}

// finish re-infers every shape of a passed graph and checks the result is
// one an engine can run.
func finish(g *Graph) error {
	if err := g.Sort(); err != nil {
		return err
	}
	if err := g.Validate(); err != nil {
		return err
	}
	// The fusions make LayerNormalization and Gelu of the decompositions older
	// opsets export, so the ops are checked here whatever opset introduced
	// them (the loaded nodes were held to the graph's opset before).
	latest := *g
	latest.Opset = 0
	if u := CheckSupported(&latest); len(u) > 0 {
		for i := range u {
			u[i].Opset = g.Opset
		}
		return &UnsupportedError{Graph: g.Name, List: u}
	}
	for _, n := range g.Nodes {
		before := make([]Shape, len(n.Outputs))
		for i, o := range n.Outputs {
			if v := g.Values[o]; v != nil {
				before[i] = v.Shape
			}
		}
		if err := InferNode(g, n); err != nil {
			return fmt.Errorf("inferring shapes again: %w", err)
		}
		for i, o := range n.Outputs {
			if o == "" {
				continue
			}
			s := g.Values[o].Shape
			if before[i] != nil && !s.Equal(before[i]) {
				return fmt.Errorf("node %q (%s) computes %q of shape %v, the passes recorded %v", n.Name, n.Op, o, s, before[i])
			}
			if !s.Known() {
				return fmt.Errorf("value %q (written by node %q) has shape %v, not a known one: infertop needs every shape fixed once the dimensions are bound", o, n.Name, s)
			}
		}
	}
	return nil
}
