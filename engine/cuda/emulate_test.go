package cuda

import (
	"fmt"
	"math"
)

// This file executes a Plan on the CPU: a column-major sgemm with cuBLAS's
// argument conventions and Go transcriptions of kernels/kernels.cu. A plan
// that computes the right thing here makes the same calls on the GPU.
// Its loops run on the test's goroutine alone and are marked //go:norace:
// under the race detector (CI) they would run several times slower and
// find nothing.

// view returns the memory a Ref points to, with the bounds checks cuBLAS and
// the kernels would silently skip.
func view(mem [][]float32, r Ref) []float32 {
	if r.Buf < 0 || r.Buf >= len(mem) || r.Off < 0 || r.Off > int64(len(mem[r.Buf])) {
		panic(fmt.Sprintf("reference %+v outside the plan's buffers", r))
	}
	return mem[r.Buf][r.Off:]
}

// lastIndex is the largest offset a column-major rows×cols matrix with leading dimension ld touches.
func lastIndex(rows, cols, ld int) int { return (cols-1)*ld + rows - 1 }

// checkGemm validates g the way cublasSgemm does and checks that every matrix
// lies inside its buffer for every batch entry.
func checkGemm(mem [][]float32, g *Gemm) error {
	if g.M <= 0 || g.N <= 0 || g.K <= 0 || g.Batch <= 0 {
		return fmt.Errorf("non-positive dimension m=%d n=%d k=%d batch=%d", g.M, g.N, g.K, g.Batch)
	}
	ar, ac := g.M, g.K
	if g.TransA {
		ar, ac = g.K, g.M
	}
	br, bc := g.K, g.N
	if g.TransB {
		br, bc = g.N, g.K
	}
	if g.LdA < max(1, ar) || g.LdB < max(1, br) || g.LdC < max(1, g.M) {
		return fmt.Errorf("leading dimension too small: lda=%d (rows %d) ldb=%d (rows %d) ldc=%d (rows %d)", g.LdA, ar, g.LdB, br, g.LdC, g.M)
	}
	per := int64(1) // A's and B's values per float32 of memory
	if g.In != ElemF32 {
		per = 2
	}
	for _, c := range []struct {
		name       string
		r          Ref
		rows, cols int
		ld         int
		stride     int64
		per        int64
	}{{"A", g.A, ar, ac, g.LdA, g.StrideA, per}, {"B", g.B, br, bc, g.LdB, g.StrideB, per}, {"C", g.C, g.M, g.N, g.LdC, g.StrideC, 1}} {
		last := int64(g.Batch-1)*c.stride + int64(lastIndex(c.rows, c.cols, c.ld))
		if c.r.Off+last >= c.per*int64(len(mem[c.r.Buf])) {
			return fmt.Errorf("%s reaches offset %d of a %d-value buffer", c.name, c.r.Off+last, c.per*int64(len(mem[c.r.Buf])))
		}
	}
	return nil
}

// sgemm is column-major C = alpha·op(A)·op(B) + beta·C, as cublasSgemm,
// summing in float64.
//
//go:norace
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// op(A)(i, p) = a[i·ai + p·ap], op(B)(p, j) = b[p·bp + j·bj].
	ai, ap := 1, lda
	if transA {
		ai, ap = lda, 1
	}
	bp, bj := 1, ldb
	if transB {
		bp, bj = ldb, 1
	}
	for j := range n {
		for i := range m {
			var s float64
			ia, jb := i*ai, j*bj
			for p := range k {
				s += float64(a[ia+p*ap]) * float64(b[jb+p*bp])
			}
			v := alpha * float32(s)
			if beta != 0 {
				v += beta * c[j*ldc+i]
			}
			c[j*ldc+i] = v
		}
	}
}

