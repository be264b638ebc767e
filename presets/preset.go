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

// eachLayer calls fn for every layer in execution order with its input and
// output shape per sample; a residual's body comes before the residual
// itself. The preset must be valid.
func (p *Preset) eachLayer(fn func(l Layer, in, out []int)) {
	var walk func(ls []Layer, in []int) []int
	walk = func(ls []Layer, in []int) []int {
		for _, l := range ls {
			if l.Kind == Residual {
				walk(l.Body, in)
			}
			out, _ := l.OutShape(in)
			fn(l, in, out)
			in = out
		}
		return in
	}
	walk(p.Layers, p.Input)
}

// ActivationsPerSample is the number of float32 values every layer output of one
// sample holds together (an engine that keeps each intermediate buffer needs this many).
func (p *Preset) ActivationsPerSample() int64 {
	var n int64
	p.eachLayer(func(l Layer, in, out []int) {
		n += int64(prod(out))
		if l.Kind == SelfAttention {
			// QKV, the per-head score matrices and the mixed values before projection.
			t := int64(in[0])
			n += 3*t*int64(l.In) + int64(l.Heads)*t*t + t*int64(l.In)
		}
	})
	return n
}

// WorkspacePerSample is the largest im2col buffer (float32 values) any convolution needs for one sample.
func (p *Preset) WorkspacePerSample() int64 {
	var best int64
	p.eachLayer(func(l Layer, _, out []int) {
		if l.Kind == Conv2D {
			best = max(best, int64(l.In*l.Kernel*l.Kernel)*int64(out[1]*out[2]))
		}
	})
	return best
}

// EstimateBytes is the memory an engine that keeps every intermediate buffer needs
// for one batch: weights, input and output staging, activations and im2col workspace.
func (p *Preset) EstimateBytes(batch int) int64 {
	b := int64(batch)
	floats := p.ParamCount() + b*(int64(p.InputSize())+int64(p.OutputSize())+p.ActivationsPerSample()+p.WorkspacePerSample())
	return 4 * floats
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
