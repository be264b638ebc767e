// Package presets is the built-in catalog: each preset an exact architecture
// built as a model graph (NewModels, BuildModel) with deterministic float32
// weights drawn from a seed. What runs is that graph, on every engine.
//
// Each preset is also written as a layer list (Preset, Layer, Catalog) with
// analytic parameter and FLOP counts: an independent description the graphs
// are tested against (the same weights bit for bit, the same counts, the same
// outputs as engine/reference's forward pass of the list). Nothing but those
// tests reads the lists.
//
// It never imports an engine, the runner or anything above them.
package presets

import "fmt"

// Kind names a layer type.
type Kind int

// The layer types a preset is made of.
const (
	// Linear is y = x·Wᵀ + b over the last dimension (weight [Out, In], bias [Out]).
	Linear Kind = iota
	// Conv2D is a 2-D convolution over NCHW input (weight [Out, In, K, K], bias [Out]).
	Conv2D
	// ReLU is max(x, 0).
	ReLU
	// GELU is the exact (erf) Gaussian error linear unit, as PyTorch's nn.GELU().
	GELU
	// MaxPool2 is 2×2 max pooling with stride 2 (floor).
	MaxPool2
	// Flatten reshapes each sample to one dimension.
	Flatten
	// GlobalAvgPool averages each channel over H×W: [C, H, W] → [C].
	GlobalAvgPool
	// LayerNorm normalizes the last dimension (eps 1e-5) with weight and bias of size In.
	LayerNorm
	// SelfAttention is multi-head self-attention over [T, In] with Heads heads, a fused
	// QKV projection (in_proj_weight [3In, In], in_proj_bias [3In]) and an output
	// projection (out_proj.weight [In, In], out_proj.bias [In]), as PyTorch's nn.MultiheadAttention.
	SelfAttention
	// Residual is x + Body(x).
	Residual
)

var kindNames = [...]string{"linear", "conv2d", "relu", "gelu", "maxpool2", "flatten", "globalavgpool", "layernorm", "selfattention", "residual"}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// LayerNormEps is the epsilon of every LayerNorm (PyTorch's default).
const LayerNormEps = 1e-5

// Layer is one step of a preset. Fields that do not apply to a kind are zero.
type Layer struct {
	Kind Kind
	// Name is unique within the preset; parameter names derive from it.
	Name string
	// In and Out are features (Linear), channels (Conv2D) or the model width (LayerNorm, SelfAttention).
	In, Out int
	// Kernel, Stride and Pad describe a Conv2D (square kernel).
	Kernel, Stride, Pad int
	// Heads is the number of attention heads of a SelfAttention.
	Heads int
	// Body is the inner sequence of a Residual.
	Body []Layer
}

// Param describes one learnable tensor of a layer.
type Param struct {
	// Name is "<layer>.<field>", e.g. "fc1.weight".
	Name string
	// Shape is the tensor's shape in PyTorch's layout.
	Shape []int
	// Init says how the deterministic weights are drawn.
	Init Init
}

// Init is the distribution a parameter is drawn from.
type Init struct {
	// Low and High bound a uniform distribution.
	Low, High float32
}

// Size is the number of elements of the parameter.
func (p Param) Size() int { return prod(p.Shape) }

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}
