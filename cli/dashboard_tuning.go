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
// slo, when positive, is the p99 objective the sweep recommends against.
func dashboardTuning(reg *engine.Registry, cat *presets.Catalog, threads int, slo time.Duration, devices []ui.DeviceChoice) ui.Tuning {
	return ui.Tuning{
		Sweep: func(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error) {
			p := &sweep.RunnerProber{Registry: reg, Catalog: cat, Preset: preset, Device: device,
				Options: engine.Options{Threads: threads, Seed: presets.DefaultSeed}, Warmup: tuneWarmup, Window: tuneWindow, MaxTime: tuneMaxTime}
			cfg := sweep.Config{Progress: progress, SLOP99: slo}
			if d, err := engine.ParseDevice(device); err == nil && d.Kind == engine.CPU {
				hm, err := engine.ReadHostMemory("/")
				if err != nil {
					return sweep.Result{}, err
				}
				cfg.MemLimit, cfg.EstimateEdge, p.EstimateLimit, p.RSS = hm.Available, true, hm.Available, sweep.ReadRSS
			}
			return sweep.Run(ctx, cfg, p)
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
