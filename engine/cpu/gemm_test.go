package cpu

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"infertop/internal/blas"
	"infertop/presets"
)

// threadedLib is a BLAS whose threaded call can be slowed, refused, and counted.
type threadedLib struct {
	blas.Library
	slowWhole, slowSplit time.Duration
	refuse               bool
	whole, split         atomic.Int64 // calls (the split's come from several workers)
}

// Fallback is false: products by a fallback library are never threaded.
func (l *threadedLib) Fallback() bool { return false }

func (l *threadedLib) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	l.split.Add(1)
	time.Sleep(l.slowSplit)
	l.Library.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (l *threadedLib) SgemmThreads(_ int, tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if l.refuse {
		return false
	}
	l.whole.Add(1)
	time.Sleep(l.slowWhole)
	l.Library.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return true
}

// A product that can run three ways measures them over its first runs and
// keeps the quickest (here made quicker by 40 ms a call); every way computes
// the layer (bias, residual and GELU included); a library that refuses the
// threaded call leaves the two split ways.
func TestGemmChoosesTheQuickerWay(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	rows, in, out := 128, 128, 96
	x, w, b, res := randF(r, rows*in, 1), randF(r, out*in, 0.2), randF(r, out, 1), randF(r, rows*out, 1)
	want := make([]float32, rows*out)
	for i := range rows {
		for j := range out {
			s := float64(b[j]) + float64(res[i*out+j])
			for k := range in {
				s += float64(x[i*in+k]) * float64(w[j*in+k])
			}
			want[i*out+j] = float32(s)
		}
	}
	for i, v := range want {
		want[i] = float32(refAct(act{kind: actGELU}, float64(v)))
	}
	for _, tc := range []struct {
		name      string
		lib       *threadedLib
		wantWhole bool
	}{
		{"whole quicker", &threadedLib{Library: blas.NewGonum(), slowSplit: 40 * time.Millisecond}, true},
		{"split quicker", &threadedLib{Library: blas.NewGonum(), slowWhole: 40 * time.Millisecond}, false},
		{"threads refused", &threadedLib{Library: blas.NewGonum(), refuse: true}, false},
	} {
		c := &compute{pool: newPool(2), lib: tc.lib}
		o := newGemmOp(c, rows, in, out, act{kind: actGELU}, true)
		if len(o.ways) != 3 || o.tuned {
			t.Fatalf("%s: ways %v: the product should be able to run three ways", tc.name, o.ways)
		}
		run := func() {
			y := make([]float32, rows*out)
			o.x, o.w, o.b, o.r, o.y = x, w, b, res, y
			o.multiply()
			if e := relErr(y, want); e > 1e-5 {
				t.Errorf("%s, run %d (way %v): relative error %.3g", tc.name, o.runs, o.way, e)
			}
		}
		for n := 0; !o.tuned; n++ {
			if n == 3*gemmTuneMaxRounds+3 {
				t.Fatalf("%s: still tuning after %d runs", tc.name, n)
			}
			run()
		}
		if got := o.way == wayWhole; got != tc.wantWhole {
			t.Errorf("%s: chose way %v after %d tuning runs (best %v)", tc.name, o.way, o.runs, o.best)
		}
		whole, split := tc.lib.whole.Load(), tc.lib.split.Load()
		run()
		run()
		if tc.wantWhole && (tc.lib.whole.Load() != whole+2 || tc.lib.split.Load() != split) {
			t.Errorf("%s: the runs after the tuning do not all run whole", tc.name)
		}
		if !tc.wantWhole && tc.lib.whole.Load() != whole {
			t.Errorf("%s: the runs after the tuning still try the threaded call", tc.name)
		}
		if tc.lib.refuse && (o.threaded != nil || len(o.ways) != 2) {
			t.Errorf("%s: ways %v after the refusal", tc.name, o.ways)
		}
		c.pool.close()
	}
}

// The tuning's effort follows the product's run time: long products stop
// after gemmTuneLongRounds, short ones run gemmTuneRounds and on until
// gemmTuneTime, never past gemmTuneMaxRounds.
func TestGemmTuningEffort(t *testing.T) {
	for _, c := range []struct {
		name     string
		run      func(way int) time.Duration
		wantRuns int
	}{
		{"every way long", func(int) time.Duration { return 25 * time.Millisecond }, 3 * gemmTuneLongRounds},
		{"one way short", func(w int) time.Duration {
			return [3]time.Duration{25 * time.Millisecond, 5 * time.Millisecond, 30 * time.Millisecond}[w]
		}, 3 * gemmTuneRounds},
		{"1 ms each", func(int) time.Duration { return time.Millisecond }, 30},
		{"10 µs each", func(int) time.Duration { return 10 * time.Microsecond }, 3 * gemmTuneMaxRounds},
	} {
		o := &gemmOp{ways: []gemmWay{waySplit, wayCoarse, wayWhole}, best: make([]time.Duration, 3)}
		for !o.tuned && o.runs < 1000 {
			o.measured(o.runs%3, c.run(o.runs%3))
		}
		if o.runs != c.wantRuns {
			t.Errorf("%s: tuned after %d runs, want %d", c.name, o.runs, c.wantRuns)
		}
	}
}

// A batch size prepared again takes the ways its products were tuned to
// before, without tuning runs, and so computes the same output bits.
func TestPrepareAgainReusesTheTunedWays(t *testing.T) {
	m, err := presets.BuildModel("mlp", presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	e := openT(t, m, 2, options{})
	products := func() (ways []gemmWay, runs int) {
		for _, st := range e.plan.steps {
			if l, ok := st.k.(*linearKernel); ok && l.g.tuned {
				ways, runs = append(ways, l.g.way), runs+l.g.runs
			}
		}
		return ways, runs
	}
	if err := e.Prepare(64); err != nil {
		t.Fatal(err)
	}
	first, runs := products()
	if len(first) != 3 || runs == 0 {
		t.Fatalf("mlp at batch 64 on 2 threads: %d products tuned in %d runs, want 3 products and some runs", len(first), runs)
	}
	if err := e.Prepare(32); err != nil {
		t.Fatal(err)
	}
	if err := e.Prepare(64); err != nil {
		t.Fatal(err)
	}
	again, runs := products()
	if !slices.Equal(again, first) || runs != 0 {
		t.Errorf("prepared again: ways %v after %d tuning runs, want %v after none", again, runs, first)
	}
}
