//go:build cgo

package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// dwShapes are depthwise windows on odd shapes: 1, 3 and 17 rows, channel
// counts below, at and past a vector (8 or 16 lanes), strides, dilations,
// asymmetric padding and padding wider than the kernel's reach.
var dwShapes = []window{
	{h: 1, w: 1, c: 1, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
	{h: 3, w: 5, c: 3, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
	{h: 17, w: 17, c: 17, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
	{h: 17, w: 19, c: 24, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
	{h: 16, w: 16, c: 64, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
	{h: 9, w: 23, c: 33, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2, dh: 1, dw: 1, eh: 2, ew: 2},
	{h: 3, w: 30, c: 8, kh: 1, kw: 7, sh: 1, sw: 1, ph: 0, pw: 3, dh: 1, dw: 1, eh: 0, ew: 3},
	{h: 9, w: 10, c: 40, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0, dh: 1, dw: 2, eh: 0, ew: 1},
	{h: 5, w: 5, c: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 3, pw: 3, dh: 1, dw: 1, eh: 3, ew: 3},
	{h: 6, w: 11, c: 5, kh: 2, kw: 4, sh: 2, sw: 3, ph: 0, pw: 2, dh: 2, dw: 1, eh: 1, ew: 2},
}

func dwOut(g window) window {
	g.oh = (g.h+g.ph+g.eh-(g.kh-1)*g.dh-1)/g.sh + 1
	g.ow = (g.w+g.pw+g.ew-(g.kw-1)*g.dw-1)/g.sw + 1
	return g
}

// The depthwise kernel with its epilogue agrees with the Go kernels for
// every instruction set this CPU runs, with and without bias and residual.
func TestDwConvAct(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	acts := []act{{}, {kind: actSwish}, {kind: actClip, p0: 0, p1: 6}, {kind: actReLU}}
	for _, g := range dwShapes {
		g = dwOut(g)
		x := randF(r, 2*g.h*g.w*g.c, 1)
		w, b := randF(r, g.kh*g.kw*g.c, 1), randF(r, g.c, 1)
		rows := 2 * g.oh * g.ow
		res := randF(r, rows*g.c, 1)
		for _, s := range append([]isa{isaBaseline}, isas()...) {
			for i, a := range acts {
				bias, rr := b, res
				if i%2 == 1 {
					bias = nil
				}
				if i >= 2 {
					rr = nil
				}
				// Output rows [1, 2·oh): the first is left as it was.
				dc, dg := randF(r, rows*g.c, 1), make([]float32, rows*g.c)
				copy(dg, dc)
				dwConvAct(s, x, w, bias, rr, dc, &g, 1, 2*g.oh, a)
				goDwConv(x, w, bias, dg, &g, 1, 2*g.oh)
				m := g.ow * g.c
				var rs []float32
				if rr != nil {
					rs = rr[m:]
				}
				goActRows(dg[m:], g.c, dg[m:], g.c, rs, g.c, rows-g.ow, g.c, a)
				if e := relErr(dc, dg); e > 1e-6 {
					t.Errorf("%+v %s %s: relative error %.3g", g, s, a, e)
				}
			}
		}
	}
}

// BenchmarkDwConv times the depthwise kernel with SiLU on the 3×3 layers of
// efficient_se (64 channels) and mobilenet_tiny (48), batch 64, one thread.
func BenchmarkDwConv(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range []window{
		{h: 16, w: 16, c: 64, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
		{h: 8, w: 8, c: 48, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
		{h: 16, w: 16, c: 24, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
	} {
		g = dwOut(g)
		const batch = 64
		x := randF(r, batch*g.h*g.w*g.c, 1)
		w, bias := randF(r, g.kh*g.kw*g.c, 1), randF(r, g.c, 1)
		y := make([]float32, batch*g.oh*g.ow*g.c)
		flops := 2 * float64(len(y)*g.kh*g.kw)
		for _, s := range append([]isa{isaBaseline}, isas()...) {
			b.Run(fmt.Sprintf("%dx%dx%d-s%d/%s", g.h, g.w, g.c, g.sw, s), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					dwConvAct(s, x, w, bias, nil, y, &g, 0, batch*g.oh, act{kind: actSwish})
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
