//go:build cgo

package cpu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/internal/blas"
	"infertop/model"
	"infertop/presets"
)

// denseRef is y = act(x·Wᵀ + b + r) in float64, W [n, k].
func denseRef(x, w, b, r []float32, rows, k, n int, a act) []float32 {
	y := make([]float32, rows*n)
	for i := range rows {
		for j := range n {
			s := 0.0
			if b != nil {
				s += float64(b[j])
			}
			if r != nil {
				s += float64(r[i*n+j])
			}
			for kk := range k {
				s += float64(x[i*k+kk]) * float64(w[j*k+kk])
			}
			y[i*n+j] = float32(refAct(a, s))
		}
	}
	return y
}

// isas are the instruction sets the packed kernel runs with on this CPU:
// AVX2 and up to the best, or the baseline build alone.
func isas() []isa {
	best := cpuISA()
	if best < isaAVX2 {
		return []isa{best}
	}
	var s []isa
	for i := isaAVX2; i <= best; i++ {
		s = append(s, i)
	}
	return s
}

// The packed kernel agrees with a float64 reference on odd shapes (partial
// panels, partial tiles, rows in several tiles and several groups), with and
// without bias and residual, under every activation, in every instruction
// set this CPU runs, over the whole product and over a range of panels.
func TestDenseMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	acts := []act{{}, {kind: actReLU}, {kind: actGELU}, {kind: actGELUTanh}, {kind: actSigmoid}, {kind: actTanh},
		{kind: actClip, p0: -0.5, p1: 0.5}, {kind: actLeakyReLU, p0: 0.1}, {kind: actHardSigmoid, p0: 0.2, p1: 0.5},
		{kind: actHardSwish}}
	type shape struct{ rows, k, n int }
	var shapes []shape
	for _, rows := range []int{1, 2, 3, 7, 16, 17} {
		for _, k := range []int{1, 5, 784} {
			for _, n := range []int{1, 3, 17, 1023} {
				shapes = append(shapes, shape{rows, k, n})
			}
		}
	}
	// More rows than one group of x holds (denseGroup), and tiles of every size.
	shapes = append(shapes, shape{70, 3000, 33}, shape{41, 40, 16})
	for _, s := range isas() {
		for si, sh := range shapes {
			x, w := randF(r, sh.rows*sh.k, 1), randF(r, sh.n*sh.k, 0.1)
			b, res := randF(r, sh.n, 1), randF(r, sh.rows*sh.n, 1)
			wp := make([]float32, densePanels(sh.n)*denseLanes*sh.k)
			packDense(wp, w, sh.n, sh.k)
			group := denseGroup(sh.rows, sh.k)
			xbuf := make([]float32, group*sh.k)
			a := acts[si%len(acts)]
			for _, v := range []struct {
				name string
				b, r []float32
				a    act
			}{{"plain", nil, nil, act{}}, {"bias", b, nil, a}, {"bias+residual", b, res, a}, {"residual", nil, res, act{kind: actReLU}}} {
				want := denseRef(x, w, v.b, v.r, sh.rows, sh.k, sh.n, v.a)
				what := fmt.Sprintf("%s: %d×%d·%d, %s, %s", s, sh.rows, sh.k, sh.n, v.name, v.a)
				y := randF(r, sh.rows*sh.n, 1)
				denseRows(s, x, sh.k, wp, v.b, v.r, y, sh.n, sh.rows, sh.k, sh.n, 0, densePanels(sh.n), group, xbuf, v.a)
				if e := relErr(y, want); e > 1e-5 {
					t.Errorf("%s: relative error %.3g", what, e)
				}
				// The panels in two calls: the second leaves the first's columns alone.
				if p := densePanels(sh.n); p > 1 {
					y2 := append([]float32(nil), y...)
					mid := p / 2
					for i := range sh.rows {
						clear(y2[i*sh.n : i*sh.n+min(mid*denseLanes, sh.n)])
					}
					denseRows(s, x, sh.k, wp, v.b, v.r, y2, sh.n, sh.rows, sh.k, sh.n, 0, mid, group, xbuf, v.a)
					if e := relErr(y2, y); e != 0 {
						t.Errorf("%s, panels [0, %d) again: relative error %.3g to the whole", what, mid, e)
					}
				}
			}
		}
	}
}

