package cuda

import (
	"fmt"
	"math"

	"infertop/presets"
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

// fusedAct returns the activation code of layer next when it can be fused
// into the step before it (ReLU or GELU), and ActNone otherwise.
func fusedAct(ls []presets.Layer, i int) int64 {
	if i+1 >= len(ls) {
		return ActNone
	}
	switch ls[i+1].Kind {
	case presets.ReLU:
		return ActReLU
	case presets.GELU:
		return ActGELU
	}
	return ActNone
}

// layers emits the steps of ls applied to x (per-sample shape s) and returns the output.
func (b *builder) layers(ls []presets.Layer, x Ref, s []int) (Ref, []int, error) {
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		out, err := l.OutShape(s)
		if err != nil {
			return Ref{}, nil, err
		}
		act := ActNone
		switch l.Kind {
		case presets.Linear, presets.Conv2D, presets.Residual:
			act = fusedAct(ls, i)
		}
		switch l.Kind {
		case presets.Linear:
			y, err := b.linear(l.Name, l.Name+".weight", l.Name+".bias", x, b.n*int64(prod(s)/l.In), l.In, l.Out, act)
			if err != nil {
				return Ref{}, nil, err
			}
			x = y
		case presets.Conv2D:
			y, err := b.conv(l, x, s, out, act)
			if err != nil {
				return Ref{}, nil, err
			}
			x = y
		case presets.ReLU, presets.GELU:
			code := ActReLU
			if l.Kind == presets.GELU {
				code = ActGELU
			}
			y := b.act(l.Name, out)
			if err := b.biasAct(l.Name, x, y, nilPtr(), b.n, int64(prod(s)), code); err != nil {
				return Ref{}, nil, err
			}
			x = y
		case presets.MaxPool2:
			y := b.act(l.Name, out)
			if err := fits32(l.Name, "the plane size h·w", int64(s[1])*int64(s[2])); err != nil {
				return Ref{}, nil, err
			}
			planes, pix := b.n*int64(s[0]), int64(out[1])*int64(out[2])
			b.launch(l.Name, KMaxPool2, Dim3{X: clampInt(planes), Y: blocks(pix, Block), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
				ptr(x), ptr(y), i64(planes), i64(int64(s[1])), i64(int64(s[2])), i64(int64(out[1])), i64(int64(out[2])))
			x = y
		case presets.Flatten:
			// Same memory, one dimension per sample.
		case presets.GlobalAvgPool:
			y := b.act(l.Name, out)
			nc, hw := b.n*int64(s[0]), int64(s[1])*int64(s[2])
			if err := fits32(l.Name, "the plane size h·w", hw); err != nil {
				return Ref{}, nil, err
			}
			b.elementwise(l.Name, KAvgPool, nc, ptr(x), ptr(y), i64(nc), i64(hw))
			x = y
		case presets.LayerNorm:
			g, err1 := b.weight(l.Name + ".weight")
			bb, err2 := b.weight(l.Name + ".bias")
			if err1 != nil || err2 != nil {
				return Ref{}, nil, fmt.Errorf("%s: missing weights", l.Name)
			}
			y := b.act(l.Name, out)
			if err := fits32(l.Name, "the row length", int64(l.In)); err != nil {
				return Ref{}, nil, err
			}
			rows := b.n * int64(prod(s)/l.In)
			b.rowwise(l.Name, KLayerNorm, rows, ptr(x), ptr(y), ptr(g), ptr(bb), i64(rows), i64(int64(l.In)), f64(presets.LayerNormEps))
			x = y
		case presets.SelfAttention:
			y, err := b.attention(l, x, s)
			if err != nil {
				return Ref{}, nil, err
			}
			x = y
		case presets.Residual:
			body, _, err := b.layers(l.Body, x, s)
			if err != nil {
				return Ref{}, nil, err
			}
			y := b.act(l.Name, out)
			total := b.n * int64(prod(s))
			relu := int64(0)
			if act == ActReLU {
				relu = 1
			} else {
				act = ActNone // only ReLU fuses into the residual add
			}
			b.elementwise(l.Name, KResidualAdd, total, ptr(x), ptr(body), ptr(y), i64(total), i64(relu))
			x = y
		default:
			return Ref{}, nil, fmt.Errorf("%s: layer kind %v has no CUDA plan", l.Name, l.Kind)
		}
		s = out
		if act != ActNone {
			i++ // the activation was fused into this step
		}
	}
	return x, s, nil
}

// linear emits y = x·Wᵀ + b for rows×in row-major x. Row-major y [rows, out] is,
// read column-major, yᵀ [out, rows] with ld out; yᵀ = W·xᵀ where row-major W
// [out, in] read column-major is Wᵀ (ld in), hence op(A) = T, and row-major x
// read column-major is xᵀ [in, rows] (ld in), op(B) = N.
func (b *builder) linear(name, wName, bName string, x Ref, rows int64, in, out int, act int64) (Ref, error) {
	w, err := b.weight(wName)
	if err != nil {
		return Ref{}, fmt.Errorf("%s: %w", name, err)
	}
	bias, err := b.weight(bName)
	if err != nil {
		return Ref{}, fmt.Errorf("%s: %w", name, err)
	}
	y := Ref{Buf: b.add(Buffer{Name: name, Role: RoleActivation, Floats: rows * int64(out)})}
	if rows > math.MaxInt32 {
		return Ref{}, fmt.Errorf("%s: %d rows exceed cuBLAS's 32-bit dimensions", name, rows)
	}
	b.gemm(name, Gemm{TransA: true, M: out, N: int(rows), K: in, Alpha: 1,
		A: w, LdA: in, B: x, LdB: in, C: y, LdC: out})
	if err := b.biasAct(name, y, y, ptr(bias), rows, int64(out), act); err != nil {
		return Ref{}, err
	}
	return y, nil
}

// biasAct launches infertop_bias_act over row-major [rows, cols]: blocks of
// Block threads shaped (bx, by) with bx the power of two ≥ cols (at most
// Block), so narrow outputs (10 classes) still fill most of each block.
func (b *builder) biasAct(layer string, x, y Ref, bias Arg, rows, cols, act int64) error {
	if err := fits32(layer, "the row length", cols); err != nil {
		return err
	}
	bx := int64(1)
	for bx < cols && bx < Block {
		bx *= 2
	}
	by := Block / bx
	b.launch(layer, KBiasAct, Dim3{X: blocks(cols, bx), Y: blocks(rows, by), Z: 1}, Dim3{X: int(bx), Y: int(by), Z: 1},
		ptr(x), ptr(y), bias, i64(rows), i64(cols), i64(act))
	return nil
}

// fits32 checks a per-sample size that a kernel indexes with 32-bit
// arithmetic (kernels.cu): it must stay below 2^31.
func fits32(layer, what string, v int64) error {
	if v < 0 || v > math.MaxInt32 {
		return fmt.Errorf("%s: %s is %d, beyond the kernels' 32-bit index range (2^31−1)", layer, what, v)
	}
	return nil
}