func runGemm(mem [][]float32, g *Gemm) error {
	if err := checkGemm(mem, g); err != nil {
		return err
	}
	a, b := view, view
	if g.In != ElemF32 {
		// cublasGemmEx: half-precision A and B, float32 sums and C.
		a = func(mem [][]float32, r Ref) []float32 { return halfView(mem, r, g.In) }
		b = a
	}
	for e := range int64(g.Batch) {
		sgemm(g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha,
			a(mem, g.A.Plus(e*g.StrideA)), g.LdA, b(mem, g.B.Plus(e*g.StrideB)), g.LdB,
			g.Beta, view(mem, g.C.Plus(e*g.StrideC)), g.LdC)
	}
	return nil
}

// checkHalf checks a conversion kernel's kind and that its half-precision
// side, words, holds n values.
func checkHalf(kernel string, kind Elem, words []float32, n int64) error {
	if kind != ElemF16 && kind != ElemBF16 {
		return fmt.Errorf("%s: kind %d is no half type", kernel, kind)
	}
	if 2*int64(len(words)) < n {
		return fmt.Errorf("%s: %d values do not fit %d floats", kernel, n, len(words))
	}
	return nil
}

// int64At reads int64 value i of words, two float32s each (the low one
// first, as a little-endian device stores it).
func int64At(words []float32, i int64) int64 {
	return int64(uint64(math.Float32bits(words[2*i])) | uint64(math.Float32bits(words[2*i+1]))<<32)
}

// packInt64 returns v as a device holds it: two float32s per value.
func packInt64(v []int64) []float32 {
	words := make([]float32, 2*len(v))
	for i, x := range v {
		words[2*i] = math.Float32frombits(uint32(uint64(x)))
		words[2*i+1] = math.Float32frombits(uint32(uint64(x) >> 32))
	}
	return words
}

// halfAt reads half-precision value i of words, two to a float32 (the
// low half first, as a little-endian device stores them).
func halfAt(words []float32, i int64) uint16 {
	return uint16(math.Float32bits(words[i/2]) >> (16 * (i % 2)))
}

// setHalf writes half-precision value i of words.
func setHalf(words []float32, i int64, h uint16) {
	shift := 16 * (i % 2)
	u := math.Float32bits(words[i/2])&^(0xffff<<shift) | uint32(h)<<shift
	words[i/2] = math.Float32frombits(u)
}

// halfView returns the values of type t from r (whose offset counts half
// values) to the end of its buffer, as float32.
//
//go:norace
func halfView(mem [][]float32, r Ref, t Elem) []float32 {
	if r.Buf < 0 || r.Buf >= len(mem) || r.Off < 0 || r.Off > 2*int64(len(mem[r.Buf])) {
		panic(fmt.Sprintf("half-precision reference %+v outside the plan's buffers", r))
	}
	words := mem[r.Buf]
	out := make([]float32, 2*int64(len(words))-r.Off)
	for i := range out {
		out[i] = fromHalf(t, halfAt(words, r.Off+int64(i)))
	}
	return out
}

// packHalf returns v converted to type t, packed two to a float32, as a
// half-precision weight lies in device memory.
func packHalf(t Elem, v []float32) []float32 {
	words := make([]float32, halfFloats(int64(len(v))))
	for i, h := range halfBits(t, v) {
		setHalf(words, int64(i), h)
	}
	return words
}

// kernelArgs unpacks a launch's parameters by type, as the kernel declares them.
type kernelArgs struct {
	mem  [][]float32
	args []Arg
}

func (k kernelArgs) ptr(i int) []float32 {
	if k.args[i].Kind != ArgPtr {
		panic(fmt.Sprintf("parameter %d is not a pointer", i))
	}
	if k.args[i].IsNull() {
		return nil
	}
	return view(k.mem, k.args[i].Ref)
}

// base returns the whole buffer pointer parameter i points into and its
// offset there, for a kernel that may read before the pointer.
func (k kernelArgs) base(i int) ([]float32, int64) {
	r := k.args[i].Ref
	view(k.mem, r) // checks the reference
	return k.mem[r.Buf], r.Off
}

func (k kernelArgs) int(i int) int64 {
	if k.args[i].Kind != ArgInt {
		panic(fmt.Sprintf("parameter %d is not a long long", i))
	}
	return k.args[i].Int
}

