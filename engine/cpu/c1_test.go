//go:build cgo

package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The direct single-channel convolution of each instruction set this CPU
// runs agrees with the Go kernel on odd shapes: 1, 3 and 17 rows, row
// widths on both sides of a vector and of a two-vector tile, and output
// channel counts around a tile's group (6 or 8).
func TestConvC1ISA(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ h, w, k, pad, outC, batch int }{
		{1, 1, 1, 0, 1, 3},
		{3, 3, 3, 1, 3, 2},
		{17, 17, 5, 2, 6, 2},
		{28, 28, 5, 2, 6, 3},
		{3, 33, 3, 1, 9, 2},
		{17, 40, 7, 3, 17, 1},
		{6, 15, 5, 0, 64, 2},
	} {
		g := window{h: tc.h, w: tc.w, c: 1, kh: tc.k, kw: tc.k, sh: 1, sw: 1, dh: 1, dw: 1,
			ph: tc.pad, pw: tc.pad, eh: tc.pad, ew: tc.pad}
		g.oh, g.ow = g.h+2*tc.pad-tc.k+1, g.w+2*tc.pad-tc.k+1
		x, w, b := randF(r, tc.batch*g.h*g.w, 1), randF(r, tc.outC*tc.k*tc.k, 1), randF(r, tc.outC, 1)
		units, out := tc.batch*g.oh, tc.batch*g.oh*g.ow*tc.outC
		want := make([]float32, out)
		goConvC1(x, w, b, want, make([]float32, directScratch(&g, tc.outC)), &g, tc.outC, 0, units)
		for _, s := range isas() {
			for _, relu := range []bool{false, true} {
				got := make([]float32, out)
				buf := randF(r, directScratch(&g, tc.outC), 1)
				// Two calls, so a chunk boundary and a dirty buffer are covered.
				convC1(s, x, w, b, got, buf, &g, tc.outC, 0, units/2, relu)
				convC1(s, x, w, b, got, buf, &g, tc.outC, units/2, units, relu)
				ref := want
				if relu {
					ref = make([]float32, out)
					for i, v := range want {
						ref[i] = max(v, 0)
					}
				}
				if e := relErr(got, ref); e > 1e-5 {
					t.Errorf("%s relu=%v %+v: relative error %.3g", s, relu, tc, e)
				}
			}
		}
	}
}

// BenchmarkConvC1 times lenet5's first layer (1 → 6 channels, 5×5, 28×28
// padded by 2) at batch 64 on one thread, with each kernel that runs here.
func BenchmarkConvC1(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	g := window{h: 28, w: 28, c: 1, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1, ph: 2, pw: 2, eh: 2, ew: 2, oh: 28, ow: 28}
	const batch, outC = 64, 6
	x, w, bias := randF(r, batch*g.h*g.w, 1), randF(r, outC*25, 1), randF(r, outC, 1)
	y, buf := make([]float32, batch*g.oh*g.ow*outC), make([]float32, directScratch(&g, outC))
	flops := 2 * float64(len(y)*25)
	for _, s := range append([]isa{isaNone}, isas()...) {
		b.Run(fmt.Sprintf("28x28x%d-k5/%s", outC, s), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				convC1(s, x, w, bias, y, buf, &g, outC, 0, batch*g.oh, true)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
