package cuda

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"infertop/engine/reference"
	"infertop/model"
	"infertop/presets"
)

// Running plans on the CPU (emulate_test.go's sgemm and kernels) and
// checking them against model.Eval of the same compiled graph.

// planInputs returns the graph's deterministic inputs (model.FillInputs with
// the default seed).
func planInputs(g *model.Graph, plan *Plan) []*model.Tensor {
	in := make([]*model.Tensor, len(plan.Inputs))
	for i, io := range plan.Inputs {
		in[i] = model.NewTensor(io.DType(), io.Shape...)
	}
	model.FillInputs(g, in, presets.DefaultSeed)
	return in
}

// planMemory allocates plan's buffers: weights from their constants (or
// zeros), inputs from in, every other value NaN (a read before any write
// shows up).
func planMemory(t testing.TB, plan *Plan, in []*model.Tensor) [][]float32 {
	t.Helper()
	mem, err := newPlanMemory(plan, in)
	if err != nil {
		t.Fatal(err)
	}
	return mem
}

// newPlanMemory is planMemory, returning what is wrong.
//
//go:norace
func newPlanMemory(plan *Plan, in []*model.Tensor) ([][]float32, error) {
	mem := make([][]float32, len(plan.Buffers))
	for i, b := range plan.Buffers {
		mem[i] = make([]float32, (b.Bytes()+3)/4)
		if b.Role == RoleWeight {
			if b.Const != nil {
				if int64(b.Const.Stored()) != b.Floats {
					return nil, fmt.Errorf("%s: weight %s has %d values, buffer %d", plan.Graph, b.Name, b.Const.Stored(), b.Floats)
				}
				mem[i] = weightWords(b)
			} else if b.Type != ElemF32 {
				return nil, fmt.Errorf("%s: a weight of zeros %s in %s", plan.Graph, b.Name, b.Type)
			}
			continue
		}
		poison(mem[i])
	}
	if len(in) != len(plan.Inputs) {
		return nil, fmt.Errorf("%s: %d inputs for the plan's %d", plan.Graph, len(in), len(plan.Inputs))
	}
	for i, io := range plan.Inputs {
		if in[i].DType != io.DType() || in[i].Stored() != int(io.Floats) {
			return nil, fmt.Errorf("%s: input %s is %s × %d, the plan takes %s × %d", plan.Graph, io.Name, in[i].DType, in[i].Stored(), io.DType(), io.Floats)
		}
		copy(view(mem, io.Ref), inputWords(io, in[i]))
	}
	return mem, nil
}

// weightWords is weight buffer b's memory as the device holds it: its
// constant's values, converted and packed when b is of a half type, or
// integers.
func weightWords(b Buffer) []float32 {
	switch b.Type {
	case ElemF32:
		return slices.Clone(b.Const.F32)
	case ElemI64:
		return packInt64(constInt64(b.Const))
	}
	return packHalf(b.Type, b.Const.F32)
}

// inputWords is input t as the device holds it in io's buffer.
func inputWords(io IO, t *model.Tensor) []float32 {
	if io.Type == ElemI64 {
		return packInt64(constInt64(t))
	}
	return t.F32
}

// outputTensor is output io read from the device's words: float32, or the
// integers or bools the graph declares, held as int64.
func outputTensor(io IO, words []float32) *model.Tensor {
	if io.Type != ElemI64 {
		return model.Floats(io.Shape, slices.Clone(words[:io.Floats]))
	}
	t := model.NewTensor(io.DType(), io.Shape...)
	for i := range io.Floats {
		v := int64At(words, i)
		if t.DType == model.Bool {
			t.Bool[i] = v != 0
		} else {
			t.I64[i] = v
		}
	}
	return t
}

//go:norace
func poison(v []float32) {
	for j := range v {
		v[j] = float32(math.NaN())
	}
}