func (k kernelArgs) float(i int) float64 {
	if k.args[i].Kind != ArgFloat {
		panic(fmt.Sprintf("parameter %d is not a double", i))
	}
	return k.args[i].Float
}

// actf is infertop_act: the activation of code act with parameters p0, p1.
func actf(v float32, act int64, p0, p1 float64) float32 {
	x := float64(v)
	switch act {
	case ActReLU:
		return max(v, 0)
	case ActGELU:
		return float32(0.5 * x * (1 + math.Erf(x*0.70710678118654752)))
	case ActGELUTanh:
		return float32(0.5 * x * (1 + math.Tanh(0.7978845608028654*(x+0.044715*x*x*x))))
	case ActSigmoid:
		return float32(1 / (1 + math.Exp(-x)))
	case ActTanh:
		return float32(math.Tanh(x))
	case ActClip:
		return float32(min(max(x, p0), p1))
	case ActLeakyReLU:
		if v < 0 {
			return float32(x * p0)
		}
		return v
	case ActHardSigmoid:
		return float32(min(max(x*p0+p1, 0), 1))
	case ActHardSwish:
		return float32(x * min(max(x/6+0.5, 0), 1))
	case ActSwish:
		return float32(x / (1 + math.Exp(-x)))
	}
	return v
}

// kernelParams is each kernel's parameter count, as declared in kernels.cu.
var kernelParams = map[string]int{KBiasAct: 8, KBiasActPlanes: 9, KLayerNorm: 9, KSoftmax: 4, KIm2col: 10, KMaxPool2: 7,
	KPool: 18, KAvgPool: 4, KResidualAdd: 5, KBinary: 22, KCopyRows: 5, KConvM32: 17, KConvM64: 17, KConvDirect: 23, KToHalf: 4, KCastI64: 3, KGatherRows: 6, KReduceRows: 5, KBinaryTyped: 23, KGather: 7, KBatchNorm: 11, KConv3D: 29, KPool3D: 25, KIm2colHalf: 11, KBiasHalf: 10}

