// Package reference is a plain, obviously-correct forward pass for every layer
// kind of the presets: nested loops over float32 tensors, accumulating in
// float64. It is slow on purpose; engines test their outputs against it.
//
// Tensors are row-major float32 slices with a leading batch dimension. Every
// function returns a freshly allocated result and never modifies its inputs.
package reference

import (
	"fmt"
	"math"

	"infertop/presets"
)

// Linear computes y[r, o] = Σ_i x[r, i]·w[o, i] + b[o] for rows×in input x,
// weight w [out, in] (PyTorch layout) and bias b [out].
func Linear(x []float32, rows, in, out int, w, b []float32) []float32 {
	y := make([]float32, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			s := float64(b[o])
			for i := 0; i < in; i++ {
				s += float64(x[r*in+i]) * float64(w[o*in+i])
			}
			y[r*out+o] = float32(s)
		}
	}
	return y
}

// ConvOut is the output size of a convolution along one dimension.
func ConvOut(n, k, stride, pad int) int {
	if stride <= 0 {
		stride = 1
	}
	return (n+2*pad-k)/stride + 1
}

// Conv2D is a 2-D convolution of NCHW input x [n, c, h, w] with weight
// [out, c, k, k] and bias [out], zero padding pad and stride stride. It returns
// the output [n, out, oh, ow] and oh, ow.
func Conv2D(x []float32, n, c, h, w int, weight, bias []float32, out, k, stride, pad int) (y []float32, oh, ow int) {
	if stride <= 0 {
		stride = 1
	}
	oh, ow = ConvOut(h, k, stride, pad), ConvOut(w, k, stride, pad)
	y = make([]float32, n*out*oh*ow)
	for s := 0; s < n; s++ {
		for o := 0; o < out; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					acc := float64(bias[o])
					for ci := 0; ci < c; ci++ {
						for ki := 0; ki < k; ki++ {
							yy := i*stride - pad + ki
							if yy < 0 || yy >= h {
								continue
							}
							for kj := 0; kj < k; kj++ {
								xx := j*stride - pad + kj
								if xx < 0 || xx >= w {
									continue
								}
								acc += float64(x[((s*c+ci)*h+yy)*w+xx]) * float64(weight[((o*c+ci)*k+ki)*k+kj])
							}
						}
					}
					y[((s*out+o)*oh+i)*ow+j] = float32(acc)
				}
			}
		}
	}
	return y, oh, ow
}

// ReLU is max(x, 0) element-wise.
func ReLU(x []float32) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		if v > 0 {
			y[i] = v
		}
	}
	return y
}

// GELU is the exact Gaussian error linear unit x·Φ(x) = x/2·(1 + erf(x/√2)), as PyTorch's nn.GELU().
func GELU(x []float32) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		f := float64(v)
		y[i] = float32(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
	}
	return y
}

// MaxPool2 is 2×2 max pooling with stride 2 (floor) over [n, c, h, w].
func MaxPool2(x []float32, n, c, h, w int) []float32 {
	oh, ow := h/2, w/2
	y := make([]float32, n*c*oh*ow)
	for p := 0; p < n*c; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				m := float32(math.Inf(-1))
				for di := 0; di < 2; di++ {
					for dj := 0; dj < 2; dj++ {
						if v := x[(p*h+2*i+di)*w+2*j+dj]; v > m {
							m = v
						}
					}
				}
				y[(p*oh+i)*ow+j] = m
			}
		}
	}
	return y
}

// GlobalAvgPool averages each channel of [n, c, h, w] over h×w, giving [n, c].
func GlobalAvgPool(x []float32, n, c, h, w int) []float32 {
	y := make([]float32, n*c)
	for p := 0; p < n*c; p++ {
		var s float64
		for i := 0; i < h*w; i++ {
			s += float64(x[p*h*w+i])
		}
		y[p] = float32(s / float64(h*w))
	}
	return y
}

// LayerNorm normalizes each row of rows×d over its d values with the biased
// variance and eps presets.LayerNormEps, then scales by g and shifts by b.
func LayerNorm(x []float32, rows, d int, g, b []float32) []float32 {
	y := make([]float32, rows*d)
	for r := 0; r < rows; r++ {
		row := x[r*d : (r+1)*d]
		var mean float64
		for _, v := range row {
			mean += float64(v)
		}
		mean /= float64(d)
		var vr float64
		for _, v := range row {
			dv := float64(v) - mean
			vr += dv * dv
		}
		vr /= float64(d)
		inv := 1 / math.Sqrt(vr+presets.LayerNormEps)
		for i, v := range row {
			y[r*d+i] = float32((float64(v)-mean)*inv*float64(g[i]) + float64(b[i]))
		}
	}
	return y
}

// Softmax is the numerically stable softmax of each row of rows×n.
func Softmax(x []float32, rows, n int) []float32 {
	y := make([]float32, rows*n)
	for r := 0; r < rows; r++ {
		row := x[r*n : (r+1)*n]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var s float64
		e := make([]float64, n)
		for i, v := range row {
			e[i] = math.Exp(float64(v) - m)
			s += e[i]
		}
		for i := range row {
			y[r*n+i] = float32(e[i] / s)
		}
	}
	return y
}

