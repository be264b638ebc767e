package session

import (
	"errors"
	"fmt"
	"math"
	"time"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/model"
	"infertop/presets"
)

// Selftest checks a device's outputs against a baseline on the same
// deterministic input (model.FillInputs): the CPU engine for a GPU (the
// plain-Go reference when this build has no CPU engine), the reference for
// the CPU engine itself. The reference is model.Eval of the model's graph as
// built or loaded: no fusion, no engine. A model the device's engine cannot
// run (it lacks an op) is refused, with the list, rather than failed.
type Selftest struct {
	Device engine.Device
	Models []*model.Model
	// Batches are checked for every model whose batch is free; a fixed-batch
	// export is checked at its batch only.
	Batches []int
	// Precision is the type the device multiplies and convolves in
	// (engine.Options.Precision); the baseline is float32.
	Precision engine.Precision
	// Base names the baseline: "cpu" or "reference".
	Base string
	// Note says why the baseline is not the usual one ("" when it is).
	Note string
	reg  *engine.Registry
}

// NewSelftest sets up a selftest of models at batches on d. A device this
// build cannot run is an error.
func (m Machine) NewSelftest(d engine.Device, models []*model.Model, batches []int, p engine.Precision) (*Selftest, error) {
	if !m.Registry.Has(d.Kind) {
		return nil, fmt.Errorf("device %s is not available in this build: %s", d, m.Registry.Why(d.Kind))
	}
	st := &Selftest{Device: d, Models: models, Batches: batches, Precision: p, Base: "reference", reg: m.Registry}
	if d.Kind != engine.CPU {
		if m.Registry.Has(engine.CPU) {
			st.Base = "cpu"
		} else {
			st.Note = "this build has no CPU engine; comparing with the plain-Go reference instead"
		}
	}
	return st, nil
}

// Tolerance is the largest accepted max|out−base| / max|base|: the
// precision's (engine.Precision.Tolerance), looser as operands are rounded
// further below float32.
func (st *Selftest) Tolerance() float64 { return st.Precision.Tolerance() }

// BatchesOf are the batches m is checked at: Batches, or a fixed-batch
// export's own batch.
func (st *Selftest) BatchesOf(m *model.Model) []int {
	if fb := m.FixedBatch(); fb > 0 {
		return []int{fb}
	}
	return st.Batches
}

// Cases is the number of model × batch cases.
func (st *Selftest) Cases() int {
	n := 0
	for _, m := range st.Models {
		n += len(st.BatchesOf(m))
	}
	return n
}

// Options are the recording header's options.
func (st *Selftest) Options() map[string]any {
	names := make([]string, 0, len(st.Models))
	for _, m := range st.Models {
		names = append(names, m.Name)
	}
	return map[string]any{"device": st.Device.String(), "baseline": st.Base, "models": names,
		"batches": st.Batches, "tolerance": st.Tolerance(), "precision": st.Precision.String()}
}

// Case is one model × batch outcome, or a model the device refused.
type Case struct {
	Model string
	Batch int
	Pass  bool
	// Refused says the device's engine cannot run the model: Err is the
	// *model.UnsupportedError that lists what it lacks. A refusal holds for
	// every batch; it is neither a pass nor a failure.
	Refused bool
	Err     error
	// Compared says RelErr was computed.
	Compared bool
	RelErr   float64
	Took     time.Duration
	Device   string
	BaseTook time.Duration
	Base     string
	Tol      float64
	// Precision is what the device computed in (engine.Info.Precision).
	Precision engine.Precision
	// Engine is the device's engine and its detail; Plan how it computed
	// this batch (engine.Info.Plan), when that depends on the batch.
	Engine, Plan string
}

// String is the case's line of the selftest's output.
func (r Case) String() string {
	if r.Refused {
		return fmt.Sprintf("%-7s %-12s %s cannot run it: %v", "REFUSED", r.Model, r.Device, r.Err)
	}
	head := fmt.Sprintf("%-4s %-12s batch %4d", map[bool]string{true: "PASS", false: "FAIL"}[r.Pass], r.Model, r.Batch)
	if r.Err != nil {
		return head + "  " + r.Err.Error()
	}
	s := fmt.Sprintf("%s  max rel err %.2e  %s %s  (%s %s)", head, r.RelErr, r.Device, units.Millis(r.Took), r.Base, units.Millis(r.BaseTook))
	if r.Plan != "" {
		s += "  [" + r.Plan + "]"
	}
	return s
}

