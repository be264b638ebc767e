//go:build cgo

package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The implicit convolution equals im2col rows multiplied plainly, on odd
// shapes: 1, 3 and 17 rows, 1 to 16 outputs, strides, dilations, padding on
// one side or wider than the kernel, with bias, residual and activations.
func TestConvImplicit(t *testing.T) {
	if !implicitConv(cpuISA(), &window{kh: 1, kw: 1, c: 1}, 1) {
		t.Skip("no AVX-512 implicit kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for i, tc := range []struct {
		g     window
		m     int
		batch int
	}{
		{window{h: 1, w: 1, c: 3, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 8, 2},
		{window{h: 3, w: 5, c: 1, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 3, 1},
		{window{h: 32, w: 32, c: 3, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 16, 2},
		{window{h: 17, w: 17, c: 3, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 8, 2},
		{window{h: 17, w: 23, c: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 2, dh: 2, dw: 2, eh: 1, ew: 0}, 13, 1},
		{window{h: 9, w: 10, c: 2, kh: 5, kw: 5, sh: 1, sw: 3, ph: 4, pw: 4, dh: 1, dw: 1, eh: 4, ew: 4}, 1, 2},
		{window{h: 3, w: 19, c: 7, kh: 1, kw: 7, sh: 1, sw: 1, ph: 0, pw: 3, dh: 1, dw: 1, eh: 0, ew: 3}, 16, 3},
		{window{h: 14, w: 14, c: 6, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1}, 16, 2},
	} {
		g := tc.g
		g.oh = (g.h+g.ph+g.eh-(g.kh-1)*g.dh-1)/g.sh + 1
		g.ow = (g.w+g.pw+g.ew-(g.kw-1)*g.dw-1)/g.sw + 1
		kkc, rows := g.kh*g.kw*g.c, tc.batch*g.oh*g.ow
		x, w, b := randF(r, tc.batch*g.h*g.w*g.c, 1), randF(r, tc.m*kkc, 1), randF(r, tc.m, 1)
		res := randF(r, rows*tc.m, 1)
		wp := make([]float32, wideFloats(isaAVX512, tc.m, kkc))
		packWide(wp, isaAVX512, w, tc.m, kkc)
		col := make([]float32, rows*kkc)
		goIm2col(col, x, &g, 0, g.c, 0, rows)
		a := []act{{kind: actSwish}, {kind: actClip, p0: 0, p1: 6}, {}}[i%3]
		for _, bias := range [][]float32{b, nil} {
			for _, rr := range [][]float32{nil, res} {
				want := make([]float32, rows*tc.m)
				for p := range rows {
					for j := range tc.m {
						s := float64(0)
						if bias != nil {
							s = float64(bias[j])
						}
						for kk := range kkc {
							s += float64(col[p*kkc+kk]) * float64(w[j*kkc+kk])
						}
						if rr != nil {
							s += float64(rr[p*tc.m+j])
						}
						want[p*tc.m+j] = a.apply(float32(s))
					}
				}
				got := randF(r, rows*tc.m, 1)
				// Two calls, so a part boundary inside an output row is covered.
				convImplicit(x, &g, wp, bias, rr, got, tc.m, 0, rows/2+1, a)
				convImplicit(x, &g, wp, bias, rr, got, tc.m, rows/2+1, rows, a)
				if e := relErr(got, want); e > 1e-5 {
					t.Errorf("%+v m=%d bias=%v residual=%v %s: relative error %.3g", g, tc.m, bias != nil, rr != nil, a, e)
				}
			}
		}
	}
}

// BenchmarkConvImplicit times the first layers of mobilenet_tiny (3 → 8
// channels) and efficient_se (3 → 16), 3×3 at stride 2 over 32×32, batch
// 64, against im2col + the wide kernel, one thread.
func BenchmarkConvImplicit(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	g := window{h: 32, w: 32, c: 3, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1, oh: 16, ow: 16}
	if !implicitConv(cpuISA(), &g, 16) {
		b.Skip("no AVX-512 implicit kernel on this CPU or build")
	}
	const batch = 64
	kkc, rows := g.kh*g.kw*g.c, batch*g.oh*g.ow
	x := randF(r, batch*g.h*g.w*g.c, 1)
	col := make([]float32, rows*kkc)
	for _, m := range []int{8, 16} {
		w, bias, y := randF(r, m*kkc, 1), randF(r, m, 1), make([]float32, rows*m)
		wp := make([]float32, wideFloats(isaAVX512, m, kkc))
		packWide(wp, isaAVX512, w, m, kkc)
		flops := 2 * float64(rows*m*kkc)
		a := act{kind: actSwish}
		b.Run(fmt.Sprintf("3to%d-s2/implicit", m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				convImplicit(x, &g, wp, bias, nil, y, m, 0, rows, a)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("3to%d-s2/im2col-wide", m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				im2col(col, x, &g, 0, g.c, 0, rows)
				wideRows(isaAVX512, col, kkc, wp, bias, nil, y, m, rows, kkc, m, 0, 1, a)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
