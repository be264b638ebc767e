package session

import (
	"context"
	"time"

	"infertop/engine"
	"infertop/record"
	"infertop/sweep"
)

// Measurement settings of the dashboard's sweep and race: shorter than the
// headless commands' so the views fill in while a person watches.
const (
	tuneWarmup  = 500 * time.Millisecond
	tuneWindow  = 500 * time.Millisecond
	tuneMaxTime = 5 * time.Second
	// tunePairs is large: the dashboard's race runs until Esc.
	tunePairs = 1 << 20
)

// shared is the dashboard's NVML session, lent to a sweep or a race, which
// leave it open.
func (d *Dashboard) shared() gpus {
	g := d.gpus
	g.own = false
	return g
}

// Sweep sweeps the named model on device for the s key, set up as `infertop sweep`
// sets it up (NewSweep) with the dashboard's threads, precision (on a GPU) and SLO and
// shorter windows, on the dashboard's NVML session. When the dashboard
// records, the sweep's snapshots and events go into the recording.
func (d *Dashboard) Sweep(ctx context.Context, model, device string, progress func(sweep.Result, string)) (sweep.Result, error) {
	dev, err := engine.ParseDevice(device)
	if err != nil {
		return sweep.Result{}, err
	}
	spec := SweepSpec{Catalog: d.spec.Catalog, Model: model, Device: dev, Threads: d.spec.Threads, Precision: d.spec.Precision,
		Warmup: tuneWarmup, Window: tuneWindow, MaxTime: tuneMaxTime, SLOP99: d.spec.SLOP99, Progress: progress}
	if dev.Kind == engine.CPU {
		spec.Precision = engine.FP32 // the CPU computes in float32 only
	}
	if d.rec != nil {
		spec.OnSnapshot = d.rec.SweepSnapshot
	}
	s, err := d.m.newSweep(spec, d.shared())
	if err != nil {
		return sweep.Result{}, err
	}
	defer s.Close()
	if s.Note == "" {
		return s.Run(ctx)
	}
	// Without NVML figures the points carry no used memory: the view says why.
	withNote := func(r sweep.Result) sweep.Result { r.Notes = append(r.Notes, s.Note); return r }
	s.Config.Progress = func(r sweep.Result, status string) { progress(withNote(r), status) }
	res, err := s.Run(ctx)
	return withNote(res), err
}

// Compare races two configurations of the named model at batch for the c key, until
// ctx ends: cpu against cuda:0 when cuda:0 can run, else one CPU thread
// against all cores. When the dashboard records, every window and event of
// the race is written as the headless compare writes them (its metrics
// endpoint serves the dashboard's run, which is paused meanwhile: see
// docs/metrics.md).
func (d *Dashboard) Compare(ctx context.Context, model string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
	m, err := d.spec.Catalog.Get(model)
	if err != nil {
		return sweep.CompareResult{}, err
	}
	a, b := raceSides(d.Devices, d.spec.Precision)
	obs := &RaceObserver{rec: d.rec, sides: [2]sweep.Side{a, b}, model: m.Name}
	r, err := d.m.newRace(RaceSpec{Model: m, A: a, B: b, Batches: []int{batch}, Pairs: tunePairs,
		Warmup: tuneWarmup, Window: tuneWindow, Progress: progress}, d.shared())
	if err != nil {
		obs.Ended(err)
		return sweep.CompareResult{}, err
	}
	defer r.Close()
	return r.Run(ctx, obs)
}

// raceSides is cpu against cuda:0 (in precision p) when cuda:0 can run,
// otherwise one CPU thread against all cores.
func raceSides(devices []record.Device, p engine.Precision) (sweep.Side, sweep.Side) {
	for _, d := range devices {
		if d.Name == "cuda:0" && d.Available {
			return sweep.Side{Device: "cpu"}, sweep.Side{Device: "cuda:0", Precision: p}
		}
	}
	return sweep.Side{Device: "cpu", Threads: 1}, sweep.Side{Device: "cpu"}
}
