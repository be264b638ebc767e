//go:build !cgo

package cpu

// Without cgo the engine uses the Go kernels (correct, not vectorized).
const haveCKernels = false

func actRows(_ isa, y []float32, ldy int, x []float32, ldx int, r []float32, ldr, rows, n int, a act) {
	goActRows(y, ldy, x, ldx, r, ldr, rows, n, a)
}
func softmaxRows(s []float32, rows, n, ld int) { goSoftmaxRows(s, rows, n, ld) }
func layerNormRows(x, y []float32, rows, d int, g, b []float32, eps float32) {
	goLayerNormRows(x, y, rows, d, g, b, eps)
}
func reduceRows(x, y []float32, n, r0, r1 int, isMax bool) { goReduceRows(x, y, n, r0, r1, isMax) }
func im2col(col, x []float32, g *window, coff, cg, r0, r1 int) {
	goIm2col(col, x, g, coff, cg, r0, r1)
}
func convC1(_ isa, x, w, b, y, buf []float32, g *window, outC, q0, q1 int, relu bool) {
	goConvC1(x, w, b, y, buf, g, outC, q0, q1)
	if relu {
		goActRows(y[q0*g.ow*outC:], outC, y[q0*g.ow*outC:], outC, nil, 0, (q1-q0)*g.ow, outC, act{kind: actReLU})
	}
}
func dwConv(x, w, _, b, y []float32, g *window, q0, q1 int) { goDwConv(x, w, b, y, g, q0, q1) }
func dwConvAct(_ isa, x, w, b, r, y []float32, g *window, q0, q1 int, a act) {
	goDwConv(x, w, b, y, g, q0, q1)
	m, n := q0*g.ow*g.c, q1*g.ow*g.c
	if r != nil {
		r = r[m:n]
	}
	goActRows(y[m:n], g.c, y[m:n], g.c, r, g.c, (q1-q0)*g.ow, g.c, a)
}
func poolRows(x, y []float32, g *window, avg, countPad bool, q0, q1 int) {
	goPoolRows(x, y, g, avg, countPad, q0, q1)
}
func globalPoolNHWC(x, y []float32, hw, c, n0, n1 int, isMax bool) {
	goGlobalPoolNHWC(x, y, hw, c, n0, n1, isMax)
}
func binaryRows(p *bcastPlan, y, a, b []float32, n, r0, r1 int) {
	goBinaryRows(p, y, a, b, n, r0, r1)
}
func affineRows(y, x, s, t []float32, n, c int, cl bool, r0, r1 int) {
	goAffineRows(y, x, s, t, n, c, cl, r0, r1)
}

// cpuISA is isaNone: without cgo there is no packed kernel.
func cpuISA() isa { return isaNone }

func denseRows(isa, []float32, int, []float32, []float32, []float32, []float32, int, int, int, int, int, int, int, []float32, act) {
	panic("cpu engine: the packed product kernel needs cgo")
}

func wideRows(isa, []float32, int, []float32, []float32, []float32, []float32, int, int, int, int, int, int, act) {
	panic("cpu engine: the wide product kernel needs cgo")
}

// Without cgo no convolution takes the implicit kernel (implicitConv); its
// Go form below is what it computes.
func implicitConv(isa, *window, int) bool { return false }

func convImplicit(x []float32, g *window, wp, b, r, y, _ []float32, m, p0, p1 int, a act) {
	width, k := wideWidth(isaAVX512, m), g.kh*g.kw*g.c
	for p := p0; p < p1; p++ {
		ox, q := p%g.ow, p/g.ow
		oy, n := q%g.oh, q/g.oh
		d := y[p*m : (p+1)*m]
		for j := range d {
			d[j] = 0
			if b != nil {
				d[j] = b[j]
			}
			if r != nil {
				d[j] += r[p*m+j]
			}
		}
		for ki := 0; ki < g.kh; ki++ {
			iy := oy*g.sh - g.ph + ki*g.dh
			for kj := 0; kj < g.kw; kj++ {
				ix := ox*g.sw - g.pw + kj*g.dw
				if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
					continue
				}
				for ci := 0; ci < g.c; ci++ {
					xv, kk := x[((n*g.h+iy)*g.w+ix)*g.c+ci], (ki*g.kw+kj)*g.c+ci
					for j := range d {
						c0 := j / width * width
						pw := roundUp(min(width, m-c0), denseLanes)
						d[j] += xv * wp[c0*k+kk*pw+j-c0]
					}
				}
			}
		}
		for j := range d {
			d[j] = a.apply(d[j])
		}
	}
}
