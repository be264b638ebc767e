package session

import (
	"context"
	"time"

	"infertop/model"
	"infertop/presets"
	"infertop/sweep"
)

// RaceSpec is a race of two configurations of one model in alternating
// windows, as `infertop compare` and the dashboard's c key run it.
type RaceSpec struct {
	Model *model.Model
	A, B  sweep.Side
	// Batches are raced in turn, Pairs window pairs each.
	Batches []int
	Pairs   int
	// Warmup and Window are each side's warm-up at each batch and the least
	// length of a window.
	Warmup, Window time.Duration
	// Progress sees the result after every window.
	Progress func(sweep.CompareResult)
}

// Race is a race set up on this machine: both sides' executors and the
// energy counters of their devices.
type Race struct {
	spec RaceSpec
	w    *sweep.ExecWindower
	gpus gpus
}

// NewRace opens both sides, with an NVML session of its own for the
// energy of a side on a GPU; Close ends both.
func (m Machine) NewRace(spec RaceSpec) (*Race, error) {
	return m.newRace(spec, m.openGPUsFor(spec.A.Device, spec.B.Device))
}

// newRace opens both sides, reading the GPUs' energy through g.
func (m Machine) newRace(spec RaceSpec, g gpus) (*Race, error) {
	w, err := sweep.NewExecWindower(m.Registry, spec.Model, spec.A, spec.B, presets.DefaultSeed)
	if err != nil {
		g.close()
		return nil, err
	}
	w.Warmup, w.WindowLen = spec.Warmup, spec.Window
	w.Energy = m.energyFor(g, spec.A.Device, spec.B.Device)
	if m.Now != nil {
		w.Now = m.Now
	}
	return &Race{spec: spec, w: w, gpus: g}, nil
}

// Run races until every batch has its pairs or ctx ends, reporting to obs
// (nil: nothing observes the race).
func (r *Race) Run(ctx context.Context, obs *RaceObserver) (sweep.CompareResult, error) {
	if obs == nil {
		obs = &RaceObserver{}
	}
	s := r.spec
	a, b := r.w.Sides() // the precisions the engines report, not only those asked for
	cfg := sweep.CompareConfig{Model: s.Model.Name, A: a, B: b, Batches: s.Batches, Pairs: s.Pairs, Progress: s.Progress}
	obs.hook(&cfg)
	res, err := sweep.Compare(ctx, cfg, obs.windower(r.w))
	obs.ended(res, err)
	return res, err
}

// Ended records in obs (nil: none) a race that could not start.
func (obs *RaceObserver) Ended(err error) {
	if obs != nil {
		obs.ended(sweep.CompareResult{}, err)
	}
}

// Close closes both sides and the race's NVML session.
func (r *Race) Close() {
	r.w.Close()
	r.gpus.close()
}
