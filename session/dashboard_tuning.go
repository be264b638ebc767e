package cli

import (
	"context"
	"time"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/record"
	"infertop/runner"
	"infertop/sweep"
	"infertop/ui"
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

// tuningSetup is what the dashboard's s and c jobs need.
type tuningSetup struct {
	reg *engine.Registry
	cat *presets.Catalog
	// threads are the CPU threads of the sweep's runs (0: all cores).
	threads int
	// tf32 allows the GPU runs of the sweep and the race TF32 tensor cores,
	// as the dashboard's own run (--tf32).
	tf32 bool
	// slo, when positive, is the p99 objective the sweep recommends against.
	slo     time.Duration
	devices []ui.DeviceChoice
	// gpuMem gives a sweep on a GPU NVML's used memory at each point and
	// NVML's total as its limit, as the headless sweep has (nil: no NVML figures).
	gpuMem gpuMemoryFunc
	// energy reads the energy counters of each device (its GPUs', or the CPU
	// packages') for the sweep's runners and the race's windows (nil: none,
	// as without NVML and RAPL, or with simulated GPUs).
	energy runner.EnergyMeter
	// rec, when the dashboard records (--record), receives the race's
	// windows and events, as the headless compare writes them, and the
	// sweep's snapshots and events, as the headless sweep writes them.
	rec *record.Recorder
	// now reads the race's clock (nil: the wall clock).
	now func() time.Time
}

// dashboardTuning gives the dashboard's s and c keys their jobs.
func dashboardTuning(t tuningSetup) ui.Tuning {
	return ui.Tuning{Sweep: t.sweep, Compare: t.compare}
}

// sweep sweeps preset on device for the s key.
func (t tuningSetup) sweep(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error) {
	p := &sweep.RunnerProber{Registry: t.reg, Catalog: t.cat, Preset: preset, Device: device,
		Options: engine.Options{Threads: t.threads, Seed: presets.DefaultSeed, TF32: t.tf32}, Warmup: tuneWarmup, Window: tuneWindow, MaxTime: tuneMaxTime,
		Energy: t.energy}
	if t.rec != nil {
		p.OnSnapshot = t.rec.SweepSnapshot
	}
	cfg := sweep.Config{Progress: progress, SLOP99: t.slo}
	d, err := engine.ParseDevice(device)
	if err != nil {
		return sweep.Result{}, err
	}
	if d.Kind == engine.CPU {
		hm, err := hostinfo.ReadMemory("/")
		if err != nil {
			return sweep.Result{}, err
		}
		cfg.MemLimit, cfg.EstimateEdge, p.EstimateLimit, p.RSS = hm.Available, true, hm.Available, hostinfo.RSS
		return sweep.Run(ctx, cfg, p)
	}
	note, closeFn := useGPUMemory(t.gpuMem, d, &cfg, p)
	defer closeFn()
	if note == "" {
		return sweep.Run(ctx, cfg, p)
	}
	// Without NVML the points carry no used memory: the view says why.
	withNote := func(r sweep.Result) sweep.Result { r.Notes = append(r.Notes, note); return r }
	cfg.Progress = func(r sweep.Result, s string) { progress(withNote(r), s) }
	res, err := sweep.Run(ctx, cfg, p)
	return withNote(res), err
}

// compare races two configurations of preset at batch for the c key, until
// ctx ends. When the dashboard records, every window and event of the race
// is written as the headless compare writes them (its metrics endpoint
// serves the dashboard's run, which is paused meanwhile: see docs/metrics.md).
func (t tuningSetup) compare(ctx context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
	p, err := t.cat.Get(preset)
	if err != nil {
		return sweep.CompareResult{}, err
	}
	a, b := raceSides(t.devices, t.tf32)
	obs := &compareObserver{rec: t.rec, sides: [2]sweep.Side{a, b}, preset: preset}
	w, err := sweep.NewExecWindower(t.reg, p, a, b, presets.DefaultSeed)
	if err != nil {
		obs.ended(sweep.CompareResult{}, err)
		return sweep.CompareResult{}, err
	}
	defer w.Close()
	w.Warmup, w.WindowLen, w.Energy = tuneWarmup, tuneWindow, t.energy
	if t.now != nil {
		w.Now = t.now
	}
	cfg := sweep.CompareConfig{Preset: preset, A: a, B: b, Batches: []int{batch}, Pairs: tunePairs, Progress: progress}
	obs.hook(&cfg)
	res, err := sweep.Compare(ctx, cfg, obs.windower(w))
	obs.ended(res, err)
	return res, err
}

// useGPUMemory sets the prober to read NVML's used memory on d's GPUs and
// the sweep's limit to their total; it returns the closer of the figures, and
// a note for the view when NVML has none.
func useGPUMemory(gpuMem gpuMemoryFunc, d engine.Device, cfg *sweep.Config, p *sweep.RunnerProber) (string, func()) {
	if gpuMem == nil {
		return "", func() {}
	}
	used, total, closeFn, err := gpuMem(d)
	if err != nil {
		return "no NVML memory figures: " + err.Error(), func() {}
	}
	p.DeviceUsed = used
	if total > 0 {
		cfg.MemLimit = total
	}
	return "", closeFn
}

// raceSides is cpu against cuda:0 (with TF32 when tf32) when cuda:0 can
// run, otherwise one CPU thread against all cores.
func raceSides(devices []ui.DeviceChoice, tf32 bool) (sweep.Side, sweep.Side) {
	for _, d := range devices {
		if d.Name == "cuda:0" && d.Available {
			return sweep.Side{Device: "cpu"}, sweep.Side{Device: "cuda:0", TF32: tf32}
		}
	}
	return sweep.Side{Device: "cpu", Threads: 1}, sweep.Side{Device: "cpu"}
}
