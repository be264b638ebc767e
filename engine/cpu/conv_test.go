package cpu

import (
	"math/rand/v2"
	"testing"

	"infertop/engine/reference"
)

// The direct single-channel convolution, in C and in Go, equals the im2col
// route computed plainly: every tap of every output pixel, image borders
// included, for kernels, paddings and sizes on both sides of the row width.
func TestConvC1MatchesIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 2*r.Float32() - 1
		}
		return s
	}
	for _, tc := range []struct{ h, w, k, pad, outC, batch int }{
		{28, 28, 5, 2, 6, 3},
		{32, 32, 5, 0, 6, 2},
		{7, 9, 3, 1, 4, 2},
		{5, 5, 3, 3, 1, 1},
		{6, 17, 7, 3, 64, 2},
		{1, 1, 1, 0, 2, 4},
	} {
		g := convGeom{h: tc.h, w: tc.w, c: 1, k: tc.k, stride: 1, pad: tc.pad}
		g.oh, g.ow, g.kkc = reference.ConvOut(g.h, g.k, 1, g.pad), reference.ConvOut(g.w, g.k, 1, g.pad), g.k*g.k
		if !directConv(&g, tc.outC) {
			t.Fatalf("%+v: not a direct convolution", tc)
		}
		x, w, b := rnd(tc.batch*g.h*g.w), rnd(tc.outC*g.kkc), rnd(tc.outC)
		rows := tc.batch * g.oh * g.ow
		col := make([]float32, rows*g.kkc)
		im2colNHWC(col, x, &g, 0, rows)
		want := make([]float32, rows*tc.outC)
		for p := range rows {
			for o := range tc.outC {
				s := float64(b[o])
				for i := range g.kkc {
					s += float64(col[p*g.kkc+i]) * float64(w[o*g.kkc+i])
				}
				want[p*tc.outC+o] = float32(s)
			}
		}
		units := tc.batch * g.oh
		wantReLU := make([]float32, len(want))
		for i, v := range want {
			wantReLU[i] = max(v, 0)
		}
		goNoReLU := func(x, w, b, y, buf []float32, g *convGeom, outC, q0, q1 int, relu bool) {
			if relu {
				t.Fatal("the Go kernel has no ReLU")
			}
			goConvC1(x, w, b, y, buf, g, outC, q0, q1)
		}
		for name, f := range map[string]func(x, w, b, y, buf []float32, g *convGeom, outC, q0, q1 int, relu bool){"cgo": convC1, "Go": goNoReLU} {
			for _, relu := range []bool{false, true} {
				if relu && name == "Go" {
					continue
				}
				got := make([]float32, rows*tc.outC)
				for i := range got {
					got[i] = 99
				}
				buf := rnd(directScratch(&g, tc.outC))
				// Two calls, so a chunk boundary and a dirty buffer are covered.
				f(x, w, b, got, buf, &g, tc.outC, 0, units/2, relu)
				f(x, w, b, got, buf, &g, tc.outC, units/2, units, relu)
				ref := want
				if relu {
					ref = wantReLU
				}
				if e := reference.RelErr(got, ref); e > 1e-5 {
					t.Errorf("%s relu=%v %+v: relative error %.3g", name, relu, tc, e)
				}
			}
		}
	}
}
