package cuda

import (
	"fmt"
	"math"
	"strings"

	"infertop/presets"
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
	// numConvWays is the number of ways.
	numConvWays
)

// convWayNames are the ways' names, as INFERTOP_CUDA_CONV spells them.
func convWayNames() [numConvWays]string { return [...]string{"im2col", "implicit", "cudnn"} }

// String is the way's name as INFERTOP_CUDA_CONV spells it.
func (w ConvWay) String() string {
	if w < 0 || w >= numConvWays {
		return fmt.Sprintf("ConvWay(%d)", int(w))
	}
	return convWayNames()[w]
}

// ParseConvWay reads a way's name: "im2col", "implicit" or "cudnn".
func ParseConvWay(s string) (ConvWay, error) {
	names := convWayNames()
	for w, name := range names {
		if s == name {
			return ConvWay(w), nil
		}
	}
	return 0, fmt.Errorf("unknown convolution way %q (valid: %s)", s, strings.Join(names[:], ", "))
}

// Options choose between equivalent ways of computing layers. The zero value
// computes every convolution the im2col way.
type Options struct {
	// Conv is the way of each convolution, by layer name.
	Conv map[string]ConvWay
	// Default is the way of the convolutions Conv does not name.
	Default ConvWay
	// fullWorkspace sizes the workspace for every convolution as if all took
	// the im2col way, and allocates it first, so that plans built with
	// different ways share one buffer list (the engine times both ways of
	// each convolution on one allocation).
	fullWorkspace bool
}

func (o Options) conv(layer string) ConvWay {
	if w, ok := o.Conv[layer]; ok {
		return w
	}
	return o.Default
}

// ConvMaxK is the largest C·k·k the implicit kernel takes (CONV_MAXK in
// kernels.cu: its row table lives in shared memory).
const ConvMaxK = 2304

// Implicit-kernel tiles: output channels × columns (samples' pixels) per block.
const (
	convTileM32, convTileN32 = 32, 256
	convTileM64, convTileN64 = 64, 128
)

// implicitFits reports whether the implicit kernel's 32-bit indices and its
// row table hold convolution l over a batch of n with per-sample input s and
// output out.
func implicitFits(n int64, l presets.Layer, s, out []int) bool {
	c, h, w := int64(s[0]), int64(s[1]), int64(s[2])
	k, stride := int64(l.Kernel), int64(max(l.Stride, 1))
	oh, ow := int64(out[1]), int64(out[2])
	ckk := c * k * k
	return ckk <= ConvMaxK && k < 1<<15 &&
		n*oh*ow <= math.MaxInt32 && c*h*w <= math.MaxInt32 && int64(l.Out)*ckk <= math.MaxInt32 &&
		(oh*stride+k)*(ow*stride+k) <= math.MaxInt32
}

// conv emits convolution l of x (per-sample shape s, output out) the way the
// options ask, falling back to im2col where the implicit kernel's limits do
// not hold, and records the way in the plan.
func (b *builder) conv(l presets.Layer, x Ref, s, out []int, act int64) (Ref, error) {
	w, err := b.weight(l.Name + ".weight")
	if err != nil {
		return Ref{}, fmt.Errorf("%s: %w", l.Name, err)
	}
	bias, err := b.weight(l.Name + ".bias")
	if err != nil {
		return Ref{}, fmt.Errorf("%s: %w", l.Name, err)
	}
	way := b.opts.conv(l.Name)
	if way == ConvImplicit && !implicitFits(b.n, l, s, out) || way == ConvCudnn && !cudnnFits(b.n, l, s, out) {
		way = ConvIm2col
	}
	b.plan.Conv[l.Name] = way
	switch way {
	case ConvImplicit:
		return b.convImplicit(l, x, w, bias, s, out, act), nil
	case ConvCudnn:
		return b.convCudnn(l, x, w, bias, s, out, act), nil
	}
	return b.convIm2col(l, x, w, bias, s, out, act)
}

// cudnnFits reports whether cuDNN's 4-d descriptors, whose sizes and strides
// are 32-bit, hold convolution l's input and output over a batch of n.
func cudnnFits(n int64, l presets.Layer, s, out []int) bool {
	return n*int64(prod(s)) <= math.MaxInt32 && n*int64(l.Out)*int64(out[1])*int64(out[2]) <= math.MaxInt32
}

// convCudnn emits one cuDNN convolution and the bias/activation kernel the
// im2col way uses after its GEMM.
func (b *builder) convCudnn(l presets.Layer, x, w, bias Ref, s, out []int, act int64) Ref {
	y := b.act(l.Name, out)
	p := int64(out[1]) * int64(out[2])
	b.plan.Steps = append(b.plan.Steps, Step{Layer: l.Name, Conv: &ConvCall{X: x, Filter: w, Y: y,
		N: int(b.n), C: s[0], H: s[1], W: s[2], Out: l.Out, K: l.Kernel, Stride: max(l.Stride, 1), Pad: l.Pad,
		OH: out[1], OW: out[2]}})
	b.launch(l.Name, KBiasActPlanes, Dim3{X: blocks(p, Block), Y: l.Out, Z: clampInt(b.n)}, Dim3{X: Block, Y: 1, Z: 1},
		ptr(y), ptr(y), ptr(bias), i64(b.n), i64(int64(l.Out)), i64(p), i64(act))
	return y
}

