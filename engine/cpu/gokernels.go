package cpu

import "math"

// The Go kernels: what a build without cgo runs (gokernels_nocgo.go), and
// what the tests hold the C kernels to.

func goActRows(y []float32, ldy int, x []float32, ldx int, r []float32, ldr, rows, n int, a act) {
	for i := 0; i < rows; i++ {
		yy, xx := y[i*ldy:i*ldy+n], x[i*ldx:i*ldx+n]
		for j, v := range xx {
			if r != nil {
				v += r[i*ldr+j]
			}
			yy[j] = a.apply(v)
		}
	}
}

func goSoftmaxRows(s []float32, rows, n, ld int) {
	for i := 0; i < rows; i++ {
		softmaxRow(s[i*ld : i*ld+n])
	}
}

func goLayerNormRows(x, y []float32, rows, d int, g, b []float32, eps float32) {
	g = g[:d]
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
		inv := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
		for i, v := range xx {
			yy[i] = (v - mean) * inv * g[i]
			if b != nil {
				yy[i] += b[i]
			}
		}
	}
}

func goReduceRows(x, y []float32, n, r0, r1 int, isMax bool) {
	for r := r0; r < r1; r++ {
		row := x[r*n : (r+1)*n]
		if isMax {
			m := row[0]
			for _, v := range row {
				m = max(m, v)
			}
			y[r] = m
			continue
		}
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		y[r] = float32(s / float64(n))
	}
}

// goIm2col writes rows [r0, r1) of the im2col matrix of NHWC x, for the cg
// channels from coff, into col. Row r is output pixel (n, oy, ox) with r =
// (n·oh + oy)·ow + ox; its values are ordered (ki, kj, channel), the order of
// the reordered weights; taps outside the image are zero.
func goIm2col(col, x []float32, g *window, coff, cg, r0, r1 int) {
	kkc := g.kh * g.kw * cg
	for r := r0; r < r1; r++ {
		ox := r % g.ow
		t := r / g.ow
		oy, n := t%g.oh, t/g.oh
		dst := col[(r-r0)*kkc : (r-r0+1)*kkc]
		for ki := 0; ki < g.kh; ki++ {
			iy := oy*g.sh - g.ph + ki*g.dh
			for kj := 0; kj < g.kw; kj++ {
				ix := ox*g.sw - g.pw + kj*g.dw
				d := dst[(ki*g.kw+kj)*cg : (ki*g.kw+kj+1)*cg]
				if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
					clear(d)
					continue
				}
				copy(d, x[((n*g.h+iy)*g.w+ix)*g.c+coff:])
			}
		}
	}
}

// goConvC1 is the direct convolution of a single-channel NHWC input at
// stride 1 for output image rows [q0, q1) (q = n·oh + oy): y[(q·ow + ox)·outC + o]
// = b[o] + Σ_{ki,kj} w[o·k·k + ki·k + kj] · x[n, oy−pad+ki, ox−pad+kj], taps
// outside the image being zero. buf holds directScratch floats.
func goConvC1(x, w, b, y, buf []float32, g *window, outC, q0, q1 int) {
	k, pad, ow := g.kh, g.ph, g.ow
	pw := g.w + 2*pad
	row, acc := buf[:pw], buf[pw:pw+outC*ow]
	clear(row)
	for q := q0; q < q1; q++ {
		n, oy := q/g.oh, q%g.oh
		for o := range outC {
			a := acc[o*ow : (o+1)*ow]
			for j := range a {
				a[j] = b[o]
			}
		}
		for ki := range k {
			iy := oy - pad + ki
			if iy < 0 || iy >= g.h {
				continue
			}
			copy(row[pad:pad+g.w], x[(n*g.h+iy)*g.w:])
			for o := range outC {
				a := acc[o*ow : (o+1)*ow]
				for kj := range k {
					wv := w[(o*k+ki)*k+kj]
					r := row[kj : kj+ow]
					for j := range a {
						a[j] += wv * r[j]
					}
				}
			}
		}
		dst := y[q*ow*outC : (q+1)*ow*outC]
		for j := range ow {
			for o := range outC {
				dst[j*outC+o] = acc[o*ow+j]
			}
		}
	}
}