// runKernel is the Go transcription of what each kernel computes (its
// launch geometry is exercised by the C++ build of kernels.cu, kernelhost_test.go).
//
//go:norace
func runKernel(mem [][]float32, l *Launch) error {
	if n, ok := kernelParams[l.Kernel]; !ok || n != len(l.Args) {
		return fmt.Errorf("%s: %d parameters, kernel declares %d", l.Kernel, len(l.Args), n)
	}
	a := kernelArgs{mem, l.Args}
	switch l.Kernel {
	case KReduceRows:
		x, y, rows, cols, op := a.ptr(0), a.ptr(1), a.int(2), a.int(3), a.int(4)
		for r := range rows {
			xr := x[r*cols : (r+1)*cols]
			if op == 2 {
				m := float32(-math.MaxFloat32)
				for _, v := range xr {
					m = max(m, v)
				}
				y[r] = m
				continue
			}
			var s float64
			for _, v := range xr {
				s += float64(v)
			}
			if op == 1 {
				s /= float64(cols)
			}
			y[r] = float32(s)
		}
	case KCastI64:
		x, y, n := a.ptr(0), a.ptr(1), a.int(2)
		for i := range n {
			y[i] = float32(int64At(x, i))
		}
	case KBatchNorm:
		x, y, scale, bias, mean, vr := a.ptr(0), a.ptr(1), a.ptr(2), a.ptr(3), a.ptr(4), a.ptr(5)
		n, ch, inner, per, eps := a.int(6), a.int(7), a.int(8), a.int(9), a.float(10)
		for s := range n {
			for c := range ch {
				for e := range inner {
					p := c
					if per == 1 {
						p = c*inner + e
					}
					i := (s*ch+c)*inner + e
					y[i] = float32(float64(scale[p])*(float64(x[i])-float64(mean[p]))/math.Sqrt(float64(vr[p])+eps) + float64(bias[p]))
				}
			}
		}
	case KGather:
		x, idx, y := a.ptr(0), a.ptr(1), a.ptr(2)
		outer, axis, nidx, inner := a.int(3), a.int(4), a.int(5), a.int(6)
		for o := range outer {
			for j := range nidx {
				k := int64At(idx, j)
				if k < 0 {
					k += axis
				}
				row := y[(o*nidx+j)*inner : (o*nidx+j+1)*inner]
				if k < 0 || k >= axis {
					clear(row)
					continue
				}
				copy(row, x[(o*axis+k)*inner:])
			}
		}
	case KGatherRows:
		table, idx, y := a.ptr(0), a.ptr(1), a.ptr(2)
		rows, cols, vocab := a.int(3), a.int(4), a.int(5)
		for r := range rows {
			k := int64At(idx, r)
			if k < 0 {
				k += vocab
			}
			for j := range cols {
				if k >= 0 && k < vocab {
					y[r*cols+j] = table[k*cols+j]
				} else {
					y[r*cols+j] = 0
				}
			}
		}
	case KBiasHalf:
		x, y, b := a.ptr(0), a.ptr(1), a.ptr(2)
		n, ch, inner, kind, act, p0, p1 := a.int(3), a.int(4), a.int(5), Elem(a.int(6)), a.int(7), a.float(8), a.float(9)
		if err := checkHalf(l.Kernel, kind, x, n*ch*inner); err != nil {
			return err
		}
		for i := range n * ch * inner {
			y[i] = actf(fromHalf(kind, halfAt(x, i))+b[(i/inner)%ch], act, p0, p1)
		}
	case KToHalf:
		x, y, n, kind := a.ptr(0), a.ptr(1), a.int(2), Elem(a.int(3))
		if err := checkHalf(l.Kernel, kind, y, n); err != nil {
			return err
		}
		for i := range n {
			setHalf(y, i, toHalf(kind, x[i]))
		}
	case KBiasAct:
		x, y, b := a.ptr(0), a.ptr(1), a.ptr(2)
		rows, cols, act, p0, p1 := a.int(3), a.int(4), a.int(5), a.float(6), a.float(7)
		for i := range rows * cols {
			v := x[i]
			if b != nil {
				v += b[i%cols]
			}
			y[i] = actf(v, act, p0, p1)
		}
	case KBiasActPlanes:
		x, y, b := a.ptr(0), a.ptr(1), a.ptr(2)
		n, ch, inner, act, p0, p1 := a.int(3), a.int(4), a.int(5), a.int(6), a.float(7), a.float(8)
		for i := range n * ch * inner {
			y[i] = actf(x[i]+b[(i/inner)%ch], act, p0, p1)
		}
	case KLayerNorm:
		x, y, g, b := a.ptr(0), a.ptr(1), a.ptr(2), a.ptr(3)
		rows, cols, eps := a.int(4), a.int(5), a.float(6)
		for r := range rows {
			xr, yr := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
			var s, q float64
			for _, v := range xr {
				s += float64(v)
			}
			mean := s / float64(cols)
			for _, v := range xr {
				q += (float64(v) - mean) * (float64(v) - mean)
			}
			inv := 1 / math.Sqrt(q/float64(cols)+eps)
			for j := range cols {
				yr[j] = float32((float64(xr[j])-mean)*inv)*g[j] + b[j]
			}
			if mo := a.ptr(7); mo != nil {
				mo[r] = float32(mean)
			}
			if io := a.ptr(8); io != nil {
				io[r] = float32(inv)
			}
		}
	case KSoftmax:
		x := a.ptr(0)
		rows, cols, scale := a.int(1), a.int(2), float32(a.float(3))
		for r := range rows {
			xr := x[r*cols : (r+1)*cols]
			m := float32(math.Inf(-1))
			for _, v := range xr {
				m = max(m, v*scale)
			}
			var s float64
			for j := range xr {
				e := math.Exp(float64(xr[j]*scale - m))
				xr[j] = float32(e)
				s += e
			}
			for j := range xr {
				xr[j] = float32(float64(xr[j]) / s)
			}
		}
	case KIm2col, KIm2colHalf:
		x, col := a.ptr(0), a.ptr(1)
		planes, h, w, k, stride, pad, oh, ow := a.int(2), a.int(3), a.int(4), a.int(5), a.int(6), a.int(7), a.int(8), a.int(9)
		p := oh * ow
		store := func(i int64, v float32) { col[i] = v }
		if l.Kernel == KIm2colHalf {
			kind := Elem(a.int(10))
			if err := checkHalf(l.Kernel, kind, col, planes*k*k*p); err != nil {
				return err
			}
			store = func(i int64, v float32) { setHalf(col, i, toHalf(kind, v)) }
		}
		for i := range planes * k * k * p {
			pix, row, pl := i%p, (i/p)%(k*k), i/(p*k*k)
			ox, oy := pix%ow, pix/ow
			kx, ky := row%k, row/k
			iy, ix := oy*stride-pad+ky, ox*stride-pad+kx
			var v float32
			if iy >= 0 && iy < h && ix >= 0 && ix < w {
				v = x[(pl*h+iy)*w+ix]
			}
			store(i, v)
		}
	case KMaxPool2:
		x, y := a.ptr(0), a.ptr(1)
		nc, h, w, oh, ow := a.int(2), a.int(3), a.int(4), a.int(5), a.int(6)
		for i := range nc * oh * ow {
			ox, oy, pl := i%ow, (i/ow)%oh, i/(oh*ow)
			src := x[(pl*h+2*oy)*w+2*ox:]
			y[i] = max(max(src[0], src[1]), max(src[w], src[w+1]))
		}
	case KAvgPool:
		x, y := a.ptr(0), a.ptr(1)
		nc, hw := a.int(2), a.int(3)
		for i := range nc {
			var s float32
			for _, v := range x[i*hw : (i+1)*hw] {
				s += v
			}
			y[i] = s / float32(hw)
		}
	case KResidualAdd:
		x, b, y := a.ptr(0), a.ptr(1), a.ptr(2)
		total, relu := a.int(3), a.int(4)
		for i := range total {
			v := x[i] + b[i]
			if relu == 1 && v < 0 {
				v = 0
			}
			y[i] = v
		}
	case KPool:
		pool(a)
	case KBinary:
		binaryOp(a)
	case KBinaryTyped:
		typedOp(a)
	case KConv3D:
		conv3d(a)
	case KPool3D:
		pool3d(a)
	case KCopyRows:
		x, y := a.ptr(0), a.ptr(1)
		rows, cols, ldy := a.int(2), a.int(3), a.int(4)
		for r := range rows {
			copy(y[r*ldy:r*ldy+cols], x[r*cols:(r+1)*cols])
		}
	case KConvM32, KConvM64:
		convDirect(a)
	case KConvDirect:
		convGrouped(a)
	default:
		return fmt.Errorf("no Go version of kernel %s", l.Kernel)
	}
	return nil
}