// SelfAttention is multi-head self-attention over x [n, t, d], as PyTorch's
// nn.MultiheadAttention(d, heads, batch_first=True)(x, x, x) with no mask:
// q, k, v = x·inWᵀ + inB split in rows [0,d), [d,2d), [2d,3d) of inW [3d, d];
// each head h of width dh = d/heads computes softmax(q_h·k_hᵀ/√dh)·v_h; the heads
// are concatenated and projected with outW [d, d] and outB [d].
func SelfAttention(x []float32, n, t, d, heads int, inW, inB, outW, outB []float32) []float32 {
	dh := d / heads
	scale := 1 / math.Sqrt(float64(dh))
	qkv := Linear(x, n*t, d, 3*d, inW, inB) // [n*t, 3d]
	mixed := make([]float32, n*t*d)
	for s := 0; s < n; s++ {
		for h := 0; h < heads; h++ {
			at := func(tok, part, i int) float64 { return float64(qkv[(s*t+tok)*3*d+part*d+h*dh+i]) }
			scores := make([]float32, t*t)
			for i := 0; i < t; i++ {
				for j := 0; j < t; j++ {
					var acc float64
					for e := 0; e < dh; e++ {
						acc += at(i, 0, e) * at(j, 1, e)
					}
					scores[i*t+j] = float32(acc * scale)
				}
			}
			p := Softmax(scores, t, t)
			for i := 0; i < t; i++ {
				for e := 0; e < dh; e++ {
					var acc float64
					for j := 0; j < t; j++ {
						acc += float64(p[i*t+j]) * at(j, 2, e)
					}
					mixed[(s*t+i)*d+h*dh+e] = float32(acc)
				}
			}
		}
	}
	return Linear(mixed, n*t, d, d, outW, outB)
}

// Add returns a + b element-wise.
func Add(a, b []float32) []float32 {
	y := make([]float32, len(a))
	for i := range a {
		y[i] = a[i] + b[i]
	}
	return y
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// Layer applies one layer to a batch x of batch samples of per-sample shape
// in, with the preset's weights w. It returns the output and its per-sample shape.
func Layer(l presets.Layer, w presets.Weights, x []float32, batch int, in []int) ([]float32, []int) {
	out, err := l.OutShape(in)
	if err != nil {
		panic(fmt.Sprintf("reference: %v", err))
	}
	switch l.Kind {
	case presets.Linear:
		rows := batch * prod(in) / l.In
		return Linear(x, rows, l.In, l.Out, w[l.Name+".weight"], w[l.Name+".bias"]), out
	case presets.Conv2D:
		y, _, _ := Conv2D(x, batch, in[0], in[1], in[2], w[l.Name+".weight"], w[l.Name+".bias"], l.Out, l.Kernel, l.Stride, l.Pad)
		return y, out
	case presets.ReLU:
		return ReLU(x), out
	case presets.GELU:
		return GELU(x), out
	case presets.MaxPool2:
		return MaxPool2(x, batch, in[0], in[1], in[2]), out
	case presets.Flatten:
		return append([]float32(nil), x...), out
	case presets.GlobalAvgPool:
		return GlobalAvgPool(x, batch, in[0], in[1], in[2]), out
	case presets.LayerNorm:
		rows := batch * prod(in) / l.In
		return LayerNorm(x, rows, l.In, w[l.Name+".weight"], w[l.Name+".bias"]), out
	case presets.SelfAttention:
		return SelfAttention(x, batch, in[0], l.In, l.Heads,
			w[l.Name+".in_proj_weight"], w[l.Name+".in_proj_bias"],
			w[l.Name+".out_proj.weight"], w[l.Name+".out_proj.bias"]), out
	case presets.Residual:
		y, s := x, in
		for _, b := range l.Body {
			y, s = Layer(b, w, y, batch, s)
		}
		return Add(x, y), out
	}
	panic(fmt.Sprintf("reference: layer %s has unknown kind %v", l.Name, l.Kind))
}

// Forward runs the whole preset on batch samples in (batch × p.InputSize()
// values) with weights w and returns batch × p.OutputSize() values.
func Forward(p *presets.Preset, w presets.Weights, in []float32, batch int) []float32 {
	if len(in) != batch*p.InputSize() {
		panic(fmt.Sprintf("reference: %s input has %d values, want %d×%d", p.Name, len(in), batch, p.InputSize()))
	}
	x, s := in, p.Input
	for _, l := range p.Layers {
		x, s = Layer(l, w, x, batch, s)
	}
	if len(x) == len(in) && &x[0] == &in[0] {
		x = append([]float32(nil), x...)
	}
	return x
}

// RelErr is max|a−b| / max(max|ref|, 1e-30): the error measure the engines' tests use.
func RelErr(got, ref []float32) float64 {
	if len(got) != len(ref) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range ref {
		d := math.Abs(float64(got[i]) - float64(ref[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		diff = math.Max(diff, d)
		scale = math.Max(scale, math.Abs(float64(ref[i])))
	}
	return diff / math.Max(scale, 1e-30)
}
