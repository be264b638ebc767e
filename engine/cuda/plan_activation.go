package cuda

import (
	"fmt"
	"math"

	"infertop/model"
)

// Standalone activations: Relu, Gelu (erf or tanh), Sigmoid, Tanh,
// LeakyRelu, HardSigmoid, HardSwish and Clip, each one infertop_bias_act
// without a bias.

// nodeActivation is the activation a standalone activation node computes,
// with its attributes (or, for Clip from opset 11, its constant bounds) as
// parameters.
func nodeActivation(g *model.Graph, n *model.Node) model.Activation {
	a := model.Activation{Op: n.Op}
	switch n.Op {
	case "Gelu":
		if n.Attrs.String("approximate", "none") == "tanh" {
			a.Op = "GeluTanh"
		}
	case "LeakyRelu":
		a.Params = []float32{n.Attrs.Float("alpha", 0.01)}
	case "HardSigmoid":
		a.Params = []float32{n.Attrs.Float("alpha", 0.2), n.Attrs.Float("beta", 0.5)}
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if g.Opset > 0 && g.Opset < 11 {
			lo, hi = n.Attrs.Float("min", lo), n.Attrs.Float("max", hi)
		} else {
			if c := g.Const(n.Input(1)); c != nil && len(c.F32) == 1 {
				lo = c.F32[0]
			}
			if c := g.Const(n.Input(2)); c != nil && len(c.F32) == 1 {
				hi = c.F32[0]
			}
		}
		a.Params = []float32{lo, hi}
	}
	return a
}

// clipReason refuses bounds computed at run time: the kernel takes them as
// parameters.
func clipReason(g *model.Graph, n *model.Node) string {
	for _, bound := range n.Inputs[1:] {
		v := g.Values[bound]
		if bound != "" && (v == nil || v.DType != model.Float32 || v.Shape.Elems() != 1) {
			return "Clip bounds that are not one float32 value have no CUDA plan yet"
		}
	}
	return ""
}

// constClip reports a Clip whose bounds are constants (or attributes): an
// activation of the kernels; run-time bounds take emitClip's max and min.
func constClip(g *model.Graph, n *model.Node) bool {
	for _, bound := range n.Inputs[1:] {
		if bound != "" && g.Const(bound) == nil {
			return false
		}
	}
	return true
}

// emitClip computes a Clip: the clip activation with constant bounds,
// else infertop_binary's max with the lower bound and min with the upper
// one (a NaN stays NaN), each bound a one-value operand broadcast over x.
func emitClip(b *builder, n *model.Node) error {
	if constClip(b.g, n) {
		return emitActivation(b, n)
	}
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	s := b.shape(n.Outputs[0])
	if len(s) == 0 {
		s = []int{1}
	}
	y := b.out(n.Outputs[0])
	src := ptr(x)
	for i, op := range []int64{binMax, binMin} {
		bound := n.Input(i + 1)
		if bound == "" {
			continue
		}
		r, err := b.ref(bound)
		if err != nil {
			return err
		}
		if err := b.binary(n.Name, op, src, ptr(r), y, s, s, nil); err != nil {
			return err
		}
		src = ptr(y)
	}
	if src.Ref != y { // no bound: a copy
		return b.strided(n.Name, binCopy, src, y, s, rowStrides(s))
	}
	return nil
}

// emitActivation computes a standalone activation.
func emitActivation(b *builder, n *model.Node) error {
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	a := nodeActivation(b.g, n)
	act, ok := epilogueOf(a)
	if !ok {
		return fmt.Errorf("node %s: activation %s has no CUDA kernel", n.Name, a)
	}
	y := b.out(n.Outputs[0])
	return b.activate(n.Name, x, y, b.shape(n.Outputs[0]), act)
}
