package cuda

import (
	"fmt"
	"strings"

	"infertop/engine"
)

// ConvWay is how a plan computes one convolution.
type ConvWay int

const (
	// ConvIm2col expands the input into the workspace (infertop_im2col),
	// multiplies it with one strided-batched cuBLAS sgemm and adds bias and
	// activation (infertop_bias_act_planes): three steps and a workspace of
	// C·k·k × oh·ow values per sample.
	ConvIm2col ConvWay = iota
	// ConvImplicit is one implicit-GEMM kernel (infertop_conv_m32 or
	// infertop_conv_m64) that reads the input where it lies and fuses bias and
	// activation: one step, no workspace.
	ConvImplicit
	// ConvCudnn is one cudnnConvolutionForward call (cuDNN loaded at run
	// time, FMA math: no TF32) followed by infertop_bias_act_planes. cuDNN
	// picks its algorithm per layer on the device; the workspace that
	// algorithm needs is the executor's, outside the plan.
	ConvCudnn
	// ConvDirect is one launch of infertop_conv_direct, a kernel of our own
	// that sums each output value over its window: any group count
	// (depthwise included), dilation, rectangular kernel, strides and
	// padding. Convolutions the other ways do not compute take it; for a
	// grouped one that cuDNN also computes, Prepare times the two with the
	// direct kernel as the reference cuDNN is checked against.
	ConvDirect
	// numConvWays is the number of ways.
	numConvWays
)

// convWayNames are the ways' names, as INFERTOP_CUDA_CONV spells them.
func convWayNames() [numConvWays]string { return [...]string{"im2col", "implicit", "cudnn", "direct"} }

// String is the way's name as INFERTOP_CUDA_CONV spells it.
func (w ConvWay) String() string {
	if w < 0 || w >= numConvWays {
		return fmt.Sprintf("ConvWay(%d)", int(w))
	}
	return convWayNames()[w]
}

// ParseConvWay reads a way's name: "im2col", "implicit", "cudnn" or "direct".
func ParseConvWay(s string) (ConvWay, error) {
	names := convWayNames()
	for w, name := range names {
		if s == name {
			return ConvWay(w), nil
		}
	}
	return 0, fmt.Errorf("unknown convolution way %q (valid: %s)", s, strings.Join(names[:], ", "))
}

// Options choose between equivalent ways of computing nodes. The zero value
// computes every convolution the im2col way.
type Options struct {
	// Conv is the way of each convolution, by node name.
	Conv map[string]ConvWay
	// Default is the way of the convolutions Conv does not name.
	Default ConvWay
	// Precision is the type the products take their operands in. FP16
	// and BF16 plans keep the weights of products in that type, convert
	// each product's run-time operands to it just before the product
	// (infertop_to_half) and multiply with cublasGemmEx, float32 sums into
	// float32 results; convolutions of the im2col way likewise. The
	// implicit, direct and cuDNN ways, and everything between products,
	// stay float32. FP32 and TF32 plans are alike: TF32 is the cuBLAS
	// handle's math mode.
	Precision engine.Precision
	// fullWorkspace sizes the workspace for every convolution as if all took
	// the im2col way, and allocates it first, so that plans built with
	// different ways share one buffer list (the engine times the ways of
	// each convolution on one allocation).
	fullWorkspace bool
}

// half is the type of the products' operands: ElemF16 or ElemBF16 in a
// half-precision plan, else ElemF32.
func (o Options) half() Elem {
	switch o.Precision {
	case engine.FP16:
		return ElemF16
	case engine.BF16:
		return ElemBF16
	}
	return ElemF32
}

func (o Options) conv(node string) ConvWay {
	if w, ok := o.Conv[node]; ok {
		return w
	}
	return o.Default
}

// convChoice is how the engine picks each convolution's way: timed on the
// device in Prepare (auto), or one way for all.
type convChoice struct {
	auto bool
	way  ConvWay
}

// ConvEnv is the environment variable that overrides the engine's choice of
// convolution way: auto (the default), im2col, implicit, cudnn or direct.
const ConvEnv = "INFERTOP_CUDA_CONV"

// parseConvChoice reads ConvEnv's value; empty means auto.
func parseConvChoice(s string) (convChoice, error) {
	if s == "" || s == "auto" {
		return convChoice{auto: true}, nil
	}
	w, err := ParseConvWay(s)
	if err != nil {
		return convChoice{}, fmt.Errorf("%s=%q: want auto, im2col, implicit, cudnn or direct", ConvEnv, s)
	}
	return convChoice{way: w}, nil
}
