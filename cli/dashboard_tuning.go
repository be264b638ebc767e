package cli

import (
	"context"
	"time"

	"infertop/engine"
	"infertop/presets"
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

// dashboardTuning gives the dashboard's s and c keys their jobs.
// slo, when positive, is the p99 objective the sweep recommends against;
// gpuMem gives a sweep on a GPU NVML's used memory at each point and NVML's
// total as its limit, as the headless sweep has (nil: no NVML figures).
func dashboardTuning(reg *engine.Registry, cat *presets.Catalog, threads int, slo time.Duration, devices []ui.DeviceChoice,
	gpuMem gpuMemoryFunc) ui.Tuning {
	return ui.Tuning{
		Sweep: func(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error) {
			p := &sweep.RunnerProber{Registry: reg, Catalog: cat, Preset: preset, Device: device,
				Options: engine.Options{Threads: threads, Seed: presets.DefaultSeed}, Warmup: tuneWarmup, Window: tuneWindow, MaxTime: tuneMaxTime}
			cfg := sweep.Config{Progress: progress, SLOP99: slo}
			d, err := engine.ParseDevice(device)
			if err != nil {
				return sweep.Result{}, err
			}
			if d.Kind == engine.CPU {
				hm, err := engine.ReadHostMemory("/")
				if err != nil {
					return sweep.Result{}, err
				}
				cfg.MemLimit, cfg.EstimateEdge, p.EstimateLimit, p.RSS = hm.Available, true, hm.Available, sweep.ReadRSS
				return sweep.Run(ctx, cfg, p)
			}
			note, closeFn := useGPUMemory(gpuMem, d, &cfg, p)
			defer closeFn()
			if note == "" {
				return sweep.Run(ctx, cfg, p)
			}
			// Without NVML the points carry no used memory: the view says why.
			withNote := func(r sweep.Result) sweep.Result { r.Notes = append(r.Notes, note); return r }
			cfg.Progress = func(r sweep.Result, s string) { progress(withNote(r), s) }
			res, err := sweep.Run(ctx, cfg, p)
			return withNote(res), err
		},
		Compare: func(ctx context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
			p, err := cat.Get(preset)
			if err != nil {
				return sweep.CompareResult{}, err
			}
			a, b := raceSides(devices)
			w, err := sweep.NewExecWindower(reg, p, a, b, presets.DefaultSeed)
			if err != nil {
				return sweep.CompareResult{}, err
			}
			defer w.Close()
			w.Warmup, w.WindowLen = tuneWarmup, tuneWindow
			return sweep.Compare(ctx, sweep.CompareConfig{Preset: preset, A: a, B: b, Batches: []int{batch}, Pairs: tunePairs, Progress: progress}, w)
		},
	}
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

// raceSides is cpu against cuda:0 when cuda:0 can run, otherwise one CPU
// thread against all cores.
func raceSides(devices []ui.DeviceChoice) (sweep.Side, sweep.Side) {
	for _, d := range devices {
		if d.Name == "cuda:0" && d.Available {
			return sweep.Side{Device: "cpu"}, sweep.Side{Device: "cuda:0"}
		}
	}
	return sweep.Side{Device: "cpu", Threads: 1}, sweep.Side{Device: "cpu"}
}
