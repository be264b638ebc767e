package session

import (
	"fmt"
	"math"
	"time"

	"infertop/engine"
	"infertop/engine/reference"
	"infertop/internal/units"
	"infertop/presets"
)

// Selftest tolerances: the largest accepted max|out−base| / max|base|.
const (
	SelftestTolerance = 1e-3
	// SelftestToleranceTF32 replaces it with TF32: TF32 tensor cores round
	// every product's inputs to 10-bit mantissas (2^-11 relative each), which
	// a network's layers compound to about 1e-3; a wrong kernel is off by far
	// more.
	SelftestToleranceTF32 = 1e-2
)

// Selftest checks a device's outputs against a baseline on the same
// deterministic input: the CPU engine for a GPU (the plain-Go reference when
// this build has no CPU engine), the reference for the CPU engine itself.
type Selftest struct {
	Device  engine.Device
	Presets []*presets.Preset
	Batches []int
	// TF32 allows the device TF32 tensor cores (engine.Options.TF32).
	TF32 bool
	// Base names the baseline: "cpu" or "reference".
	Base string
	// Note says why the baseline is not the usual one ("" when it is).
	Note string
	reg  *engine.Registry
}

// NewSelftest sets up a selftest of presets at batches on d. A device this
// build cannot run is an error.
func (m Machine) NewSelftest(d engine.Device, ps []*presets.Preset, batches []int, tf32 bool) (*Selftest, error) {
	if !m.Registry.Has(d.Kind) {
		return nil, fmt.Errorf("device %s is not available in this build: %s", d, m.Registry.Why(d.Kind))
	}
	st := &Selftest{Device: d, Presets: ps, Batches: batches, TF32: tf32, Base: "reference", reg: m.Registry}
	if d.Kind != engine.CPU {
		if m.Registry.Has(engine.CPU) {
			st.Base = "cpu"
		} else {
			st.Note = "this build has no CPU engine; comparing with the plain-Go reference instead"
		}
	}
	return st, nil
}

// Tolerance is the largest accepted max|out−base| / max|base|: looser with TF32.
func (st *Selftest) Tolerance() float64 {
	if st.TF32 {
		return SelftestToleranceTF32
	}
	return SelftestTolerance
}

// Cases is the number of preset × batch cases.
func (st *Selftest) Cases() int { return len(st.Presets) * len(st.Batches) }

// Options are the recording header's options.
func (st *Selftest) Options() map[string]any {
	names := make([]string, 0, len(st.Presets))
	for _, q := range st.Presets {
		names = append(names, q.Name)
	}
	return map[string]any{"device": st.Device.String(), "baseline": st.Base, "presets": names,
		"batches": st.Batches, "tolerance": st.Tolerance(), "tf32": st.TF32}
}

// Case is one preset × batch outcome.
type Case struct {
	Preset string
	Batch  int
	Pass   bool
	Err    error
	// Compared says RelErr was computed.
	Compared bool
	RelErr   float64
	Took     time.Duration
	Device   string
	BaseTook time.Duration
	Base     string
	Tol      float64
	// Engine is the device's engine and its detail; Plan how it computed
	// this batch (engine.Info.Plan), when that depends on the batch.
	Engine, Plan string
}

// String is the case's line of the selftest's output.
func (r Case) String() string {
	head := fmt.Sprintf("%-4s %-12s batch %4d", map[bool]string{true: "PASS", false: "FAIL"}[r.Pass], r.Preset, r.Batch)
	if r.Err != nil {
		return head + "  " + r.Err.Error()
	}
	s := fmt.Sprintf("%s  max rel err %.2e  %s %s  (%s %s)", head, r.RelErr, r.Device, units.Millis(r.Took), r.Base, units.Millis(r.BaseTook))
	if r.Plan != "" {
		s += "  [" + r.Plan + "]"
	}
	return s
}

// Check runs preset p at batch on the device and on the baseline and
// compares the outputs.
func (st *Selftest) Check(p *presets.Preset, batch int) Case {
	res := Case{Preset: p.Name, Batch: batch, Device: st.Device.String(), Base: st.Base, Tol: st.Tolerance()}
	in := make([]float32, batch*p.InputSize())
	p.FillInput(in, presets.DefaultSeed)
	out, took, info, err := runOnce(st.reg, st.Device.String(), engine.Options{Seed: presets.DefaultSeed, TF32: st.TF32}, p, batch, in)
	if err != nil {
		res.Err = err
		return res
	}
	res.Took, res.Plan = took, info.Plan
	if info.Detail != "" {
		res.Engine = info.Engine + " · " + info.Detail
	}
	var want []float32
	if st.Base == "cpu" {
		want, res.BaseTook, _, err = runOnce(st.reg, "cpu", engine.Options{Seed: presets.DefaultSeed}, p, batch, in)
		if err != nil {
			res.Err = fmt.Errorf("baseline cpu: %w", err)
			return res
		}
	} else {
		start := time.Now()
		want = reference.Forward(p, p.Weights(presets.DefaultSeed), in, batch)
		res.BaseTook = time.Since(start)
	}
	res.RelErr, err = relErr(out, want)
	res.Err, res.Compared = err, err == nil
	res.Pass = err == nil && res.RelErr <= st.Tolerance()
	if err == nil && !res.Pass {
		res.Err = fmt.Errorf("max rel err %.2e exceeds %.0e", res.RelErr, st.Tolerance())
	}
	return res
}

// runOnce opens device for p, runs the batch twice (the first run warms up) into
// NaN-poisoned outputs and returns the second output, its wall time and
// what the engine says of itself and of the prepared batch.
func runOnce(reg *engine.Registry, device string, opts engine.Options, p *presets.Preset, batch int, in []float32) ([]float32, time.Duration, engine.Info, error) {
	ex, err := reg.Open(device, p, opts)
	if err != nil {
		return nil, 0, engine.Info{}, err
	}
	out, took, err := runPrepared(ex, batch, p.OutputSize(), in)
	info := ex.Info()
	if cerr := ex.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return out, took, info, err
}

func runPrepared(ex engine.Executor, batch, outSize int, in []float32) ([]float32, time.Duration, error) {
	if err := ex.Prepare(batch); err != nil {
		return nil, 0, fmt.Errorf("prepare: %w", err)
	}
	out := make([]float32, batch*outSize)
	var took time.Duration
	for range 2 {
		nan := float32(math.NaN())
		for i := range out {
			out[i] = nan
		}
		start := time.Now()
		if _, err := ex.Run(in, out); err != nil {
			return nil, 0, fmt.Errorf("run: %w", err)
		}
		took = time.Since(start)
	}
	return out, took, nil
}

// relErr is max|got−want| / max|want|; a NaN or Inf in got, or a length
// mismatch, is an error (NaN poison left in place means an element was never written).
func relErr(got, want []float32) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("output has %d values, baseline %d", len(got), len(want))
	}
	var diff, scale float64
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
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