// execPlan runs plan's steps on mem in Go. Before the first step of the node
// that writes a value, the value's memory is filled with NaN, so that a
// value that shares memory with another while both are live, or a read of
// memory no step of the plan wrote, spoils the outputs.
func execPlan(t testing.TB, plan *Plan, mem [][]float32) {
	t.Helper()
	execSteps(t, plan, mem, 0, len(plan.Steps))
}

// execSteps runs steps [lo, hi) of plan on mem (see execPlan).
func execSteps(t testing.TB, plan *Plan, mem [][]float32, lo, hi int) {
	t.Helper()
	if err := runSteps(plan, mem, lo, hi); err != nil {
		t.Fatal(err)
	}
}

// runSteps is execSteps, returning the first step that fails.
//
//go:norace
func runSteps(plan *Plan, mem [][]float32, lo, hi int) error {
	for i := lo; i < hi; i++ {
		for _, p := range plan.Values {
			if p.Def == i && !p.Alias {
				poison(view(mem, p.Ref)[:p.Floats])
			}
		}
		st := plan.Steps[i]
		var err error
		switch {
		case st.Gemm != nil:
			err = runGemm(mem, st.Gemm)
		case st.Conv != nil:
			err = runConvCall(mem, st.Conv)
		default:
			err = runKernel(mem, st.Launch)
		}
		if err != nil {
			return fmt.Errorf("%s batch %d step %d (node %s): %v", plan.Graph, plan.Batch, i, st.Layer, err)
		}
	}
	return nil
}

// outputs copies the plan's outputs out of mem.
func outputs(plan *Plan, mem [][]float32) [][]float32 {
	out := make([][]float32, len(plan.Outputs))
	for i, io := range plan.Outputs {
		out[i] = slices.Clone(view(mem, io.Ref)[:io.Floats])
	}
	return out
}

// emulate runs plan on the CPU from g's deterministic inputs, checks that it
// wrote neither into its inputs nor its weights, and returns its outputs
// and the inputs.
func emulate(t testing.TB, plan *Plan, g *model.Graph) (out [][]float32, in []*model.Tensor) {
	t.Helper()
	in = planInputs(g, plan)
	mem := planMemory(t, plan, in)
	execPlan(t, plan, mem)
	for i, b := range plan.Buffers {
		if b.Role == RoleWeight && b.Const != nil && !sameBits(mem[i], weightWords(b)) {
			t.Errorf("%s: the plan wrote into weight %s", plan.Graph, b.Name)
		}
	}
	for i, io := range plan.Inputs {
		if w := inputWords(io, in[i]); !sameBits(view(mem, io.Ref)[:len(w)], w) {
			t.Errorf("%s: the plan wrote into its input %s (data-resident runs reuse it)", plan.Graph, io.Name)
		}
	}
	return outputs(plan, mem), in
}

// sameBits reports whether two lists of words hold the same bits (an
// int64 or a half value may read as a NaN float32).
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// evalOutputs computes g's outputs from in with model.Eval, in the graph's order.
func evalOutputs(t testing.TB, g *model.Graph, in []*model.Tensor) [][]float32 {
	t.Helper()
	feed := map[string]*model.Tensor{}
	for i, name := range g.Inputs {
		feed[name] = in[i]
	}
	res, err := model.Eval(g, feed)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(g.Outputs))
	for i, name := range g.Outputs {
		out[i] = res[name].F32
	}
	return out
}

// checkOutputs compares a plan's outputs with model.Eval's, each within tol
// relative to its largest value; it returns the largest error.
func checkOutputs(t testing.TB, what string, plan *Plan, got, want [][]float32, tol float64) float64 {
	t.Helper()
	var worst float64
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, Eval %d", what, len(got), len(want))
	}
	for i := range got {
		e := reference.RelErr(got[i], want[i])
		if !(e <= tol) {
			t.Errorf("%s: output %s: relative error %.3g against model.Eval > %g", what, plan.Outputs[i].Name, e, tol)
		}
		worst = max(worst, e)
	}
	return worst
}
