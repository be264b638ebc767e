package cpu

import (
	"math"
	"unsafe"
)

// act is the activation fused into a matrix product's epilogue.
type act int

const (
	actNone act = iota
	actReLU
	actGELU
)

func (a act) String() string {
	switch a {
	case actReLU:
		return "relu"
	case actGELU:
		return "gelu"
	}
	return "none"
}

// reluInPlace sets negative values to zero without branching on the sign
// (a mispredicted branch per element would cost more than the work).
func reluInPlace(s []float32) {
	if len(s) == 0 {
		return
	}
	u := unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
	for i, v := range u {
		u[i] = v &^ uint32(int32(v)>>31)
	}
}

// addReLUInPlace computes dst = relu(dst + r).
func addReLUInPlace(dst, r []float32) {
	r = r[:len(dst)]
	for i, v := range dst {
		v += r[i]
		b := math.Float32bits(v)
		dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// addInPlace computes dst += r.
func addInPlace(dst, r []float32) {
	r = r[:len(dst)]
	for i := range dst {
		dst[i] += r[i]
	}
}

// geluInPlace applies the exact-erf GELU.
func geluInPlace(s []float32) {
	for i, v := range s {
		s[i] = gelu32(v)
	}
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

// convGeom describes a convolution over NHWC input.
type convGeom struct {
	h, w, c        int // input height, width, channels
	k, stride, pad int
	oh, ow         int
	kkc            int // k·k·c: one im2col row
}

// im2colNHWC writes rows [r0, r1) of the im2col matrix of x (NHWC, batch
// samples) into col (row-major, kkc per row). Row r is output pixel
// (n, oy, ox) with r = (n·oh + oy)·ow + ox; its values are ordered (ki, kj, c),
// the order of the reordered weights; out-of-image taps are zero.
func im2colNHWC(col, x []float32, g *convGeom, r0, r1 int) {
	k, c, kc := g.k, g.c, g.k*g.c
	for r := r0; r < r1; r++ {
		ox := r % g.ow
		t := r / g.ow
		oy := t % g.oh
		n := t / g.oh
		dst := col[(r-r0)*g.kkc : (r-r0+1)*g.kkc]
		ix0 := ox*g.stride - g.pad
		// The taps kj ∈ [kj0, kj1) fall inside the row.
		kj0, kj1 := max(0, -ix0), min(k, g.w-ix0)
		for ki := 0; ki < k; ki++ {
			d := dst[ki*kc : (ki+1)*kc]
			iy := oy*g.stride - g.pad + ki
			if iy < 0 || iy >= g.h || kj0 >= kj1 {
				clear(d)
				continue
			}
			clear(d[:kj0*c])
			src := x[((n*g.h+iy)*g.w+ix0+kj0)*c : ((n*g.h+iy)*g.w+ix0+kj1)*c]
			if len(src) <= 16 {
				dd := d[kj0*c : kj1*c]
				for i := range dd {
					dd[i] = src[i]
				}
			} else {
				copy(d[kj0*c:kj1*c], src)
			}
			clear(d[kj1*c:])
		}
	}
}

// The Go kernels below are what a build without cgo runs, and what the tests
// hold the C kernels to.

func goEpilogueRows(y []float32, rows, n, ld int, r []float32, a act) {
	if r == nil && a == actNone {
		return
	}
	for i := 0; i < rows; i++ {
		var rs []float32
		if r != nil {
			rs = r[i*ld : i*ld+n]
		}
		epilogueSeg(y[i*ld:i*ld+n], rs, a)
	}
}

// epilogueSeg computes y = act(y + r) (r may be nil).
func epilogueSeg(y, r []float32, a act) {
	switch {
	case r != nil && a == actReLU:
		addReLUInPlace(y, r)
		return
	case r != nil:
		addInPlace(y, r)
	}
	switch a {
	case actReLU:
		reluInPlace(y)
	case actGELU:
		geluInPlace(y)
	}
}

func goSoftmaxRows(s []float32, rows, n, ld int) {
	for i := 0; i < rows; i++ {
		softmaxRow(s[i*ld : i*ld+n])
	}
}

func goLayerNormRows(x, y []float32, rows, d int, g, b []float32) {
	g, b = g[:d], b[:d]
	for r := 0; r < rows; r++ {
		xx := x[r*d : (r+1)*d]
		yy := y[r*d : (r+1)*d]
		var s float64
		for _, v := range xx {
			s += float64(v)
		}
		mean := float32(s / float64(d))
		var ss float64
		for _, v := range xx {
			dv := float64(v - mean)
			ss += dv * dv
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+layerNormEps))
		for i, v := range xx {
			yy[i] = (v-mean)*inv*g[i] + b[i]
		}
	}
}

func goMaxPoolRows(x, y []float32, h, w, ch, oh, ow, r0, r1 int) {
	for r := r0; r < r1; r++ {
		i := r % oh
		n := r / oh
		top := x[((n*h+2*i)*w)*ch:]
		bot := x[((n*h+2*i+1)*w)*ch:]
		dst := y[r*ow*ch : (r+1)*ow*ch]
		for j := 0; j < ow; j++ {
			a, b := top[2*j*ch:(2*j+2)*ch], bot[2*j*ch:(2*j+2)*ch]
			d := dst[j*ch : (j+1)*ch]
			for k := range d {
				m := max32(a[k], a[ch+k])
				d[k] = max32(m, max32(b[k], b[ch+k]))
			}
		}
	}
}

func max32(a, b float32) float32 {
	if b > a {
		return b
	}
	return a
}
