package engine

import (
	"fmt"
	"sort"
	"strings"

	"infertop/model"
)

// Registry maps device families to the factories this build has.
// It is built in main; there is no global registry.
type Registry struct {
	factories map[Kind]Factory
	// missing explains why a family is absent from this build.
	missing map[Kind]string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: map[Kind]Factory{}, missing: map[Kind]string{}}
}

// Register adds the factory for a device family.
func (r *Registry) Register(k Kind, f Factory) { r.factories[k] = f; delete(r.missing, k) }

// Unavailable records why a family cannot run in this build (e.g. how to build with CUDA).
func (r *Registry) Unavailable(k Kind, why string) {
	if _, ok := r.factories[k]; !ok {
		r.missing[k] = why
	}
}

// Has reports whether the family can run in this build.
func (r *Registry) Has(k Kind) bool { _, ok := r.factories[k]; return ok }

// Why explains why a family cannot run, or "" when it can.
func (r *Registry) Why(k Kind) string { return r.missing[k] }

// Open creates an executor for a model on the named device.
func (r *Registry) Open(device string, m *model.Model, opts Options) (Executor, error) {
	d, err := ParseDevice(device)
	if err != nil {
		return nil, err
	}
	f, ok := r.factories[d.Kind]
	if !ok {
		why := r.missing[d.Kind]
		if why == "" {
			why = "no engine registered"
		}
		return nil, fmt.Errorf("device %s is not available in this build: %s", d, why)
	}
	return f(d, m, opts)
}

// Families lists the registered families' names, for messages.
func (r *Registry) Families() string {
	var names []string
	for k := range r.factories {
		if k == CPU {
			names = append(names, "cpu")
		} else {
			names = append(names, "cuda:N", "cuda:all")
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