// convDirect is the implicit-GEMM convolution computed directly: every output
// value a float64 sum over its window, plus bias, then the activation.
func convDirect(a kernelArgs) {
	convSum(a.ptr(0), a.ptr(1), a.ptr(2), a.ptr(3), convShape{n: a.int(4), c: a.int(5), h: a.int(6), w: a.int(7),
		cout: a.int(8), group: 1, kh: a.int(9), kw: a.int(9), sh: a.int(10), sw: a.int(10), ph: a.int(11), pw: a.int(11),
		dh: 1, dw: 1, oh: a.int(12), ow: a.int(13)}, a.int(14), a.float(15), a.float(16))
}

// convGrouped is infertop_conv_direct: any groups, window and dilation.
func convGrouped(a kernelArgs) {
	convSum(a.ptr(0), a.ptr(1), a.ptr(2), a.ptr(3), convShape{n: a.int(4), c: a.int(5), h: a.int(6), w: a.int(7),
		cout: a.int(8), group: a.int(9), kh: a.int(10), kw: a.int(11), sh: a.int(12), sw: a.int(13), ph: a.int(14),
		pw: a.int(15), dh: a.int(16), dw: a.int(17), oh: a.int(18), ow: a.int(19)}, a.int(20), a.float(21), a.float(22))
}