// The packed kernel's instruction set is the CPU's best unless
// INFERTOP_CPU_ISA names a lesser one; more than the CPU runs, or a name
// it does not know, is refused with the accepted values.
func TestChooseISA(t *testing.T) {
	for _, c := range []struct {
		env     string
		best    isa
		want    isa
		wantErr string
	}{
		{"", isaAVX512, isaAVX512, ""},
		{"auto", isaAVX2, isaAVX2, ""},
		{"avx2", isaAVX512, isaAVX2, ""},
		{"avx2", isaBaseline, isaNone, "INFERTOP_CPU_ISA=avx2: this CPU runs at most baseline"},
		{"baseline", isaAVX2, isaNone, `INFERTOP_CPU_ISA="baseline": want auto, avx512 or avx2`},
		{"avx2", isaNone, isaNone, "INFERTOP_CPU_ISA=avx2: this build has no packed kernel (it needs cgo)"},
		{"avx512", isaAVX2, isaNone, "INFERTOP_CPU_ISA=avx512: this CPU runs at most avx2"},
		{"sse", isaAVX512, isaNone, `INFERTOP_CPU_ISA="sse": want auto, avx512 or avx2`},
	} {
		got, err := chooseISA(c.env, c.best)
		if got != c.want || (err == nil) != (c.wantErr == "") || (err != nil && err.Error() != c.wantErr) {
			t.Errorf("chooseISA(%q, %s) = %s, %v; want %s, %q", c.env, c.best, got, err, c.want, c.wantErr)
		}
	}
}

// The presets' products forced onto the packed way, in every instruction set
// this CPU runs (chosen by INFERTOP_CPU_ISA), on one thread and on two,
// compute what the reference kernels compute, name the way in the profile,
// and allocate nothing per run.
func TestPackedWayRunsThePresets(t *testing.T) {
	for _, s := range isas() {
		t.Setenv(engine.CPUISAEnv, s.String())
		for _, name := range []string{"mlp", "transformer"} {
			m, err := presets.BuildModel(name, presets.DefaultSeed)
			if err != nil {
				t.Fatal(err)
			}
			for _, threads := range []int{1, 2} {
				e := openT(t, m, threads, options{})
				if e.c.isa != s {
					t.Fatalf("%s=%s: the engine's packed kernel is %s", engine.CPUISAEnv, s, e.c.isa)
				}
				// Tune at batch 2, then force every product of batch 1 onto the
				// packed way, then the wide way: a batch prepared again takes
				// the ways in e.ways.
				for _, batch := range []int{1, 2} {
					if err := e.Prepare(batch); err != nil {
						t.Fatal(err)
					}
				}
				// A product tuned to another way keeps no packed copy of its weights.
				for _, st := range e.plan.steps {
					l, ok := st.k.(*linearKernel)
					if !ok {
						continue
					}
					own := map[gemmWay]int{wayPacked: densePanels(l.g.outF) * denseLanes * l.g.in, wayWide: wideFloats(l.g.wideISA, l.g.outF, l.g.in)}[l.g.way]
					if (l.g.way != wayPacked && l.g.packed != nil) || (l.g.way != wayWide && l.g.wide != nil) || l.g.packedFloats() != own {
						t.Errorf("%s, %s: %s took way %v and kept %d packed floats", name, s, st.name, l.g.way, l.g.packedFloats())
					}
				}
				for _, way := range []gemmWay{wayPacked, wayWide} {
					for k := range e.ways {
						e.ways[k] = way
					}
					for _, batch := range []int{2, 1} { // a batch prepared anew
						if err := e.Prepare(batch); err != nil {
							t.Fatal(err)
						}
					}
					in := inputsFor(e, 3)
					what := fmt.Sprintf("%s, %s, %d threads, way %d", name, s, threads, way)
					compareOut(t, what, runT(t, e, 1, in), evalRef(t, e.plan.g, in))
					forced := 0
					for i, st := range e.Steps() {
						l, ok := e.plan.steps[i].k.(*linearKernel)
						if !ok {
							continue
						}
						name, ws := "packed-", l.g.packed
						if way == wayWide {
							name, ws = "wide-", l.g.wide
						}
						if l.g.way != way || ws == nil {
							t.Errorf("%s: %s takes way %v (its weights packed: %v)", what, st.Name, l.g.way, ws != nil)
							continue
						}
						forced++
						if want := name + s.String() + ", "; !strings.HasPrefix(st.Way, want) || st.Threads > threads {
							t.Errorf("%s: %s: way %q on %d threads, want %q…", what, st.Name, st.Way, st.Threads, want)
						}
					}
					if forced == 0 {
						t.Errorf("%s: no product took the way", what)
					}
					_, sig := e.Signature()
					out := model.NewTensors(sig)
					if n := testing.AllocsPerRun(20, func() { e.Run(in, out) }); n != 0 {
						t.Errorf("%s: %v allocations per run", what, n)
					}
				}
			}
		}
	}
}

