package cuda

import (
	"fmt"
	"slices"

	"infertop/model"
)

// Activation codes passed to the kernels that apply one (infertop_act in
// kernels.cu): the CPU engine's IK_ codes (engine/cpu/ckernels.h).
const (
	ActNone int64 = iota
	ActReLU
	ActGELU
	ActGELUTanh
	ActSigmoid
	ActTanh
	ActClip
	ActLeakyReLU
	ActHardSigmoid
	ActHardSwish
	ActSwish
)

// Kernel entry names, as in kernels/kernels.cu.
const (
	KBiasAct       = "infertop_bias_act"
	KBiasActPlanes = "infertop_bias_act_planes"
	KLayerNorm     = "infertop_layernorm"
	KSoftmax       = "infertop_softmax_rows"
	KIm2col        = "infertop_im2col"
	KMaxPool2      = "infertop_maxpool2"
	KPool          = "infertop_pool"
	KAvgPool       = "infertop_avgpool"
	KResidualAdd   = "infertop_residual_add"
	KBinary        = "infertop_binary"
	KCopyRows      = "infertop_copy_rows"
	KConvM32       = "infertop_conv_m32"
	KConvM64       = "infertop_conv_m64"
	KConvDirect    = "infertop_conv_direct"
	KToHalf        = "infertop_to_half"
	KCastI64       = "infertop_cast_i64"
	KGatherRows    = "infertop_gather_rows"
	KReduceRows    = "infertop_reduce_rows"
	KBinaryTyped   = "infertop_binary_typed"
	KGather        = "infertop_gather"
	KBatchNorm     = "infertop_batchnorm"
	KConv3D        = "infertop_conv3d"
	KPool3D        = "infertop_pool3d"
	KIm2colHalf    = "infertop_im2col_half"
	KBiasHalf      = "infertop_bias_act_planes_half"
)

// KernelNames lists every kernel a plan can launch.
func KernelNames() []string {
	return []string{KBiasAct, KBiasActPlanes, KLayerNorm, KSoftmax, KIm2col, KMaxPool2, KPool, KAvgPool,
		KResidualAdd, KBinary, KCopyRows, KConvM32, KConvM64, KConvDirect, KToHalf, KCastI64, KGatherRows, KReduceRows, KBinaryTyped, KGather, KBatchNorm, KConv3D, KPool3D, KIm2colHalf, KBiasHalf}
}

// opPlan is how the plan compiler turns nodes of one op into steps.
type opPlan struct {
	// alias marks an op whose output is its first input renamed: it
	// shares the input's memory and has no step.
	alias bool
	// dataIns is how many leading inputs the steps read as data; 0 means
	// all (Reshape's shape and Unsqueeze's axes are not data).
	dataIns int
	// typed marks an op whose check accepts values of other types than
	// float32 itself (plan_typed.go); every value any other op reads or
	// writes is float32, but an alias renames a value of any type.
	typed bool
	// check says why a node cannot be turned into steps, "" when it can. It
	// runs once the node's values are known to be float32, or of the
	// types the op plans for when it is typed.
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
	case "Conv":
		return opPlan{check: rawConvReason, emit: emitRawConv}, true
	case model.OpAttention:
		return opPlan{check: attentionReason, emit: emitAttention}, true
	case "BatchNormalization":
		return opPlan{check: batchNormReason, emit: emitBatchNorm}, true
	case "LayerNormalization":
		return opPlan{check: layerNormReason, emit: emitLayerNorm}, true
	case "Relu", "Gelu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish":
		return opPlan{check: noReason, emit: emitActivation}, true
	case "Clip":
		return opPlan{dataIns: 1, check: clipReason, emit: emitClip}, true
	case "Dropout":
		return opPlan{alias: true, typed: true, dataIns: 1, check: dropoutReason, emit: emitDropout}, true
	case "Add", "Sub", "Mul", "Div", "Pow":
		return opPlan{typed: true, check: arithReason, emit: emitBinary}, true
	case "Equal":
		return opPlan{typed: true, check: equalReason, emit: emitEqual}, true
	case "Where":
		return opPlan{typed: true, check: whereReason, emit: emitWhere}, true
	case "Neg", "Exp", "Sqrt", "Erf":
		return opPlan{check: noReason, emit: emitUnary}, true
	case "Transpose":
		return opPlan{check: transposeReason, emit: emitTranspose}, true
	case "Expand":
		return opPlan{dataIns: 1, check: expandReason, emit: emitExpand}, true
	case "Split":
		return opPlan{dataIns: 1, check: splitReason, emit: emitSplit}, true
	case "Gemm":
		return opPlan{check: gemmReason, emit: emitGemm}, true
	case "MatMul":
		return opPlan{check: matmulReason, emit: emitMatMul}, true
	case "Slice":
		return opPlan{dataIns: 1, check: sliceReason, emit: emitSlice}, true
	case "ReduceSum", "ReduceMean", "ReduceMax":
		return opPlan{dataIns: 1, check: reduceReason, emit: emitReduce}, true
	case "Concat":
		return opPlan{check: concatReason, emit: emitConcat}, true
	case "MaxPool", "AveragePool":
		return opPlan{check: poolReason, emit: emitPool}, true
	case "GlobalAveragePool":
		return opPlan{check: globalPoolReason, emit: emitGlobalPool}, true
	case "GlobalMaxPool":
		return opPlan{check: poolReason, emit: emitPool}, true
	case "Softmax":
		return opPlan{check: softmaxReason, emit: emitSoftmax}, true
	case "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity":
		return opPlan{alias: true, dataIns: 1, check: noReason, emit: emitAlias}, true
	case "Cast":
		return opPlan{typed: true, check: castReason, emit: emitCast}, true
	case "Gather":
		return opPlan{typed: true, check: gatherReason, emit: emitGather}, true
	}
	return opPlan{}, false
}

