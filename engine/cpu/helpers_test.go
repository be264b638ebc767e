package cpu

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"infertop/engine"
	"infertop/internal/blas"
	"infertop/model"
)

var cpuDev = engine.Device{Kind: engine.CPU, Ordinal: -1}

// tol is the relative error every output must stay within: max|a−b| / max|ref|.
const tol = 1e-4

// randF is n values uniform in [−scale, scale).
func randF(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = scale * (2*r.Float32() - 1)
	}
	return s
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

// relErr is max|got − want| / max|want| (max|got − want| when want is all
// zeros); a NaN or a length mismatch is an infinite error.
func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, m float64
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) {
			return math.Inf(1)
		}
		if math.IsNaN(g) || (math.IsInf(w, 0) && g == w) {
			continue
		}
		d = max(d, math.Abs(g-w))
		m = max(m, math.Abs(w))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// variants are the BLAS paths the tests run: the library Load finds (OpenBLAS
// when present) and gonum, once when they are the same.
func variants() []options {
	if lib, _ := blas.Load(blas.Options{}); lib.Fallback() {
		return []options{{}}
	}
	return []options{{}, {noLibrary: true}}
}

// openT opens an executor whose Info reads a fixed peak; the test closes it.
func openT(t testing.TB, m *model.Model, threads int, o options) *executor {
	t.Helper()
	e, err := newExecutor(cpuDev, m, engine.Options{Threads: threads}, o)
	if err != nil {
		t.Fatal(err)
	}
	e.peak = func(context.Context, int, bool) (calibration, error) { return calibration{gflops: 123}, nil }
	t.Cleanup(func() { e.Close() })
	return e
}

// inputsFor makes the prepared batch's inputs, filled with model.FillInputs.
func inputsFor(e *executor, seed uint64) []*model.Tensor {
	in, _ := e.Signature()
	ts := model.NewTensors(in)
	model.FillInputs(e.plan.g, ts, seed)
	return ts
}

// runT prepares batch, runs it on in and returns the outputs.
func runT(t testing.TB, e *executor, batch int, in []*model.Tensor) []*model.Tensor {
	t.Helper()
	if err := e.Prepare(batch); err != nil {
		t.Fatal(err)
	}
	_, sig := e.Signature()
	out := model.NewTensors(sig)
	if _, err := e.Run(in, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// evalRef runs the compiled graph on the reference kernels.
func evalRef(t testing.TB, g *model.Graph, in []*model.Tensor) []*model.Tensor {
	t.Helper()
	m := map[string]*model.Tensor{}
	for i, name := range g.Inputs {
		m[name] = in[i]
	}
	res, err := model.Eval(g, m)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*model.Tensor, len(g.Outputs))
	for i, name := range g.Outputs {
		out[i] = res[name]
	}
	return out
}

// compareOut fails the test when an output differs from the reference by
// more than tol (relative), or an integer or boolean output differs at all.
func compareOut(t testing.TB, what string, got, want []*model.Tensor) {
	t.Helper()
	for i := range want {
		g, w := got[i], want[i]
		switch w.DType {
		case model.Float32:
			if e := relErr(g.F32, w.F32); e > tol {
				t.Errorf("%s: output %d: relative error %.3g > %g", what, i, e, tol)
			}
		default:
			for j := range w.I64 {
				if g.I64[j] != w.I64[j] {
					t.Errorf("%s: output %d differs at %d: %d, want %d", what, i, j, g.I64[j], w.I64[j])
					break
				}
			}
			for j := range w.Bool {
				if g.Bool[j] != w.Bool[j] {
					t.Errorf("%s: output %d differs at %d", what, i, j)
					break
				}
			}
		}
	}
}

// refAct is an activation in float64, as model.Activation.Apply computes it.
func refAct(a act, x float64) float64 {
	switch a.kind {
	case actReLU:
		return math.Max(x, 0)
	case actGELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case actGELUTanh:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case actSigmoid:
		return 1 / (1 + math.Exp(-x))
	case actTanh:
		return math.Tanh(x)
	case actClip:
		return math.Min(math.Max(x, float64(a.p0)), float64(a.p1))
	case actLeakyReLU:
		if x < 0 {
			return float64(a.p0) * x
		}
		return x
	case actHardSigmoid:
		return math.Max(0, math.Min(1, float64(a.p0)*x+float64(a.p1)))
	case actHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case actSwish:
		return x / (1 + math.Exp(-x))
	}
	return x
}