// Check runs model m at batch on the device and on the baseline and
// compares the outputs. A device that refuses the model makes a Refused case.
func (st *Selftest) Check(m *model.Model, batch int) Case {
	res := Case{Model: m.Name, Batch: batch, Device: st.Device.String(), Base: st.Base, Tol: st.Tolerance(), Precision: st.Precision}
	in, err := seededInputs(m, batch, presets.DefaultSeed)
	if err != nil {
		res.Err = err
		return res
	}
	out, took, info, err := runOnce(st.reg, st.Device.String(), engine.Options{Seed: presets.DefaultSeed, Precision: st.Precision}, m, batch, in)
	if err != nil {
		var u *model.UnsupportedError
		res.Err, res.Refused = err, errors.As(err, &u)
		return res
	}
	res.Took, res.Plan, res.Precision = took, info.Plan, info.Precision
	if info.Detail != "" {
		res.Engine = info.Engine + " · " + info.Detail
	}
	var want []*model.Tensor
	if st.Base == "cpu" {
		want, res.BaseTook, _, err = runOnce(st.reg, "cpu", engine.Options{Seed: presets.DefaultSeed}, m, batch, in)
		if err != nil {
			res.Err = fmt.Errorf("baseline cpu: %w", err)
			return res
		}
	} else {
		start := time.Now()
		want, err = reference(m, in)
		res.BaseTook = time.Since(start)
		if err != nil {
			res.Err = fmt.Errorf("reference: %w", err)
			return res
		}
	}
	res.RelErr, err = relErrs(m.Graph.Outputs, out, want)
	res.Err, res.Compared = err, err == nil
	res.Pass = err == nil && res.RelErr <= st.Tolerance()
	if err == nil && !res.Pass {
		res.Err = fmt.Errorf("max rel err %.2e exceeds %.0e", res.RelErr, st.Tolerance())
	}
	return res
}

// seededInputs are the inputs of m at batch, as the runner fills them
// (model.FillInputs) from seed.
func seededInputs(m *model.Model, batch int, seed uint64) ([]*model.Tensor, error) {
	g, err := m.Bind(batch)
	if err != nil {
		return nil, err
	}
	specs, _, err := g.Signature()
	if err != nil {
		return nil, err
	}
	in := model.NewTensors(specs)
	model.FillInputs(m.Graph, in, seed)
	return in, nil
}

// reference evaluates m's graph as built or loaded on in, in the graph's
// output order.
func reference(m *model.Model, in []*model.Tensor) ([]*model.Tensor, error) {
	feed := make(map[string]*model.Tensor, len(in))
	for i, name := range m.Graph.Inputs {
		feed[name] = in[i]
	}
	res, err := model.Eval(m.Graph, feed)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Tensor, len(m.Graph.Outputs))
	for i, name := range m.Graph.Outputs {
		out[i] = res[name]
	}
	return out, nil
}

// runOnce opens device for m, runs the batch twice (the first run warms up)
// into NaN-poisoned outputs and returns the second output, its wall time and
// what the engine says of itself and of the prepared batch.
func runOnce(reg *engine.Registry, device string, opts engine.Options, m *model.Model, batch int, in []*model.Tensor) ([]*model.Tensor, time.Duration, engine.Info, error) {
	ex, err := reg.Open(device, m, opts)
	if err != nil {
		return nil, 0, engine.Info{}, err
	}
	out, took, err := runPrepared(ex, batch, in)
	info := ex.Info()
	if cerr := ex.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return out, took, info, err
}

func runPrepared(ex engine.Executor, batch int, in []*model.Tensor) ([]*model.Tensor, time.Duration, error) {
	if err := ex.Prepare(batch); err != nil {
		return nil, 0, fmt.Errorf("prepare: %w", err)
	}
	_, specs := ex.Signature()
	out := model.NewTensors(specs)
	var took time.Duration
	for range 2 {
		nan := float32(math.NaN())
		for _, t := range out {
			for i := range t.F32 {
				t.F32[i] = nan
			}
		}
		start := time.Now()
		if _, err := ex.Run(in, out); err != nil {
			return nil, 0, fmt.Errorf("run: %w", err)
		}
		took = time.Since(start)
	}
	return out, took, nil
}

// relErrs is the largest relErr over the outputs, named by names for messages.
func relErrs(names []string, got, want []*model.Tensor) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%d outputs, baseline %d", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		e, err := relErr(values(got[i]), values(want[i]))
		if err != nil {
			if len(got) > 1 && i < len(names) {
				err = fmt.Errorf("output %q: %w", names[i], err)
			}
			return 0, err
		}
		worst = max(worst, e)
	}
	return worst, nil
}

// values are a tensor's elements as float64 (integers as they are, booleans
// as 0 and 1); nil for none.
func values(t *model.Tensor) []float64 {
	if t == nil {
		return nil
	}
	var v []float64
	switch {
	case t.F32 != nil:
		v = make([]float64, len(t.F32))
		for i, x := range t.F32 {
			v[i] = float64(x)
		}
	case t.I64 != nil:
		v = make([]float64, len(t.I64))
		for i, x := range t.I64 {
			v[i] = float64(x)
		}
	case t.Bool != nil:
		v = make([]float64, len(t.Bool))
		for i, x := range t.Bool {
			if x {
				v[i] = 1
			}
		}
	}
	return v
}

// relErr is max|got−want| / max|want|; a NaN or Inf in got, or a length
// mismatch, is an error (NaN poison left in place means an element was never written).
func relErr(got, want []float64) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("output has %d values, baseline %d", len(got), len(want))
	}
	var diff, scale float64
	for i := range got {
		g, w := got[i], want[i]
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return 0, fmt.Errorf("output[%d] = %v (not written or not finite)", i, got[i])
		}
		diff = max(diff, math.Abs(g-w))
		scale = max(scale, math.Abs(w))
	}
	if scale == 0 {
		return diff, nil
	}
	return diff / scale, nil
}
