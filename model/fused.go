package model

import (
	"fmt"
	"math"
)

// The fused ops: what the load-time passes make of common patterns, and what
// the engines compute fast. Each reads its inputs in the order given; an
// omitted optional input is "".
const (
	// OpLinear is Y = act(X·Wᵀ + B + R): X [..., K] float32, W [N, K] a
	// constant (PyTorch's layout), B [N] a constant or omitted, R omitted or a
	// residual of Y's shape [..., N]. Attributes: the activation (see Activation).
	OpLinear = "infertop.Linear"
	// OpFusedConv is ONNX's Conv (attributes kernel_shape, strides, pads,
	// dilations, group; auto_pad already resolved into pads) with inputs X, W
	// (constant), B (constant or omitted) and R (omitted, or a residual of Y's
	// shape), computing Y = act(conv(X, W) + B + R).
	OpFusedConv = "infertop.FusedConv"
	// OpAttention is multi-head scaled dot-product attention over packed
	// projections: input QKV [B, T, 3·D] holds q, k and v one after the other
	// along the last axis; the optional Mask is an additive float32 mask
	// broadcastable to [B, H, T, T]. Attributes: num_heads H (D divisible by
	// H) and scale (default 1/√(D/H)). Output [B, T, D]: for each head h,
	// softmax(q_h·k_hᵀ·scale + Mask)·v_h, the heads side by side along the last axis.
	OpAttention = "infertop.Attention"
)

// Attribute names of the fused ops' epilogue.
const (
	// AttrActivation names the activation applied last: "" (none) or one of
	// the ONNX ops Relu, Gelu (erf), GeluTanh (Gelu with approximate="tanh"),
	// Sigmoid, Tanh, Clip (params min, max), LeakyRelu (alpha),
	// HardSigmoid (alpha, beta), HardSwish, Swish (x·sigmoid(x), SiLU).
	AttrActivation = "activation"
	// AttrActivationParams are the activation's parameters, in the order above.
	AttrActivationParams = "activation_params"
)

// Activation is a fused op's epilogue.
type Activation struct {
	// Op is "" for none, or an ONNX activation's name (see AttrActivation).
	Op     string
	Params []float32
}

// ActivationOf reads a fused node's activation.
func ActivationOf(n *Node) Activation {
	p, _ := n.Attrs.Floats(AttrActivationParams)
	return Activation{Op: n.Attrs.String(AttrActivation, ""), Params: p}
}

// Set writes the activation into a node's attributes.
func (a Activation) Set(n *Node) {
	if n.Attrs == nil {
		n.Attrs = Attrs{}
	}
	if a.Op == "" {
		delete(n.Attrs, AttrActivation)
		delete(n.Attrs, AttrActivationParams)
		return
	}
	n.Attrs[AttrActivation] = StringAttr(a.Op)
	if len(a.Params) > 0 {
		n.Attrs[AttrActivationParams] = FloatsAttr(a.Params...)
	} else {
		delete(n.Attrs, AttrActivationParams)
	}
}

// String reads like "Relu" or "Clip(0, 6)"; "" for none.
func (a Activation) String() string {
	if len(a.Params) == 0 {
		return a.Op
	}
	s := a.Op + "("
	for i, p := range a.Params {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(p)
	}
	return s + ")"
}

// Valid reports an activation this package knows, with the parameters it needs.
func (a Activation) Valid() error {
	want := map[string]int{"": 0, "Relu": 0, "Gelu": 0, "GeluTanh": 0, "Sigmoid": 0, "Tanh": 0,
		"Clip": 2, "LeakyRelu": 1, "HardSigmoid": 2, "HardSwish": 0, "Swish": 0}
	n, ok := want[a.Op]
	switch {
	case !ok:
		return fmt.Errorf("unknown activation %q", a.Op)
	case len(a.Params) != n:
		return fmt.Errorf("activation %s takes %d parameters, got %d", a.Op, n, len(a.Params))
	}
	return nil
}

// Apply computes the activation of one value, in float64 as a reference.
func (a Activation) Apply(x float64) float64 {
	switch a.Op {
	case "Relu":
		return math.Max(x, 0)
	case "Gelu":
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case "GeluTanh":
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case "Sigmoid":
		return 1 / (1 + math.Exp(-x))
	case "Tanh":
		return math.Tanh(x)
	case "Clip":
		return math.Min(math.Max(x, float64(a.Params[0])), float64(a.Params[1]))
	case "LeakyRelu":
		if x < 0 {
			return float64(a.Params[0]) * x
		}
		return x
	case "HardSigmoid":
		return math.Max(0, math.Min(1, float64(a.Params[0])*x+float64(a.Params[1])))
	case "HardSwish":
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case "Swish":
		return x / (1 + math.Exp(-x))
	}
	return x
}
