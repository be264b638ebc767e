package model

import (
	"fmt"
	"slices"
)

// FLOPs is the floating-point operations one run of the graph takes, the sum
// of NodeFLOPs over its nodes. The graph's shapes must be known (a compiled
// graph); divide by the batch for a per-sample figure.
func (g *Graph) FLOPs() int64 {
	var total int64
	for _, n := range g.Nodes {
		total += NodeFLOPs(g, n)
	}
	return total
}

// NodeFLOPs counts the project's way: 2 × the multiply-adds of the matrix
// products and convolutions — Gemm, MatMul, Linear, Conv and FusedConv (per
// group: output elements × input channels per group × kernel size) — and of
// Attention's two matmuls (2·B·H·T·T·dh each); every other op (elementwise,
// activations, pools, normalizations, softmax, bias and residual adds)
// counts 0, as the FLOPs quoted for models usually do. A node whose shapes
// are not known counts 0.
func NodeFLOPs(g *Graph, n *Node) int64 {
	shape := func(name string) []int {
		if v := g.Values[name]; v != nil && v.Shape.Known() {
			return v.Shape.Ints()
		}
		return nil
	}
	if len(n.Inputs) == 0 || len(n.Outputs) == 0 {
		return 0
	}
	x, y := shape(n.Inputs[0]), shape(n.Outputs[0])
	if x == nil || y == nil {
		return 0
	}
	elems := int64(NumElems(y))
	switch n.Op {
	case "MatMul", OpLinear:
		// Every output element is a dot product along X's last axis.
		return 2 * elems * int64(x[len(x)-1])
	case "Gemm":
		k := x[1]
		if n.Attrs.Int("transA", 0) != 0 {
			k = x[0]
		}
		return 2 * elems * int64(k)
	case "Conv", OpFusedConv:
		w := shape(n.Input(1))
		if w == nil {
			return 0
		}
		return 2 * elems * int64(NumElems(w[1:]))
	case OpAttention:
		// Q·Kᵀ and P·V, each B·H·T·T·dh multiply-adds; H·dh = D.
		b, t, d := int64(y[0]), int64(y[1]), int64(y[2])
		return 2 * 2 * b * t * t * d
	}
	return 0
}

// ParamCount is the number of float32 elements of the constants the nodes
// read (or the graph returns) that have at least one dimension: weights and biases. Scalars
// (epsilons, scale factors) and integer constants (shapes, axes, indices)
// are not parameters.
func (g *Graph) ParamCount() int64 {
	var total int64
	used := usedValues(g)
	for name, v := range g.Values {
		if v.Const != nil && v.Const.DType == Float32 && len(v.Const.Shape) > 0 && used[name] {
			total += int64(v.Const.Len())
		}
	}
	return total
}

// Footprint is the memory a bound graph's data takes, at the sizes this
// package holds elements in: 4 bytes for float32, 8 for int64 and int32
// (held widened), 1 for bool.
type Footprint struct {
	// Constants are the bytes of the constants (weights, folded values).
	Constants int64
	// Inputs are the bytes of the graph's inputs.
	Inputs int64
	// Values are the bytes of every node output: what an engine that gives
	// every value a buffer of its own holds.
	Values int64
	// Peak is the most bytes of node outputs alive at once when each is freed
	// after its last reader (graph outputs live to the end): what an engine
	// that reuses buffers by liveness needs at least.
	Peak int64
}

// Total is the sum of constants, inputs and every node output (no reuse).
func (f Footprint) Total() int64 { return f.Constants + f.Inputs + f.Values }

// Live is constants, inputs and the peak of live node outputs: the memory of
// an engine that reuses buffers by liveness.
func (f Footprint) Live() int64 { return f.Constants + f.Inputs + f.Peak }

// Footprint sizes a graph whose shapes are known (a compiled one); it fails
// on the first value whose shape is not.
func (g *Graph) Footprint() (Footprint, error) {
	var f Footprint
	size := func(name string) (int64, error) {
		v := g.Values[name]
		if v == nil || !v.Shape.Known() {
			return 0, fmt.Errorf("footprint: %q has no known shape", name)
		}
		per := int64(v.DType.Size())
		if v.DType.IsInt() {
			per = 8
		}
		return per * int64(v.Shape.Elems()), nil
	}
	for _, v := range g.Values {
		if v.Const != nil {
			f.Constants += v.Const.Bytes()
		}
	}
	for _, name := range g.Inputs {
		b, err := size(name)
		if err != nil {
			return f, err
		}
		f.Inputs += b
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" || g.Values[o] != nil && g.Values[o].Const != nil {
				continue
			}
			b, err := size(o)
			if err != nil {
				return f, err
			}
			f.Values += b
		}
	}
	f.Peak = livePeak(g, size)
	return f, nil
}

// livePeak walks the nodes in order keeping the bytes of node outputs still
// to be read, and returns the most at any node (its outputs are counted
// while its inputs are still alive).
func livePeak(g *Graph, size func(string) (int64, error)) int64 {
	last := map[string]int{}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			last[in] = i
		}
	}
	for _, o := range g.Outputs {
		last[o] = len(g.Nodes)
	}
	computed := func(name string) bool {
		v := g.Values[name]
		return name != "" && v != nil && v.Const == nil && !slices.Contains(g.Inputs, name)
	}
	var live, peak int64
	for i, n := range g.Nodes {
		var unread int64
		for _, o := range n.Outputs {
			if !computed(o) {
				continue
			}
			b, _ := size(o)
			live += b
			if _, read := last[o]; !read {
				unread += b
			}
		}
		peak = max(peak, live)
		live -= unread
		freed := map[string]bool{}
		for _, in := range n.Inputs {
			if computed(in) && last[in] == i && !freed[in] {
				freed[in] = true
				b, _ := size(in)
				live -= b
			}
		}
	}
	return peak
}