// convImplicit emits one implicit-GEMM launch: grid x over column tiles (n·oh·ow
// columns), y over output-channel tiles; 32-channel tiles when Out ≤ 32.
func (b *builder) convImplicit(l presets.Layer, x, w, bias Ref, s, out []int, act int64) Ref {
	y := b.act(l.Name, out)
	kernel, tm, tn := KConvM64, int64(convTileM64), int64(convTileN64)
	if l.Out <= convTileM32 {
		kernel, tm, tn = KConvM32, convTileM32, convTileN32
	}
	cols := b.n * int64(out[1]) * int64(out[2])
	b.launch(l.Name, kernel, Dim3{X: blocks(cols, tn), Y: blocks(int64(l.Out), tm), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
		ptr(x), ptr(w), ptr(bias), ptr(y), i64(b.n), i64(int64(s[0])), i64(int64(s[1])), i64(int64(s[2])),
		i64(int64(l.Out)), i64(int64(l.Kernel)), i64(int64(max(l.Stride, 1))), i64(int64(l.Pad)),
		i64(int64(out[1])), i64(int64(out[2])), i64(act))
	return y
}

// workspace returns the im2col buffer, grown to hold perSample values per
// sample; it is added to the plan on first use.
func (b *builder) workspace(perSample int64) Ref {
	if b.work < 0 {
		b.work = b.add(Buffer{Name: "im2col", Role: RoleWorkspace})
	}
	buf := &b.plan.Buffers[b.work]
	buf.Floats = max(buf.Floats, b.n*perSample)
	return Ref{Buf: b.work}
}

// convIm2col emits im2col + one strided-batched GEMM per batch + bias/activation
// (infertop_bias_act_planes: channel and sample come from the grid).
// Per sample, col is row-major [C·K·K, P] (P = OH·OW) and the output is row-major
// [Out, P] = W [Out, C·K·K] · col. Column-major that is outᵀ [P, Out] (ld P) =
// colᵀ (col read column-major, ld P, op N) · Wᵀ (W read column-major, ld C·K·K, op N).
func (b *builder) convIm2col(l presets.Layer, x, w, bias Ref, s, out []int, act int64) (Ref, error) {
	c, h, wd := int64(s[0]), int64(s[1]), int64(s[2])
	k, oh, ow := int64(l.Kernel), int64(out[1]), int64(out[2])
	stride := int64(max(l.Stride, 1))
	ckk, p := c*k*k, oh*ow
	for _, lim := range []struct {
		what string
		v    int64
	}{{"the plane size h·w", h * wd}, {"k·k·oh·ow", k * k * p}, {"oh·stride + k", oh*stride + k}, {"ow·stride + k", ow*stride + k}} {
		if err := fits32(l.Name, lim.what, lim.v); err != nil {
			return Ref{}, err
		}
	}
	col := b.workspace(ckk * p)
	planes := b.n * c
	b.launch(l.Name, KIm2col, Dim3{X: clampInt(planes), Y: blocks(p, Block), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
		ptr(x), ptr(col), i64(planes), i64(h), i64(wd), i64(k), i64(stride), i64(int64(l.Pad)), i64(oh), i64(ow))
	y := b.act(l.Name, out)
	b.gemm(l.Name, Gemm{M: int(p), N: l.Out, K: int(ckk), Alpha: 1,
		A: col, LdA: int(p), B: w, LdB: int(ckk), C: y, LdC: int(p),
		Batch: int(b.n), StrideA: ckk * p, StrideB: 0, StrideC: int64(l.Out) * p})
	b.launch(l.Name, KBiasActPlanes, Dim3{X: blocks(p, Block), Y: l.Out, Z: clampInt(b.n)}, Dim3{X: Block, Y: 1, Z: 1},
		ptr(y), ptr(y), ptr(bias), i64(b.n), i64(int64(l.Out)), i64(p), i64(act))
	return y, nil
}

// LayerSteps returns the range [lo, hi) of the steps that belong to layer; ok
// is false when no step does or when they are not consecutive.
func (p *Plan) LayerSteps(layer string) (lo, hi int, ok bool) {
	for i, st := range p.Steps {
		if st.Layer != layer {
			continue
		}
		if !ok {
			lo, ok = i, true
		}
		hi = i + 1
	}
	for i := lo; ok && i < hi; i++ {
		ok = p.Steps[i].Layer == layer
	}
	return lo, hi, ok
}

// SameBuffers reports whether q allocates exactly the buffers p does, so that
// one allocation serves both plans' steps.
func (p *Plan) SameBuffers(q *Plan) bool {
	if len(p.Buffers) != len(q.Buffers) {
		return false
	}
	for i, b := range p.Buffers {
		if q.Buffers[i] != b {
			return false
		}
	}
	return true
}

// ConvSummary says how many convolutions take each way, e.g. "conv 9 implicit, 1 im2col"
// (cudnn first, then implicit, then im2col);
// it is empty for a plan without convolutions.
func (p *Plan) ConvSummary() string {
	var n [numConvWays]int
	for _, w := range p.Conv {
		n[w]++
	}
	var parts []string
	for _, w := range []ConvWay{ConvCudnn, ConvImplicit, ConvIm2col} {
		if n[w] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[w], w))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "conv " + strings.Join(parts, ", ")
}

// convChoice is how the engine picks each convolution's way: timed on the
// device in Prepare (auto), or one way for all.
type convChoice struct {
	auto bool
	way  ConvWay
}

// ConvEnv is the environment variable that overrides the engine's choice of
// convolution way: auto (the default), im2col, implicit or cudnn.
const ConvEnv = "INFERTOP_CUDA_CONV"

// parseConvChoice reads ConvEnv's value; empty means auto.
func parseConvChoice(s string) (convChoice, error) {
	if s == "" || s == "auto" {
		return convChoice{auto: true}, nil
	}
	w, err := ParseConvWay(s)
	if err != nil {
		return convChoice{}, fmt.Errorf("%s=%q: want auto, im2col, implicit or cudnn", ConvEnv, s)
	}
	return convChoice{way: w}, nil
}
