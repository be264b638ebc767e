//go:build cgo

package cpu

import (
	"math/rand/v2"
	"testing"

	"infertop/engine/reference"
)

// The C kernels agree with the Go ones (which the layer tests hold to the reference).
func TestCKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(what string, got, want []float32, tol float64) {
		t.Helper()
		if e := reference.RelErr(got, want); e > tol {
			t.Errorf("%s: relative error %.3g", what, e)
		}
	}
	for _, n := range []int{1, 7, 8, 33, 1000} {
		for _, a := range []act{actNone, actReLU, actGELU} {
			for _, withRes := range []bool{false, true} {
				rows, ld := 3, n+2
				y := randF(r, rows*ld, 6)
				var res []float32
				if withRes {
					res = randF(r, rows*ld, 1)
				}
				yc, yg := append([]float32(nil), y...), append([]float32(nil), y...)
				epilogueRows(yc, rows, n, ld, res, a)
				goEpilogueRows(yg, rows, n, ld, res, a)
				check("epilogue "+a.String(), yc, yg, 1e-6)
			}
		}
		s := randF(r, 2*n, 30)
		sc, sg := append([]float32(nil), s...), append([]float32(nil), s...)
		softmaxRows(sc, 2, n, n)
		goSoftmaxRows(sg, 2, n, n)
		check("softmax", sc, sg, 1e-6)
		sc = randF(r, 2*n, 1)
		sw := reference.Softmax(sc, 2, n)
		softmaxRows(sc, 2, n, n)
		check("softmax vs reference", sc, sw, 1e-6)

		x, g, b := randF(r, 4*n, 3), randF(r, n, 1), randF(r, n, 1)
		yc, yg := make([]float32, 4*n), make([]float32, 4*n)
		layerNormRows(x, yc, 4, n, g, b)
		goLayerNormRows(x, yg, 4, n, g, b)
		if n > 1 {
			check("layernorm", yc, yg, 1e-5)
		}
	}
	// GELU over a wide range, against the float64 reference.
	x := make([]float32, 20000)
	for i := range x {
		x[i] = float32(i-10000) * 0.002
	}
	want := reference.GELU(x)
	epilogueRows(x, 1, len(x), len(x), nil, actGELU)
	check("gelu", x, want, 1e-6)

	// Exp at the extremes: huge negative arguments give (almost) zero, never NaN.
	s := []float32{0, -200, -1000, -87.5, 10}
	softmaxRows(s, 1, len(s), len(s))
	if s[4] < 0.9999 || s[1] > 1e-30 || s[2] > 1e-30 {
		t.Errorf("softmax of extremes %v", s)
	}
	for _, g := range []convGeom{
		{h: 7, w: 9, c: 3, k: 3, stride: 1, pad: 1},
		{h: 8, w: 8, c: 1, k: 5, stride: 1, pad: 0},
		{h: 9, w: 10, c: 40, k: 3, stride: 2, pad: 1},
		{h: 5, w: 5, c: 2, k: 3, stride: 1, pad: 3},
	} {
		g.oh, g.ow, g.kkc = reference.ConvOut(g.h, g.k, g.stride, g.pad), reference.ConvOut(g.w, g.k, g.stride, g.pad), g.k*g.k*g.c
		x := randF(r, 2*g.h*g.w*g.c, 1)
		rows := 2 * g.oh * g.ow
		cc, cg := randF(r, rows*g.kkc, 9), randF(r, rows*g.kkc, 9)
		im2col(cc[:(rows-3)*g.kkc], x, &g, 3, rows)
		im2colNHWC(cg[:(rows-3)*g.kkc], x, &g, 3, rows)
		check("im2col", cc[:(rows-3)*g.kkc], cg[:(rows-3)*g.kkc], 0)

		if g.h >= 2 && g.w >= 2 {
			oh, ow := g.h/2, g.w/2
			pc, pg := make([]float32, 2*oh*ow*g.c), make([]float32, 2*oh*ow*g.c)
			maxPoolRows(x, pc, g.h, g.w, g.c, oh, ow, 1, 2*oh)
			goMaxPoolRows(x, pg, g.h, g.w, g.c, oh, ow, 1, 2*oh)
			check("maxpool", pc, pg, 0)
		}
	}
}