// goDwConv is the depthwise convolution of NHWC x (w [kh, kw, c]) for output
// image rows [q0, q1).
func goDwConv(x, w, b, y []float32, g *window, q0, q1 int) {
	c := g.c
	for q := q0; q < q1; q++ {
		n, oy := q/g.oh, q%g.oh
		for ox := 0; ox < g.ow; ox++ {
			d := y[(q*g.ow+ox)*c : (q*g.ow+ox+1)*c]
			for ch := range d {
				d[ch] = 0
				if b != nil {
					d[ch] = b[ch]
				}
			}
			for ki := 0; ki < g.kh; ki++ {
				iy := oy*g.sh - g.ph + ki*g.dh
				for kj := 0; kj < g.kw; kj++ {
					ix := ox*g.sw - g.pw + kj*g.dw
					if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
						continue
					}
					s := x[((n*g.h+iy)*g.w+ix)*c:]
					wk := w[(ki*g.kw+kj)*c:]
					for ch := range d {
						d[ch] += wk[ch] * s[ch]
					}
				}
			}
		}
	}
}

// goPoolRows is max or average pooling of NHWC x for output image rows [q0, q1) (see ik_pool).
func goPoolRows(x, y []float32, g *window, avg, countPad bool, q0, q1 int) {
	c := g.c
	for q := q0; q < q1; q++ {
		n, oy := q/g.oh, q%g.oh
		for ox := 0; ox < g.ow; ox++ {
			d := y[(q*g.ow+ox)*c : (q*g.ow+ox+1)*c]
			for ch := range d {
				d[ch] = float32(math.Inf(-1))
				if avg {
					d[ch] = 0
				}
			}
			count := 0
			for ki := 0; ki < g.kh; ki++ {
				iy := oy*g.sh - g.ph + ki*g.dh
				if iy < -g.ph || iy >= g.h+g.eh {
					continue
				}
				for kj := 0; kj < g.kw; kj++ {
					ix := ox*g.sw - g.pw + kj*g.dw
					if ix < -g.pw || ix >= g.w+g.ew {
						continue
					}
					inside := iy >= 0 && iy < g.h && ix >= 0 && ix < g.w
					if inside || countPad {
						count++
					}
					if !inside {
						continue
					}
					s := x[((n*g.h+iy)*g.w+ix)*c:]
					for ch := range d {
						if avg {
							d[ch] += s[ch]
						} else {
							d[ch] = max(d[ch], s[ch])
						}
					}
				}
			}
			if avg {
				inv := float32(0)
				if count > 0 {
					inv = 1 / float32(count)
				}
				for ch := range d {
					d[ch] *= inv
				}
			}
		}
	}
}

func goGlobalPoolNHWC(x, y []float32, hw, c, n0, n1 int, isMax bool) {
	for n := n0; n < n1; n++ {
		d := y[n*c : (n+1)*c]
		copy(d, x[n*hw*c:])
		for p := 1; p < hw; p++ {
			s := x[(n*hw+p)*c:]
			for ch := range d {
				if isMax {
					d[ch] = max(d[ch], s[ch])
				} else {
					d[ch] += s[ch]
				}
			}
		}
		if !isMax {
			for ch := range d {
				d[ch] /= float32(hw)
			}
		}
	}
}

func goBinaryRows(p *bcastPlan, y, a, b []float32, n, r0, r1 int) {
	d1, d2 := p.d[1], p.d[2]
	for r := r0; r < r1; r++ {
		i2, t := r%d2, r/d2
		i1, i0 := t%d1, t/d1
		ao := i0*p.sa[0] + i1*p.sa[1] + i2*p.sa[2]
		bo := i0*p.sb[0] + i1*p.sb[1] + i2*p.sb[2]
		yr := y[r*n : (r+1)*n]
		for j := range yr {
			u, v := a[ao+j*p.sa[3]], b[bo+j*p.sb[3]]
			switch p.op {
			case opAdd:
				yr[j] = u + v
			case opSub:
				yr[j] = u - v
			case opMul:
				yr[j] = u * v
			default:
				yr[j] = u / v
			}
		}
	}
}

func goAffineRows(y, x, s, t []float32, n, c int, cl bool, r0, r1 int) {
	for r := r0; r < r1; r++ {
		yr, xr := y[r*n:(r+1)*n], x[r*n:(r+1)*n]
		for j, v := range xr {
			ch := r % c
			if cl {
				ch = j
			}
			yr[j] = v*s[ch] + t[ch]
		}
	}
}
