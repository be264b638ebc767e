package cuda

import (
	"fmt"
	"slices"

	"infertop/model"
)

// Activation codes passed to the bias_act and residual_add kernels.
const (
	ActNone int64 = 0
	ActReLU int64 = 1
	ActGELU int64 = 2
)

// Kernel entry names, as in kernels/kernels.cu.
const (
	KBiasAct       = "infertop_bias_act"
	KBiasActPlanes = "infertop_bias_act_planes"
	KLayerNorm     = "infertop_layernorm"
	KSoftmax       = "infertop_softmax_rows"
	KIm2col        = "infertop_im2col"
	KMaxPool2      = "infertop_maxpool2"
	KAvgPool       = "infertop_avgpool"
	KResidualAdd   = "infertop_residual_add"
	KConvM32       = "infertop_conv_m32"
	KConvM64       = "infertop_conv_m64"
)

// KernelNames lists every kernel a plan can launch.
func KernelNames() []string {
	return []string{KBiasAct, KBiasActPlanes, KLayerNorm, KSoftmax, KIm2col, KMaxPool2, KAvgPool, KResidualAdd, KConvM32, KConvM64}
}

// opPlan is how the plan compiler turns nodes of one op into steps.
type opPlan struct {
	// alias marks an op whose output is its first input renamed: it
	// shares the input's memory and has no step.
	alias bool
	// dataIns is how many leading inputs the steps read as float32 data;
	// 0 means all (Reshape's shape and Unsqueeze's axes are not data).
	dataIns int
	// check says why a node cannot be turned into steps, "" when it can. It
	// runs once the node's values are known to be float32.
	check func(g *model.Graph, n *model.Node) string
	// emit adds the node's steps to the plan.
	emit func(b *builder, n *model.Node) error
}

// opPlanOf returns the plan of an op, or false when it has none.
func opPlanOf(op string) (opPlan, bool) {
	switch op {
	case model.OpLinear:
		return opPlan{check: linearReason, emit: emitLinear}, true
	case model.OpFusedConv:
		return opPlan{check: convReason, emit: emitConv}, true
	case model.OpAttention:
		return opPlan{check: attentionReason, emit: emitAttention}, true
	case "LayerNormalization":
		return opPlan{check: layerNormReason, emit: emitLayerNorm}, true
	case "Relu", "Gelu":
		return opPlan{check: activationOpReason, emit: emitActivation}, true
	case "Add":
		return opPlan{check: addReason, emit: emitAdd}, true
	case "MaxPool":
		return opPlan{check: maxPoolReason, emit: emitMaxPool}, true
	case "GlobalAveragePool":
		return opPlan{check: globalPoolReason, emit: emitGlobalPool}, true
	case "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity":
		return opPlan{alias: true, dataIns: 1, check: noReason, emit: emitAlias}, true
	}
	return opPlan{}, false
}

func noReason(*model.Graph, *model.Node) string { return "" }

// actCode returns the kernels' code of a fused activation, and false for
// one they do not compute.
func actCode(a model.Activation) (int64, bool) {
	switch a.Op {
	case "":
		return ActNone, true
	case "Relu":
		return ActReLU, true
	case "Gelu":
		return ActGELU, true
	}
	return 0, false
}

// activationReason refuses a fused activation the kernels do not compute.
func activationReason(n *model.Node) string {
	a := model.ActivationOf(n)
	if _, ok := actCode(a); !ok {
		return fmt.Sprintf("activation %s has no CUDA kernel yet (Relu and Gelu have one)", a.Op)
	}
	return ""
}

// shapeOf returns a value's shape, nil when the graph lacks it.
func shapeOf(g *model.Graph, name string) []int {
	if v := g.Values[name]; v != nil && v.Shape.Known() {
		return v.Shape.Ints()
	}
	return nil
}

func linearReason(g *model.Graph, n *model.Node) string {
	w := g.Const(n.Input(1))
	if w == nil || len(w.Shape) != 2 {
		return "a weight that is not a 2-D constant has no CUDA plan"
	}
	if b := n.Input(2); b != "" && model.NumElems(shapeOf(g, b)) != w.Shape[0] {
		return "a bias that is not one value per output has no CUDA plan"
	}
	return activationReason(n)
}

func attentionReason(_ *model.Graph, n *model.Node) string {
	if n.Input(1) != "" {
		return "an attention mask has no CUDA plan yet"
	}
	return ""
}

func layerNormReason(g *model.Graph, n *model.Node) string {
	x := shapeOf(g, n.Input(0))
	if len(x) == 0 {
		return "a scalar has no CUDA plan"
	}
	if axis := n.Attrs.Int("axis", -1); axis != -1 && axis != int64(len(x)-1) {
		return "normalizing more than the last axis has no CUDA plan yet"
	}
	d := x[len(x)-1]
	for _, p := range n.Inputs[1:] {
		if p != "" && model.NumElems(shapeOf(g, p)) != d {
			return "a scale or bias broadcast along the normalized axis has no CUDA plan yet"
		}
	}
	return ""
}

func activationOpReason(_ *model.Graph, n *model.Node) string {
	if n.Op == "Gelu" && n.Attrs.String("approximate", "none") != "none" {
		return "approximate=tanh has no CUDA kernel yet"
	}
	return ""
}

func addReason(g *model.Graph, n *model.Node) string {
	if !slices.Equal(shapeOf(g, n.Input(0)), shapeOf(g, n.Input(1))) {
		return "broadcasting has no CUDA plan yet (both operands of one shape)"
	}
	return ""
}

func maxPoolReason(g *model.Graph, n *model.Node) string {
	x, y := shapeOf(g, n.Input(0)), shapeOf(g, output0(n))
	ok := len(x) == 4 && len(y) == 4 && y[2] == x[2]/2 && y[3] == x[3]/2
	k, _ := n.Attrs.Ints("kernel_shape")
	s, _ := n.Attrs.Ints("strides")
	p, _ := n.Attrs.Ints("pads")
	d, _ := n.Attrs.Ints("dilations")
	ok = ok && slices.Equal(k, []int64{2, 2}) && slices.Equal(s, []int64{2, 2}) &&
		!slices.ContainsFunc(p, func(v int64) bool { return v != 0 }) &&
		!slices.ContainsFunc(d, func(v int64) bool { return v != 1 })
	if !ok {
		return "only 2×2 windows with stride 2, no padding and no dilation have a CUDA plan yet"
	}
	return ""
}

func globalPoolReason(g *model.Graph, n *model.Node) string {
	if len(shapeOf(g, n.Input(0))) < 3 {
		return "an input without spatial axes has no CUDA plan"
	}
	return ""
}

// output0 is the name of a node's first output ("" when it has none).
func output0(n *model.Node) string {
	if len(n.Outputs) == 0 {
		return ""
	}
	return n.Outputs[0]
}
