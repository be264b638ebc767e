//go:build cgo

package cpu

import (
	"math/rand/v2"
	"testing"
)

// The C kernels agree with the Go ones (which the graph tests hold to the
// reference kernels), on odd sizes that leave partial vectors.
func TestCKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(what string, got, want []float32, tol float64) {
		t.Helper()
		if e := relErr(got, want); e > tol {
			t.Errorf("%s: relative error %.3g", what, e)
		}
	}
	acts := []act{{}, {kind: actReLU}, {kind: actGELU}, {kind: actGELUTanh}, {kind: actSigmoid}, {kind: actTanh},
		{kind: actClip, p0: -0.5, p1: 2}, {kind: actLeakyReLU, p0: 0.1}, {kind: actHardSigmoid, p0: 0.2, p1: 0.5}, {kind: actHardSwish}, {kind: actSwish}}
	// Every build of the activations: the generic one and each instruction set's.
	sets := append([]isa{isaNone}, isas()...)
	for _, n := range []int{1, 7, 8, 15, 16, 17, 33, 1000} {
		for _, a := range acts {
			for _, s := range sets {
				for _, withRes := range []bool{false, true} {
					rows, ld := 3, n+2
					y := randF(r, rows*ld, 6)
					var res []float32
					if withRes {
						res = randF(r, rows*ld, 1)
					}
					yc, yg := append([]float32(nil), y...), append([]float32(nil), y...)
					epilogueRows(s, yc, rows, n, ld, res, a)
					goActRows(yg, ld, yg, ld, res, ld, rows, n, a)
					check("epilogue "+a.String()+" "+s.String(), yc, yg, 1e-6)
				}
			}
		}
		s := randF(r, 2*n, 30)
		sc, sg := append([]float32(nil), s...), append([]float32(nil), s...)
		softmaxRows(sc, 2, n, n)
		goSoftmaxRows(sg, 2, n, n)
		check("softmax", sc, sg, 1e-6)

		x, g, b := randF(r, 4*n, 3), randF(r, n, 1), randF(r, n, 1)
		for _, bias := range [][]float32{b, nil} {
			yc, yg := make([]float32, 4*n), make([]float32, 4*n)
			layerNormRows(x, yc, 4, n, g, bias, 1e-5)
			goLayerNormRows(x, yg, 4, n, g, bias, 1e-5)
			if n > 1 {
				check("layernorm", yc, yg, 1e-5)
			}
		}
		for _, isMax := range []bool{false, true} {
			yc, yg := make([]float32, 4), make([]float32, 4)
			reduceRows(x, yc, n, 1, 4, isMax)
			goReduceRows(x, yg, n, 1, 4, isMax)
			check("reduce rows", yc, yg, 1e-6)
		}
	}
	// The activations over a wide range, against float64.
	x := make([]float32, 20000)
	for i := range x {
		x[i] = float32(i-10000) * 0.002
	}
	for _, a := range acts {
		want := make([]float32, len(x))
		for i, v := range x {
			want[i] = float32(refAct(a, float64(v)))
		}
		for _, s := range sets {
			got := append([]float32(nil), x...)
			epilogueRows(s, got, 1, len(got), len(got), nil, a)
			check("activation "+a.String()+" "+s.String()+" against float64", got, want, 1e-6)
		}
	}

	// Exp at the extremes: huge negative arguments give (almost) zero, never NaN.
	s := []float32{0, -200, -1000, -87.5, 10}
	softmaxRows(s, 1, len(s), len(s))
	if s[4] < 0.9999 || s[1] > 1e-30 || s[2] > 1e-30 {
		t.Errorf("softmax of extremes %v", s)
	}
	for _, g := range []window{
		{h: 7, w: 9, c: 3, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, eh: 1, ew: 1},
		{h: 8, w: 8, c: 1, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1},
		{h: 9, w: 10, c: 40, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0, dh: 1, dw: 2, eh: 0, ew: 1},
		{h: 5, w: 5, c: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 3, pw: 3, dh: 1, dw: 1, eh: 3, ew: 3},
		{h: 6, w: 11, c: 5, kh: 2, kw: 4, sh: 2, sw: 3, ph: 0, pw: 2, dh: 2, dw: 1, eh: 1, ew: 2},
	} {
		g.oh = (g.h+g.ph+g.eh-(g.kh-1)*g.dh-1)/g.sh + 1
		g.ow = (g.w+g.pw+g.ew-(g.kw-1)*g.dw-1)/g.sw + 1
		x := randF(r, 2*g.h*g.w*g.c, 1)
		rows := 2 * g.oh * g.ow
		for _, grp := range [][2]int{{0, g.c}, {g.c / 2, g.c - g.c/2}} {
			kkc := g.kh * g.kw * grp[1]
			cc, cg := randF(r, rows*kkc, 9), randF(r, rows*kkc, 9)
			im2col(cc[:(rows-3)*kkc], x, &g, grp[0], grp[1], 3, rows)
			goIm2col(cg[:(rows-3)*kkc], x, &g, grp[0], grp[1], 3, rows)
			check("im2col", cc[:(rows-3)*kkc], cg[:(rows-3)*kkc], 0)
		}
		for _, avg := range []bool{false, true} {
			for _, countPad := range []bool{false, true} {
				pc, pg := make([]float32, rows*g.c), make([]float32, rows*g.c)
				poolRows(x, pc, &g, avg, countPad, 1, 2*g.oh)
				goPoolRows(x, pg, &g, avg, countPad, 1, 2*g.oh)
				check("pool", pc, pg, 1e-6)
			}
		}
		w, b := randF(r, g.kh*g.kw*g.c, 1), randF(r, g.c, 1)
		wr := make([]float32, g.kh*g.kw*g.ow*g.c)
		for t := 0; t < g.kh*g.kw; t++ {
			for ox := 0; ox < g.ow; ox++ {
				copy(wr[(t*g.ow+ox)*g.c:], w[t*g.c:(t+1)*g.c])
			}
		}
		for _, bias := range [][]float32{b, nil} {
			for _, rep := range [][]float32{nil, wr} {
				dc, dg := make([]float32, rows*g.c), make([]float32, rows*g.c)
				dwConv(x, w, rep, bias, dc, &g, 1, 2*g.oh)
				goDwConv(x, w, bias, dg, &g, 1, 2*g.oh)
				check("depthwise", dc, dg, 1e-6)
			}
		}
		for _, isMax := range []bool{false, true} {
			yc, yg := make([]float32, 2*g.c), make([]float32, 2*g.c)
			globalPoolNHWC(x, yc, g.h*g.w, g.c, 0, 2, isMax)
			goGlobalPoolNHWC(x, yg, g.h*g.w, g.c, 0, 2, isMax)
			check("global pool", yc, yg, 1e-6)
		}
	}
	for _, shapes := range [][3][]int{
		{{2, 3, 5, 7}, {2, 3, 5, 7}, {2, 3, 5, 7}},
		{{2, 3, 5, 7}, {2, 3, 5, 7}, {1, 1, 1, 1}},
		{{2, 3, 5, 7}, {1, 3, 1, 1}, {2, 3, 5, 7}},
		{{2, 3, 5, 7}, {2, 3, 5, 7}, {1, 1, 1, 7}},
		{{2, 3, 5, 7}, {2, 1, 5, 1}, {1, 3, 1, 7}},
		{{3, 4, 9}, {3, 1, 9}, {1, 4, 9}},
	} {
		for op := opAdd; op <= opDiv; op++ {
			p, ok := newBcastPlan(op, shapes[0], padShape(shapes[1], len(shapes[0])), padShape(shapes[2], len(shapes[0])))
			if !ok {
				t.Fatalf("%v: no plan", shapes)
			}
			n := 1
			for _, d := range shapes[0] {
				n *= d
			}
			a, b := randF(r, n, 2), randF(r, n, 2)
			yc, yg := make([]float32, n), make([]float32, n)
			rows := p.d[0] * p.d[1] * p.d[2]
			binaryRows(&p, yc, a, b, p.d[3], 0, rows)
			goBinaryRows(&p, yg, a, b, p.d[3], 0, rows)
			check("binary", yc, yg, 1e-6)
		}
	}
	for _, cl := range []bool{false, true} {
		x, s, sh := randF(r, 6*11, 2), randF(r, 11, 1), randF(r, 11, 1)
		yc, yg := make([]float32, len(x)), make([]float32, len(x))
		n, c := 11, 11
		if !cl {
			n, c = 11, 3
		}
		affineRows(yc, x, s, sh, n, c, cl, 0, 6)
		goAffineRows(yg, x, s, sh, n, c, cl, 0, 6)
		check("affine", yc, yg, 1e-6)
	}
}

// BenchmarkActivations times the epilogue of each transcendental activation
// over 256 rows of 64 values in place, with each build that runs here.
func BenchmarkActivations(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const rows, n = 256, 64
	y := randF(r, rows*n, 4)
	for _, a := range []act{{kind: actSigmoid}, {kind: actSwish}, {kind: actTanh}, {kind: actGELU}} {
		for _, s := range append([]isa{isaNone}, isas()...) {
			b.Run(a.String()+"/"+s.String(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					epilogueRows(s, y, rows, n, n, nil, a)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*n), "ns/value")
			})
		}
	}
}