func noReason(*model.Graph, *model.Node) string { return "" }

// epilogue is an activation as the kernels take it: its code and two
// parameters (Clip's bounds, LeakyRelu's slope, HardSigmoid's alpha and beta).
type epilogue struct {
	code   int64
	p0, p1 float64
}

// args are the kernel parameters act, p0, p1.
func (e epilogue) args() []Arg { return []Arg{i64(e.code), f64(e.p0), f64(e.p1)} }

// actCodes maps model.Activation's names to the kernels' codes.
func actCodes() map[string]int64 {
	return map[string]int64{"": ActNone, "Relu": ActReLU, "Gelu": ActGELU, "GeluTanh": ActGELUTanh,
		"Sigmoid": ActSigmoid, "Tanh": ActTanh, "Clip": ActClip, "LeakyRelu": ActLeakyReLU,
		"HardSigmoid": ActHardSigmoid, "HardSwish": ActHardSwish, "Swish": ActSwish}
}

// epilogueOf returns the kernels' form of an activation, and false for one
// they do not compute (or one without the parameters it needs).
func epilogueOf(a model.Activation) (epilogue, bool) {
	code, ok := actCodes()[a.Op]
	if !ok || a.Valid() != nil {
		return epilogue{}, false
	}
	e := epilogue{code: code}
	if len(a.Params) > 0 {
		e.p0 = float64(a.Params[0])
	}
	if len(a.Params) > 1 {
		e.p1 = float64(a.Params[1])
	}
	return e, true
}

// activationReason refuses a fused activation the kernels do not compute.
func activationReason(n *model.Node) string {
	a := model.ActivationOf(n)
	if _, ok := epilogueOf(a); !ok {
		return fmt.Sprintf("activation %s has no CUDA kernel", a)
	}
	return ""
}

// dropoutReason accepts an inference Dropout, the identity (its mask all
// true), of a float32 value.
func dropoutReason(g *model.Graph, n *model.Node) string {
	if v := g.Values[n.Input(0)]; v == nil || v.DType != model.Float32 {
		return "a Dropout of anything but float32 values has no CUDA plan"
	}
	return typedReason(g, n, false)
}

// read reports whether a node of g or the graph's outputs read value name.
func read(g *model.Graph, name string) bool {
	if name == "" {
		return false
	}
	if slices.Contains(g.Outputs, name) {
		return true
	}
	return slices.ContainsFunc(g.Nodes, func(n *model.Node) bool { return slices.Contains(n.Inputs, name) })
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

func attentionReason(g *model.Graph, n *model.Node) string {
	if len(shapeOf(g, n.Input(0))) != 3 {
		return "only [N, T, 3·d] projections have a CUDA plan"
	}
	return ""
}

func layerNormReason(g *model.Graph, n *model.Node) string {
	x := shapeOf(g, n.Input(0))
	if len(x) == 0 {
		return "a scalar has no CUDA plan"
	}
	axis, ok := axisOf(n, len(x), -1) // the last axis by default
	if !ok {
		return "a normalization axis outside the input's has no CUDA plan"
	}
	d := model.NumElems(x[axis:])
	for _, p := range n.Inputs[1:] {
		if p != "" && model.NumElems(shapeOf(g, p)) != d {
			return "a scale or bias broadcast along the normalized axes has no CUDA plan yet"
		}
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
