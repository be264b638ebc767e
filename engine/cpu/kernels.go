package cpu

import (
	"fmt"
	"math"

	"infertop/model"
)

// actKind is an activation a kernel applies as it stores its results; the
// numbers are the C kernels' IK_ codes (ckernels.h).
type actKind int32

const (
	actNone actKind = iota
	actReLU
	actGELU
	actGELUTanh
	actSigmoid
	actTanh
	actClip
	actLeakyReLU
	actHardSigmoid
	actHardSwish
	actSwish
)

// act is an activation with its parameters (Clip's bounds, LeakyReLU's
// slope, HardSigmoid's alpha and beta).
type act struct {
	kind   actKind
	p0, p1 float32
}

var actNames = map[string]actKind{"": actNone, "Relu": actReLU, "Gelu": actGELU, "GeluTanh": actGELUTanh,
	"Sigmoid": actSigmoid, "Tanh": actTanh, "Clip": actClip, "LeakyRelu": actLeakyReLU,
	"HardSigmoid": actHardSigmoid, "HardSwish": actHardSwish, "Swish": actSwish}

// actOf is the kernels' form of a fused op's activation.
func actOf(a model.Activation) (act, error) {
	if err := a.Valid(); err != nil {
		return act{}, err
	}
	k, ok := actNames[a.Op]
	if !ok {
		return act{}, fmt.Errorf("unknown activation %q", a.Op)
	}
	r := act{kind: k}
	if len(a.Params) > 0 {
		r.p0 = a.Params[0]
	}
	if len(a.Params) > 1 {
		r.p1 = a.Params[1]
	}
	return r, nil
}

func (a act) String() string {
	for name, k := range actNames {
		if k == a.kind && name != "" {
			return name
		}
	}
	return "none"
}

// apply computes the activation of one value (the Go kernels' form).
func (a act) apply(x float32) float32 {
	switch a.kind {
	case actReLU:
		return max(x, 0)
	case actGELU:
		return gelu32(x)
	case actGELUTanh:
		v := float64(x)
		return float32(0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))))
	case actSigmoid:
		return float32(1 / (1 + math.Exp(-float64(x))))
	case actTanh:
		return float32(math.Tanh(float64(x)))
	case actClip:
		return min(max(x, a.p0), a.p1)
	case actLeakyReLU:
		if x < 0 {
			return a.p0 * x
		}
		return x
	case actHardSigmoid:
		return min(max(a.p0*x+a.p1, 0), 1)
	case actHardSwish:
		return x * min(max(x/6+0.5, 0), 1)
	case actSwish:
		return float32(float64(x) / (1 + math.Exp(-float64(x))))
	}
	return x
}

// epilogueRows applies act(y + r) in place to rows × n values of y (row
// stride ld; r has the same layout, or is nil), with the kernels of
// instruction set s (see actRows).
func epilogueRows(s isa, y []float32, rows, n, ld int, r []float32, a act) {
	if r == nil && a.kind == actNone {
		return
	}
	actRows(s, y, ld, y, ld, r, ld, rows, n, a)
}

// window is the geometry of a convolution's or a pool's window over NHWC
// input, laid out as the C kernels' ik_win: input height, width and
// channels, kernel, strides, padding before, dilations, output size, and
// padding after.
type window struct {
	h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, eh, ew int
}

// fillRows writes row (n values) into every row of dst (rows × ldc, first n of each).
// When ldc == n it doubles the filled prefix with copy, at memmove speed.
func fillRows(dst []float32, rows, n, ldc int, row []float32) {
	if rows <= 0 || n <= 0 {
		return
	}
	row = row[:n]
	if ldc != n {
		for r := 0; r < rows; r++ {
			copy(dst[r*ldc:r*ldc+n], row)
		}
		return
	}
	total := rows * n
	dst = dst[:total]
	copy(dst, row)
	for done := n; done < total; done *= 2 {
		copy(dst[done:], dst[:done])
	}
}

// exp32 is e^x in float32 (Cephes expf: range reduction by ln 2 and a degree-5
// polynomial), within 2 ulp over the range softmax uses.
func exp32(x float32) float32 {
	const (
		hi    = 88.72283905206835
		lo    = -87.3365447504
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	if x > hi {
		return float32(math.Inf(1))
	}
	if x < lo {
		return 0
	}
	fx := x*log2e + 0.5
	n := int32(fx)
	if float32(n) > fx { // floor for negative values
		n--
	}
	f := float32(n)
	x = x - f*c1 - f*c2
	z := x * x
	y := ((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x + 5.0000001201e-1
	y = y*z + x + 1
	if n > 127 { // 2^128 is not a float32: scale in two steps
		return y * 2 * math.Float32frombits(uint32(n+126)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}

// erf32 is erf(x) by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7),
// the formula PyTorch's vectorized CPU kernels use.
func erf32(x float32) float32 {
	const (
		p  = 0.3275911
		a1 = 0.254829592
		a2 = -0.284496736
		a3 = 1.421413741
		a4 = -1.453152027
		a5 = 1.061405429
	)
	sign := float32(1)
	if x < 0 {
		sign, x = -1, -x
	}
	t := 1 / (1 + p*x)
	y := 1 - ((((a5*t+a4)*t+a3)*t+a2)*t+a1)*t*exp32(-x*x)
	return sign * y
}

// gelu32 is x·Φ(x) = x/2·(1 + erf(x/√2)).
func gelu32(x float32) float32 {
	return 0.5 * x * (1 + erf32(x*(1/math.Sqrt2)))
}

// softmaxRow replaces row with its softmax (max-subtracted, so it never overflows).
func softmaxRow(row []float32) {
	m := float32(math.Inf(-1))
	for _, v := range row {
		if v > m {
			m = v
		}
	}
	var s float32
	for i, v := range row {
		e := exp32(v - m)
		row[i] = e
		s += e
	}
	inv := 1 / s
	for i := range row {
		row[i] *= inv
	}
}
