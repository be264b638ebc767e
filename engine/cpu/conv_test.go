package cpu

import (
	"math/rand/v2"
	"testing"
)

// The direct single-channel convolution, in C and in Go, equals the im2col
// route computed plainly: every tap of every output pixel, image borders
// included, for kernels, paddings and sizes on both sides of the row width.
func TestConvC1MatchesIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ h, w, k, pad, outC, batch int }{
		{28, 28, 5, 2, 6, 3},
		{32, 32, 5, 0, 6, 2},
		{7, 9, 3, 1, 4, 2},
		{5, 5, 3, 3, 1, 1},
		{6, 17, 7, 3, 64, 2},
		{1, 1, 1, 0, 2, 4},
	} {
		g := window{h: tc.h, w: tc.w, c: 1, kh: tc.k, kw: tc.k, sh: 1, sw: 1, dh: 1, dw: 1,
			ph: tc.pad, pw: tc.pad, eh: tc.pad, ew: tc.pad}
		g.oh, g.ow = g.h+2*tc.pad-tc.k+1, g.w+2*tc.pad-tc.k+1
		kkc := tc.k * tc.k
		if !directConv(&g, tc.outC) {
			t.Fatalf("%+v: not a direct convolution", tc)
		}
		x, w, b := randF(r, tc.batch*g.h*g.w, 1), randF(r, tc.outC*kkc, 1), randF(r, tc.outC, 1)
		rows := tc.batch * g.oh * g.ow
		col := make([]float32, rows*kkc)
		goIm2col(col, x, &g, 0, 1, 0, rows)
		want := make([]float32, rows*tc.outC)
		for p := range rows {
			for o := range tc.outC {
				s := float64(b[o])
				for i := range kkc {
					s += float64(col[p*kkc+i]) * float64(w[o*kkc+i])
				}
				want[p*tc.outC+o] = float32(s)
			}
		}
		units := tc.batch * g.oh
		wantReLU := make([]float32, len(want))
		for i, v := range want {
			wantReLU[i] = max(v, 0)
		}
		goNoReLU := func(x, w, b, y, buf []float32, g *window, outC, q0, q1 int, relu bool) {
			if relu {
				t.Fatal("the Go kernel has no ReLU")
			}
			goConvC1(x, w, b, y, buf, g, outC, q0, q1)
		}
		generic := func(x, w, b, y, buf []float32, g *window, outC, q0, q1 int, relu bool) {
			convC1(isaNone, x, w, b, y, buf, g, outC, q0, q1, relu)
		}
		for name, f := range map[string]func(x, w, b, y, buf []float32, g *window, outC, q0, q1 int, relu bool){"engine": generic, "Go": goNoReLU} {
			for _, relu := range []bool{false, true} {
				if relu && name == "Go" {
					continue
				}
				got := make([]float32, rows*tc.outC)
				for i := range got {
					got[i] = 99
				}
				buf := randF(r, directScratch(&g, tc.outC), 1)
				// Two calls, so a chunk boundary and a dirty buffer are covered.
				f(x, w, b, got, buf, &g, tc.outC, 0, units/2, relu)
				f(x, w, b, got, buf, &g, tc.outC, units/2, units, relu)
				ref := want
				if relu {
					ref = wantReLU
				}
				if e := relErr(got, ref); e > 1e-5 {
					t.Errorf("%s relu=%v %+v: relative error %.3g", name, relu, tc, e)
				}
			}
		}
	}
}
