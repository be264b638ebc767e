package presets

import (
	"fmt"
	"sort"
	"strings"
)

// Preset is one model of the catalog.
type Preset struct {
	// Name is the identifier used on the command line.
	Name string
	// Description is one line for listings.
	Description string
	// Input is the shape of one sample (no batch dimension).
	Input []int
	// DefaultBatch is the batch size used when none is given.
	DefaultBatch int
	// Layers run in order; a Residual holds its own body.
	Layers []Layer
}

// InputSize is the number of float32 values in one input sample.
func (p *Preset) InputSize() int { return prod(p.Input) }

// Output is the shape of one output sample.
func (p *Preset) Output() []int {
	s := p.Input
	for _, l := range p.Layers {
		s, _ = l.OutShape(s)
	}
	return s
}

// OutputSize is the number of float32 values in one output sample.
func (p *Preset) OutputSize() int { return prod(p.Output()) }

// Validate checks that every layer accepts the shape before it and that names are unique.
func (p *Preset) Validate() error {
	seen := map[string]bool{}
	var walk func(ls []Layer, in []int) ([]int, error)
	walk = func(ls []Layer, in []int) ([]int, error) {
		for _, l := range ls {
			if l.Name == "" || seen[l.Name] {
				return nil, fmt.Errorf("preset %s: layer name %q is empty or repeated", p.Name, l.Name)
			}
			seen[l.Name] = true
			if l.Kind == Residual {
				if _, err := walk(l.Body, in); err != nil {
					return nil, err
				}
			}
			out, err := l.OutShape(in)
			if err != nil {
				return nil, fmt.Errorf("preset %s: %w", p.Name, err)
			}
			in = out
		}
		return in, nil
	}
	_, err := walk(p.Layers, p.Input)
	return err
}

// Params returns every learnable tensor in PyTorch's order.
func (p *Preset) Params() []Param {
	var ps []Param
	for _, l := range p.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// ParamCount is the number of learnable values, as PyTorch's sum(p.numel()).
func (p *Preset) ParamCount() int64 {
	var n int64
	for _, q := range p.Params() {
		n += int64(q.Size())
	}
	return n
}

// FLOPsPerSample is the analytic floating-point operation count of one sample's forward pass.
func (p *Preset) FLOPsPerSample() int64 {
	var f int64
	s := p.Input
	for _, l := range p.Layers {
		f += l.FLOPs(s)
		s, _ = l.OutShape(s)
	}
	return f
}

// Catalog is the set of presets, looked up by name.
type Catalog struct {
	byName map[string]*Preset
	names  []string
}

// NewCatalog returns the five built-in presets.
func NewCatalog() *Catalog {
	c := &Catalog{byName: map[string]*Preset{}}
	for _, p := range builtins() {
		c.byName[p.Name] = p
		c.names = append(c.names, p.Name)
	}
	return c
}

// Names lists the preset names in catalog order.
func (c *Catalog) Names() []string { return append([]string(nil), c.names...) }

// All returns the presets in catalog order.
func (c *Catalog) All() []*Preset {
	out := make([]*Preset, 0, len(c.names))
	for _, n := range c.names {
		out = append(out, c.byName[n])
	}
	return out
}

// Get returns the named preset, or an error that lists the valid names.
func (c *Catalog) Get(name string) (*Preset, error) {
	if p, ok := c.byName[strings.ToLower(strings.TrimSpace(name))]; ok {
		return p, nil
	}
	names := c.Names()
	sort.Strings(names)
	return nil, fmt.Errorf("unknown preset %q (valid: %s)", name, strings.Join(names, ", "))
}