// BenchmarkDense times the packed kernel on one thread on the presets'
// product shapes (mlp's layers at a few rows, the transformer's feed-forward
// layers at one sequence), in every instruction set this CPU runs, next to
// the library's sgemm (and sgemv for one row) on the same operands. GB/s
// counts the weights read, the traffic that bounds a product of few rows.
func BenchmarkDense(b *testing.B) {
	lib, _ := blas.Load(blas.Options{})
	lib.SetThreads(1)
	r := rand.New(rand.NewPCG(1, 1))
	for _, sh := range []struct{ rows, k, n int }{
		{1, 784, 1024}, {8, 784, 1024}, {16, 784, 1024}, {64, 784, 1024},
		{1, 1024, 1024}, {8, 1024, 1024}, {16, 1024, 1024}, {64, 1024, 1024},
		{128, 256, 1024}, {128, 1024, 256}, {1024, 256, 1024}, {1024, 1024, 256}, {224, 288, 32}, {112, 576, 64},
	} {
		x, w, bias := randF(r, sh.rows*sh.k, 1), randF(r, sh.n*sh.k, 0.1), randF(r, sh.n, 1)
		y := make([]float32, sh.rows*sh.n)
		wp := make([]float32, densePanels(sh.n)*denseLanes*sh.k)
		packDense(wp, w, sh.n, sh.k)
		group := denseGroup(sh.rows, sh.k)
		xbuf := make([]float32, group*sh.k)
		report := func(b *testing.B) {
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(2*float64(sh.rows*sh.k*sh.n)/sec/1e9, "GFLOP/s")
			b.ReportMetric(4*float64(sh.k*sh.n)/sec/1e9, "GB/s")
		}
		shape := fmt.Sprintf("%dx%dx%d", sh.rows, sh.k, sh.n)
		for _, s := range isas() {
			b.Run(fmt.Sprintf("%s/packed-%s", shape, s), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					denseRows(s, x, sh.k, wp, bias, nil, y, sh.n, sh.rows, sh.k, sh.n, 0, densePanels(sh.n), group, xbuf, act{kind: actReLU})
				}
				report(b)
			})
		}
		for _, s := range isas() {
			wd := make([]float32, wideFloats(s, sh.n, sh.k))
			packWide(wd, s, w, sh.n, sh.k)
			b.Run(fmt.Sprintf("%s/wide-%s", shape, s), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					wideRows(s, x, sh.k, wd, bias, nil, y, sh.n, sh.rows, sh.k, sh.n, 0, widePanels(s, sh.n), act{kind: actReLU})
				}
				report(b)
			})
		}
		b.Run(shape+"/"+lib.Name(), func(b *testing.B) {
			b.ReportAllocs()
			g, gemv := lib.(blas.Gemver)
			for b.Loop() {
				fillRows(y, sh.rows, sh.n, sh.n, bias)
				if gemv && sh.rows == 1 {
					g.Sgemv(blas.NoTrans, sh.n, sh.k, 1, w, sh.k, x, 1, y)
				} else {
					lib.Sgemm(blas.NoTrans, blas.Trans, sh.rows, sh.n, sh.k, 1, x, sh.k, w, sh.k, 1, y, sh.n)
				}
				epilogueRows(isaNone, y, sh.rows, sh.n, sh.n, nil, act{kind: actReLU})
			}
			report(b)
		})
	}
}
