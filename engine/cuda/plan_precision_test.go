package cuda

import (
	"fmt"
	"testing"

	"infertop/engine"
	"infertop/model"
)

// TestHalfPlansMatchEval runs the half-precision plans (FP16 and BF16) of
// every preset, the odd graphs and the ONNX fixtures on the Go emulation,
// the two convolution ways that convolve in half precision (im2col and
// cuDNN; the implicit and direct kernels stay float32, as
// TestPlanMatchesEval runs them), at batch 2, and checks against model.Eval of the
// float32 graph: the relative error stays within the precision's
// documented tolerance, and is above float32's rounding (1e-6; float32
// plans stay below 3e-7, TestPlanMatchesEval: the operands were rounded),
// every product reads operands of the plan's half type, and the products'
// weights take half the memory. bf16 runs the im2col way alone: cuDNN's
// half path is the same for both types but for the descriptors' type.
func TestHalfPlansMatchEval(t *testing.T) {
	var models []*model.Model
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	models = append(append(models, oddModels(t)...), opsModels(t)...)
	for _, m := range models {
		const batch = 2
		g := bind(t, m, batch)
		f32, err := BuildWith(g, batch, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := evalOutputs(t, g, planInputs(g, f32))
		const e32 = 1e-6
		for _, p := range []engine.Precision{engine.FP16, engine.BF16} {
			for _, way := range convWays(g) {
				if way == ConvImplicit || way == ConvDirect || p == engine.BF16 && way == ConvCudnn {
					continue
				}
				what := fmt.Sprintf("%s %s %s", m.Name, p, way)
				plan, err := BuildWith(g, batch, Options{Default: way, Precision: p})
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				gemms := checkHalfPlan(t, what, plan, Options{Precision: p}.half())
				got, _ := emulate(t, plan, g)
				e := checkOutputs(t, what, plan, got, want, p.Tolerance())
				if gemms > 0 && !(e > e32) {
					t.Errorf("%s: relative error %.3g is within float32's rounding (%g): were the operands rounded?", what, e, e32)
				}
				if gemms > 0 && !(plan.WeightBytes() < f32.WeightBytes()) && way == ConvIm2col {
					t.Errorf("%s: weights take %d bytes, float32's %d", what, plan.WeightBytes(), f32.WeightBytes())
				}
				t.Logf("%s: relative error %.3g, %d half products, weights %d bytes (float32 %d)",
					what, e, gemms, plan.WeightBytes(), f32.WeightBytes())
			}
		}
	}
}

// checkHalfPlan checks that every GEMM of plan reads operands of type t
// and every weight it reads as A or B is of that type, and every cuDNN
// convolution convolves values and a filter of that type, and returns how
// many GEMMs and convolutions the plan has.
func checkHalfPlan(t *testing.T, what string, plan *Plan, typ Elem) int {
	t.Helper()
	n := 0
	for i, st := range plan.Steps {
		if c := st.Conv; c != nil {
			if c.Type != typ || plan.Buffers[c.Filter.Buf].Type != typ {
				t.Errorf("%s: step %d (%s) convolves %s values with a %s filter, want %s", what, i, st.Layer, c.Type, plan.Buffers[c.Filter.Buf].Type, typ)
			}
			n++
		}
		g := st.Gemm
		if g == nil {
			continue
		}
		n++
		if g.In != typ {
			t.Errorf("%s: step %d (%s) multiplies %s operands, want %s", what, i, st.Layer, g.In, typ)
		}
		for _, r := range []Ref{g.A, g.B} {
			if b := plan.Buffers[r.Buf]; b.Role == RoleWeight && b.Type != typ {
				t.Errorf("%s: step %d (%s) reads weight %s of type %s", what, i, st.Layer, b.Name, b.Type)
			}
		}
	}
	return n
}

// TestHalfPlanSteps: a half-precision Linear converts its input, then
// multiplies with cublasGemmEx; the step names the type.
func TestHalfPlanSteps(t *testing.T) {
	g := bind(t, presetModel(t, "mlp"), 4)
	plan, err := BuildWith(g, 4, Options{Precision: engine.BF16})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, st := range plan.Steps[:3] {
		kinds = append(kinds, st.Kernel())
	}
	want := []string{KToHalf, "gemmEx bf16 1024×4×784×1", KBiasAct}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("the first Linear runs %q, want %q", kinds, want)
	}
	// 784·1024 + 1024·1024 + 1024·10 half weights, three float32 biases.
	if got, want := plan.WeightBytes(), int64(2*(784*1024+1024*1024+1024*10)+4*(1024+1024+10)); got != want {
		t.Errorf("weights take %d bytes, want %d", got, want)
	}
}

// TestHalfPlansShareBuffers: the plans the engine times the convolution
// ways with (fullWorkspace) allocate the same buffers in a half precision
// too, whatever way each takes, so that one allocation serves them all.
func TestHalfPlansShareBuffers(t *testing.T) {
	for _, m := range append([]*model.Model{presetModel(t, "resnet"), oddConv(t)}, fixtureModels(t)...) {
		g := bind(t, m, 2)
		for _, p := range []engine.Precision{engine.FP16, engine.BF16} {
			var first *Plan
			for _, way := range convWays(g) {
				plan, err := BuildWith(g, 2, Options{Default: way, Precision: p, fullWorkspace: true})
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = plan
				} else if !first.SameBuffers(plan) {
					t.Errorf("%s %s: the %s plan allocates other buffers than the %s one", m.Name, p, way, ConvIm2col)
				}
			}
		}
	}
}

// An unfused Gemm (transposed A, a run-time B, alpha, beta and a bias
// broadcast along the rows; both operands have the batch first, so it is
// the summed axis) plans in every precision, its run-time
// operands converted in fp16, and matches model.Eval.
func TestGemmPlans(t *testing.T) {
	n := newTnet("gemm")
	a := n.input("a", 7) // [K, M] with K the batch: transA
	w := n.input("w", 5) // [K, N]
	y := n.op("Gemm", "g", model.Attrs{"transA": model.IntAttr(1), "alpha": model.FloatAttr(0.5), "beta": model.FloatAttr(2)},
		a, w, n.param("c", 1, 5))
	m := n.model(t, y)
	g, err := m.Bind(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []engine.Precision{engine.FP32, engine.FP16} {
		plan, err := BuildWith(g, 3, Options{Precision: p})
		if err != nil {
			t.Fatal(err)
		}
		got, in := emulate(t, plan, g)
		tol := 1e-5
		if p == engine.FP16 {
			tol = p.Tolerance()
			if gemms := checkHalfPlan(t, "gemm fp16", plan, ElemF16); gemms != 1 {
				t.Errorf("%d products, want 1", gemms)
			}
		}
		e := checkOutputs(t, "gemm "+p.String(), plan, got, evalOutputs(t, g, in), tol)
		t.Logf("%s: relative error %.3g", p, e)
	}
}
