package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Model is a graph with what a catalog knows of it. It is not changed after
// it is made, so engines and the runner may share it.
type Model struct {
	// Name identifies the model on the command line and on screen: a preset's
	// name, or the path the file was given by.
	Name string
	// Description is one line for listings.
	Description string
	// Source says where the graph came from for displays ("built-in preset",
	// "ONNX opset 17, pytorch 1.13.0"); engines never read it.
	Source string
	// Graph is the model as built or loaded, its batch dimension symbolic.
	Graph *Graph
	// DefaultBatch is the batch used when none is given.
	DefaultBatch int
	// Dims binds named dimensions other than the batch (onnxruntime's free
	// dimension overrides, "--dim seq=128").
	Dims map[string]int

	cacheOnce sync.Once
	cache     *derivedCache
	costOnce  sync.Once
	cost      costCache
}

// Binding says the sizes a graph is compiled for.
type Binding struct {
	// Batch is the size of the first dimension of every input whose first
	// dimension is symbolic.
	Batch int
	// Dims binds the other named dimensions.
	Dims map[string]int
}

// Bind compiles the model's graph for a batch size (see Compile). The
// constants the passes derive from the weights are made once per model and
// shared by every batch size's graph.
func (m *Model) Bind(batch int) (*Graph, error) {
	return m.BindWith(batch, CompileOptions{})
}

// BindWith is Bind with compile options (inspect's unfused view).
func (m *Model) BindWith(batch int, o CompileOptions) (*Graph, error) {
	if err := m.CheckBatch(batch); err != nil {
		return nil, err
	}
	m.cacheOnce.Do(func() { m.cache = &derivedCache{m: map[string][]*Tensor{}} })
	src := *m.Graph
	src.derived = m.cache
	g, err := CompileWith(&src, Binding{Batch: batch, Dims: m.Dims}, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	return g, nil
}

// FixedBatch is the batch a model was exported with when the first dimension
// of its inputs is a fixed size rather than a symbol; 0 when the batch is free.
func (m *Model) FixedBatch() int {
	for _, in := range m.Graph.Inputs {
		v := m.Graph.Values[in]
		if v != nil && len(v.Shape) > 0 && v.Shape[0].Known() {
			return v.Shape[0].Size
		}
	}
	return 0
}

// CheckBatch refuses a batch a model cannot run at: not positive, or not the
// batch a fixed-batch model was exported with (and says how to export it with
// a free batch).
func (m *Model) CheckBatch(batch int) error {
	if batch <= 0 {
		return fmt.Errorf("batch %d must be positive", batch)
	}
	if fb := m.FixedBatch(); fb > 0 && batch != fb {
		return fmt.Errorf("%s was exported with a fixed batch of %d, so it runs at batch %d only; "+
			"export it with a dynamic batch axis to run others (torch.onnx.export(..., dynamic_axes={%q: {0: \"batch\"}}))",
			m.Name, fb, fb, m.Graph.Inputs[0])
	}
	return nil
}

// Catalog is the set of models a session can run, by name: the built-in
// presets and the files given on the command line. A model is built or
// loaded on first use and kept. It is safe for concurrent use.
type Catalog struct {
	mu      sync.Mutex
	entries []*catalogEntry
}

type catalogEntry struct {
	name, desc string
	open       func() (*Model, error)
	once       sync.Once
	m          *Model
	err        error
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{} }

// Add lists a model under name; open builds or loads it on first use.
func (c *Catalog) Add(name, description string, open func() (*Model, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" {
		return fmt.Errorf("a model needs a name")
	}
	for _, e := range c.entries {
		if e.name == name {
			return fmt.Errorf("model %q is listed twice", name)
		}
	}
	c.entries = append(c.entries, &catalogEntry{name: name, desc: description, open: open})
	return nil
}

// Names lists the models in the order they were added.
func (c *Catalog) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.name
	}
	return out
}

// Has reports whether a model of that name is listed.
func (c *Catalog) Has(name string) bool { return c.entry(name) != nil }

// Description returns the listed description of a model, or "".
func (c *Catalog) Description(name string) string {
	if e := c.entry(name); e != nil {
		return e.desc
	}
	return ""
}

func (c *Catalog) entry(name string) *catalogEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.TrimSpace(name)
	for _, e := range c.entries {
		if e.name == key {
			return e
		}
	}
	for _, e := range c.entries {
		if strings.EqualFold(e.name, key) {
			return e
		}
	}
	return nil
}

// Get returns the named model, building or loading it the first time, or an
// error that lists the valid names.
func (c *Catalog) Get(name string) (*Model, error) {
	e := c.entry(name)
	if e == nil {
		names := c.Names()
		sort.Strings(names)
		return nil, fmt.Errorf("unknown model %q (valid: %s)", name, strings.Join(names, ", "))
	}
	e.once.Do(func() { e.m, e.err = e.open() })
	return e.m, e.err
}

// TensorSpec describes one input or output of a bound graph.
type TensorSpec struct {
	Name  string
	DType DType
	Shape []int
}

// Elems is the number of elements of the tensor.
func (s TensorSpec) Elems() int { return NumElems(s.Shape) }

// Signature returns the inputs and outputs of a graph whose shapes are known
// (a compiled one); it fails on any shape that is not.
func (g *Graph) Signature() (in, out []TensorSpec, err error) {
	spec := func(name string) (TensorSpec, error) {
		v := g.Values[name]
		if v == nil || !v.Shape.Known() {
			s := Shape(nil)
			if v != nil {
				s = v.Shape
			}
			return TensorSpec{}, fmt.Errorf("%q has shape %v, not a known one", name, s)
		}
		return TensorSpec{Name: name, DType: v.DType, Shape: v.Shape.Ints()}, nil
	}
	for _, n := range g.Inputs {
		s, err := spec(n)
		if err != nil {
			return nil, nil, err
		}
		in = append(in, s)
	}
	for _, n := range g.Outputs {
		s, err := spec(n)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return in, out, nil
}

// NewTensors allocates one tensor per spec.
func NewTensors(specs []TensorSpec) []*Tensor {
	out := make([]*Tensor, len(specs))
	for i, s := range specs {
		out[i] = NewTensor(s.DType, slices.Clone(s.Shape)...)
	}
	return out
}
