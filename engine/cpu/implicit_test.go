//go:build cgo

package cpu

import (
	"math/rand/v2"
	"testing"
)

// The implicit convolution equals im2col rows multiplied plainly, on odd
// shapes: 1, 3 and 17 rows, 1 to 130 outputs (one panel, several, a last one
// narrower), strides, dilations, padding on
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
		{window{h: 5, w: 7, c: 17, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 17, 2},
		{window{h: 6, w: 13, c: 9, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 33, 1},
		{window{h: 8, w: 8, c: 32, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 64, 2},
		{window{h: 4, w: 19, c: 3, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1}, 48, 1},
		{window{h: 5, w: 5, c: 4, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1}, 130, 2},
		{window{h: 7, w: 9, c: 5, kh: 2, kw: 4, sh: 2, sw: 1, ph: 0, pw: 0, dh: 1, dw: 2, eh: 1, ew: 3}, 80, 1},
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
				// Two calls, so a part boundary inside an output row is covered;
				// the scratch holds garbage, as a worker's does.
				pad := randF(r, implicitScratch(&g), 1)
				convImplicit(x, &g, wp, bias, rr, got, pad, tc.m, 0, rows/2+1, a)
				convImplicit(x, &g, wp, bias, rr, got, pad, tc.m, rows/2+1, rows, a)
				if e := relErr(got, want); e > 1e-5 {
					t.Errorf("%+v m=%d bias=%v residual=%v %s: relative error %.3g", g, tc.m, bias != nil, rr != nil, a, e)
				}
			}
		}
	}
}

// BenchmarkConvImplicit times, batch 64 on one thread, against im2col +
// the wide kernel: the first layers of mobilenet_tiny (3 → 8 channels) and
// efficient_se (3 → 16), 3×3 at stride 2 over 32×32, and resnet's layers
// (its stem, the 3×3 layers of both stages, its stride-2 layer).
func BenchmarkConvImplicit(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	same := func(h, c, s int) window {
		o := (h-1)/s + 1
		return window{h: h, w: h, c: c, kh: 3, kw: 3, sh: s, sw: s, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1, oh: o, ow: o}
	}
	if !implicitConv(cpuISA(), &window{kh: 3}, 16) {
		b.Skip("no AVX-512 implicit kernel on this CPU or build")
	}
	const batch = 64
	for _, tc := range []struct {
		name string
		g    window
		m    int
	}{
		{"3to8-s2", same(32, 3, 2), 8},
		{"3to16-s2", same(32, 3, 2), 16},
		{"resnet-stem", same(32, 3, 1), 32},
		{"resnet-32x32x32", same(32, 32, 1), 32},
		{"resnet-down", same(32, 32, 2), 64},
		{"resnet-16x16x64", same(16, 64, 1), 64},
	} {
		g, m := tc.g, tc.m
		kkc, rows := g.kh*g.kw*g.c, batch*g.oh*g.ow
		x := randF(r, batch*g.h*g.w*g.c, 1)
		col, pad := make([]float32, rows*kkc), make([]float32, implicitScratch(&g))
		w, bias, y := randF(r, m*kkc, 1), randF(r, m, 1), make([]float32, rows*m)
		wp := make([]float32, wideFloats(isaAVX512, m, kkc))
		packWide(wp, isaAVX512, w, m, kkc)
		flops := 2 * float64(rows*m*kkc)
		a := act{kind: actReLU}
		b.Run(tc.name+"/implicit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				convImplicit(x, &g, wp, bias, nil, y, pad, m, 0, rows, a)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		if tc.name == "resnet-32x32x32" {
			res := randF(r, rows*m, 1)
			b.Run(tc.name+"/implicit-residual", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					convImplicit(x, &g, wp, bias, res, y, pad, m, 0, rows, a)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		b.Run(tc.name+"/im2col-wide", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// In blocks of about convChunkFloats of im2col, as the engine builds them.
				block := max(16, convChunkFloats/kkc/8*8)
				for b0 := 0; b0 < rows; b0 += block {
					b1 := min(b0+block, rows)
					im2col(col, x, &g, 0, g.c, b0, b1)
					wideRows(isaAVX512, col, kkc, wp, bias, nil, y[b0*m:], m, b1-b0, kkc, m, 0, widePanels(isaAVX512, m), a)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