// convShape is a 2-D convolution's geometry: NCHW input, output channels,
// groups, kernel, strides, padding before and dilations, output size.
type convShape struct {
	n, c, h, w, cout, group, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow int64
}

// convSum writes y[s, co, oy, ox] = act(Σ w·x over the window of co's group
// + b[co]) for NCHW x and [cout, c/group, kh, kw] w; a nil b adds nothing.
//
//go:norace
func convSum(x, w, b, y []float32, g convShape, act int64, p0, p1 float64) {
	cpg, opg := g.c/g.group, g.cout/g.group
	for s := range g.n {
		for co := range g.cout {
			ci0 := co / opg * cpg
			for oy := range g.oh {
				for ox := range g.ow {
					var sum float64
					for ci := range cpg {
						for ky := range g.kh {
							iy := oy*g.sh - g.ph + ky*g.dh
							if iy < 0 || iy >= g.h {
								continue
							}
							for kx := range g.kw {
								ix := ox*g.sw - g.pw + kx*g.dw
								if ix < 0 || ix >= g.w {
									continue
								}
								sum += float64(w[((co*cpg+ci)*g.kh+ky)*g.kw+kx]) * float64(x[((s*g.c+ci0+ci)*g.h+iy)*g.w+ix])
							}
						}
					}
					v := float32(sum)
					if b != nil {
						v += b[co]
					}
					y[((s*g.cout+co)*g.oh+oy)*g.ow+ox] = actf(v, act, p0, p1)
				}
			}
		}
	}
}

// pool is infertop_pool: the maximum (mode 0) or the mean of the taps
// inside the input, divided with mode 2 by the taps inside or in the
// padding.
//
//go:norace
func pool(a kernelArgs) {
	x, y := a.ptr(0), a.ptr(1)
	planes, h, w, oh, ow := a.int(2), a.int(3), a.int(4), a.int(5), a.int(6)
	kh, kw, sh, sw, pt, pl := a.int(7), a.int(8), a.int(9), a.int(10), a.int(11), a.int(12)
	pb, pr, dh, dw, mode := a.int(13), a.int(14), a.int(15), a.int(16), a.int(17)
	for i := range planes * oh * ow {
		ox, oy, p := i%ow, (i/ow)%oh, i/(oh*ow)
		m, s, n := float32(math.Inf(-1)), 0.0, 0
		for ky := range kh {
			iy := oy*sh - pt + ky*dh
			for kx := range kw {
				ix := ox*sw - pl + kx*dw
				inside := iy >= 0 && iy < h && ix >= 0 && ix < w
				if inside || mode == 2 && iy < h+pb && ix < w+pr {
					n++
				}
				if inside {
					m = max(m, x[(p*h+iy)*w+ix])
					s += float64(x[(p*h+iy)*w+ix])
				}
			}
		}
		switch {
		case mode == 0:
			y[i] = m
		case n > 0:
			y[i] = float32(s / float64(n))
		default:
			y[i] = 0
		}
	}
}

// binaryOp is infertop_binary: y [n0, d1 … d5] = a op b, each operand read
// with its stride per axis.
//
//go:norace
func binaryOp(a kernelArgs) {
	x, xo := a.base(0)
	z, zo := a.base(1)
	y := a.ptr(2)
	op := a.int(3)
	walkBinary(a, 4, func(at, ia, ib int64) {
		u, v := x[xo+ia], z[zo+ib]
		var r float32
		switch op {
		case binSub:
			r = u - v
		case binMul:
			r = u * v
		case binDiv:
			r = u / v
		case binPow:
			r = float32(math.Pow(float64(u), float64(v)))
		case binCopy:
			r = u
		case binNeg:
			r = -u
		case binExp:
			r = float32(math.Exp(float64(u)))
		case binSqrt:
			r = float32(math.Sqrt(float64(u)))
		case binErf:
			r = float32(math.Erf(float64(u)))
		case binMax:
			r = u
			if u < v {
				r = v
			}
		case binMin:
			r = u
			if u > v {
				r = v
			}
		default:
			r = u + v
		}
		y[at] = r
	})
}

