package model

import (
	"fmt"
	"strings"
	"sync"
)

// derivedCache keeps the constants the passes derive from a model's weights
// (transposed or scaled linear weights, convolution weights with a batch norm
// folded in, packed attention projections, folded weight transforms), so
// that compiling the same model for another batch size reuses them instead
// of computing and holding a new copy each time. Keys name the derivation
// and the identity of every tensor it reads: constant data is never changed
// in place, so the same tensors give the same result. It is safe for
// concurrent use (an engine and the runner may compile the same model).
type derivedCache struct {
	mu sync.Mutex
	m  map[string][]*Tensor
}

// derive returns the tensors a derivation named what makes from the tensors
// in, computing them with make only the first time. A graph without a cache
// (one compiled outside a Model) always computes.
func (g *Graph) derive(what string, in []*Tensor, make func() []*Tensor) []*Tensor {
	c := g.derived
	if c == nil {
		return make()
	}
	var key strings.Builder
	key.WriteString(what)
	for _, t := range in {
		fmt.Fprintf(&key, "\x00%p", t)
	}
	k := key.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, ok := c.m[k]; ok {
		return out
	}
	out := make()
	c.m[k] = out
	return out
}

// derive1 is derive for a derivation that makes one tensor.
func (g *Graph) derive1(what string, in []*Tensor, make func() *Tensor) *Tensor {
	return g.derive(what, in, func() []*Tensor { return []*Tensor{make()} })[0]
}
