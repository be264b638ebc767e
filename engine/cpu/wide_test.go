//go:build cgo

package cpu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/presets"
)

// The wide kernel agrees with a float64 reference on odd shapes: feature
// counts that fill one to four vectors of a panel or leave a partial last
// panel, row counts of every tile size, rows read in place from a wider
// matrix (ldx > k) into a wider one (ldy > n), with and without bias and
// residual, under every activation, in every instruction set this CPU runs,
// its panels computed in two calls.
func TestWideMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	acts := []act{{}, {kind: actReLU}, {kind: actGELU}, {kind: actSigmoid}, {kind: actClip, p0: -0.5, p1: 0.5},
		{kind: actLeakyReLU, p0: 0.1}, {kind: actHardSwish}, {kind: actSwish}}
	type shape struct{ rows, k, n int }
	var shapes []shape
	for _, rows := range []int{1, 3, 6, 7, 13, 17, 1023} {
		for _, k := range []int{1, 5, 288} {
			for _, n := range []int{1, 3, 16, 17, 32, 48, 64, 65, 100, 130} {
				if rows < 1000 || (k == 288 && n%32 == 0) {
					shapes = append(shapes, shape{rows, k, n})
				}
			}
		}
	}
	for _, s := range isas() {
		for si, sh := range shapes {
			ldx, ldy := sh.k+3, sh.n+5
			x, w := randF(r, sh.rows*ldx, 1), randF(r, sh.n*sh.k, 0.1)
			b, res := randF(r, sh.n, 1), randF(r, sh.rows*ldy, 1)
			wp := make([]float32, wideFloats(s, sh.n, sh.k))
			packWide(wp, s, w, sh.n, sh.k)
			a := acts[si%len(acts)]
			for _, v := range []struct {
				name string
				b, r []float32
				a    act
			}{{"plain", nil, nil, act{}}, {"bias", b, nil, a}, {"bias+residual", b, res, a}} {
				xs, rs := make([]float32, sh.rows*sh.k), []float32(nil)
				for i := range sh.rows {
					copy(xs[i*sh.k:], x[i*ldx:i*ldx+sh.k])
				}
				if v.r != nil {
					rs = make([]float32, sh.rows*sh.n)
					for i := range sh.rows {
						copy(rs[i*sh.n:], v.r[i*ldy:i*ldy+sh.n])
					}
				}
				want := denseRef(xs, w, v.b, rs, sh.rows, sh.k, sh.n, v.a)
				what := fmt.Sprintf("%s: %d×%d·%d, %s, %s", s, sh.rows, sh.k, sh.n, v.name, v.a)
				y := randF(r, sh.rows*ldy, 1)
				pad := append([]float32(nil), y...)
				// The panels in two calls, the second from the middle on.
				mid := widePanels(s, sh.n) / 2
				wideRows(s, x, ldx, wp, v.b, v.r, y, ldy, sh.rows, sh.k, sh.n, 0, mid, v.a)
				for i := range sh.rows {
					for j := mid * wideWidth(s, sh.n); j < sh.n; j++ {
						if y[i*ldy+j] != pad[i*ldy+j] {
							t.Fatalf("%s: panels [0, %d) wrote column %d of row %d", what, mid, j, i)
						}
					}
				}
				wideRows(s, x, ldx, wp, v.b, v.r, y, ldy, sh.rows, sh.k, sh.n, mid, widePanels(s, sh.n), v.a)
				got := make([]float32, sh.rows*sh.n)
				for i := range sh.rows {
					copy(got[i*sh.n:], y[i*ldy:i*ldy+sh.n])
					for j := sh.n; j < ldy && i*ldy+j < len(y); j++ {
						if y[i*ldy+j] != pad[i*ldy+j] {
							t.Fatalf("%s: wrote column %d of row %d, past the %d features", what, j, i, sh.n)
						}
					}
				}
				if e := relErr(got, want); e > 1e-5 {
					t.Errorf("%s: relative error %.3g", what, e)
				}
			}
		}
	}
}

// Every convolution that offers the wide kernel computes the preset right
// whichever way it is forced onto, sgemm or the wide kernel, and keeps
// only the weights of that way.
func TestConvWaysRunThePresets(t *testing.T) {
	for _, s := range isas() {
		t.Setenv(engine.CPUISAEnv, s.String())
		for _, name := range []string{"resnet", "lenet5"} {
			m, err := presets.BuildModel(name, presets.DefaultSeed)
			if err != nil {
				t.Fatal(err)
			}
			e := openT(t, m, 2, options{})
			for _, batch := range []int{1, 2} { // the ways of both batches tuned, into e.ways
				if err := e.Prepare(batch); err != nil {
					t.Fatal(err)
				}
			}
			for _, way := range []gemmWay{waySplit, wayWide} {
				for k := range e.ways {
					e.ways[k] = way
				}
				for _, batch := range []int{2, 1} { // a batch prepared anew
					if err := e.Prepare(batch); err != nil {
						t.Fatal(err)
					}
				}
				in := inputsFor(e, 5)
				what := fmt.Sprintf("%s, %s, way %d", name, s, way)
				compareOut(t, what, runT(t, e, 1, in), evalRef(t, e.plan.g, in))
				offered := 0
				steps := e.Steps()
				for i, st := range e.plan.steps {
					k, ok := st.k.(*convKernel)
					if !ok || k.tune.isa == isaNone {
						continue
					}
					offered++
					// The profile names the way that runs.
					if wide := strings.Contains(steps[i].Way, ", wide-"+s.String()); wide != (way == wayWide) {
						t.Errorf("%s: %s's profile way %q", what, st.name, steps[i].Way)
					}
					ownW := way == waySplit || k.mode == convDirect // a direct convolution's are the graph's
					if k.tune.way != way || (way == wayWide) != (k.wide != nil) || ownW != (k.w != nil) {
						t.Errorf("%s: %s takes way %d (wide weights %v, sgemm's %v)", what, st.name, k.tune.way, k.wide != nil, k.w != nil)
					}
				}
				if offered == 0 {
					t.Errorf("%s: no convolution offers the wide kernel", what)
				}
			}
		}
	}
}