// walkBinary calls f for every value of infertop_binary's output walk,
// whose parameters n0, sa0, sb0 and the five (d, sa, sb) start at index
// first: the value's index in the output and the operands' offsets.
func walkBinary(a kernelArgs, first int, f func(at, ia, ib int64)) {
	n0, sa0, sb0 := a.int(first), a.int(first+1), a.int(first+2)
	var d, sa, sb [5]int64
	inner := int64(1)
	for k := range 5 {
		d[k], sa[k], sb[k] = a.int(first+3+3*k), a.int(first+4+3*k), a.int(first+5+3*k)
		inner *= d[k]
	}
	for o := range n0 {
		for e := range inner {
			ia, ib, rest := o*sa0, o*sb0, e
			for k := 4; k >= 0; k-- {
				i := rest % d[k]
				ia, ib, rest = ia+i*sa[k], ib+i*sb[k], rest/d[k]
			}
			f(o*inner+e, ia, ib)
		}
	}
}

// runConvCall executes a cuDNN convolution step: it checks the output shape
// against what cudnnGetConvolution2dForwardOutputDimensions would give and
// that every tensor lies inside its buffer, then sums directly (no bias, no
// activation, as cudnnConvolutionForward with alpha 1 and beta 0).
func runConvCall(mem [][]float32, c *ConvCall) error {
	if c.N <= 0 || c.C <= 0 || c.H <= 0 || c.W <= 0 || c.Out <= 0 || c.K <= 0 || c.Stride <= 0 || c.Pad < 0 ||
		c.C%c.Groups() != 0 || c.Out%c.Groups() != 0 {
		return fmt.Errorf("cudnn conv: bad dimensions %+v", *c)
	}
	if oh, ow := (c.H+2*c.Pad-c.K)/c.Stride+1, (c.W+2*c.Pad-c.K)/c.Stride+1; oh != c.OH || ow != c.OW {
		return fmt.Errorf("cudnn conv: output %d×%d, cuDNN computes %d×%d", c.OH, c.OW, oh, ow)
	}
	per := 1 // values per float32 of memory
	if c.Type != ElemF32 {
		per = 2
	}
	for _, t := range []struct {
		name string
		r    Ref
		n    int
	}{{"x", c.X, c.N * c.C * c.H * c.W}, {"filter", c.Filter, c.Out * c.C / c.Groups() * c.K * c.K}, {"y", c.Y, c.N * c.Out * c.OH * c.OW}} {
		if have := per * (len(mem[t.r.Buf]) - int(t.r.Off)); have < t.n {
			return fmt.Errorf("cudnn conv: %s needs %d values, its buffer holds %d from offset %d", t.name, t.n, have, t.r.Off)
		}
	}
	x, w, y := view(mem, c.X), view(mem, c.Filter), view(mem, c.Y)
	if c.Type != ElemF32 {
		// Pseudo half: half x and filter, float32 sums, y rounded to half.
		x, w = halfView(mem, c.X, c.Type), halfView(mem, c.Filter, c.Type)
		y = make([]float32, c.N*c.Out*c.OH*c.OW)
		defer func() {
			words := mem[c.Y.Buf]
			for i, v := range y {
				setHalf(words, c.Y.Off+int64(i), toHalf(c.Type, v))
			}
		}()
	}
	k, st, pad := int64(c.K), int64(c.Stride), int64(c.Pad)
	convSum(x, w, nil, y, convShape{n: int64(c.N), c: int64(c.C), h: int64(c.H),
		w: int64(c.W), cout: int64(c.Out), group: int64(c.Groups()), kh: k, kw: k, sh: st, sw: st, ph: pad, pw: pad, dh: 1, dw: 1,
		oh: int64(c.OH), ow: int64(c.OW)}, 0, 0, 0)
	return nil
}
