package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/presets"
	"infertop/sweep"
)

// fakeGPUMonitor is the monitor --fake-gpus opens, on a stopped clock so
// that the simulated used memory holds still.
func fakeGPUMonitor(t *testing.T, n int) *gpuinfo.Monitor {
	t.Helper()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mon, err := gpuinfo.OpenFake(n, gpuinfo.FakeOptions{Seed: 7, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Close() })
	return mon
}

// The dashboard's s sweep on a GPU reads NVML's used memory at every point
// from the dashboard's own monitor (here the simulated GPUs of --fake-gpus),
// and measures headroom against NVML's total, as the headless sweep does.
func TestDashboardSweepGPUPointsCarryNVMLMemory(t *testing.T) {
	deps := sweepTestDeps(nil)
	deps.registry.Register(engine.CUDA, func(engine.Device, *presets.Preset, engine.Options) (engine.Executor, error) {
		return &sleepExec{}, nil
	})
	mon := fakeGPUMonitor(t, 2)
	g, err := mon.CUDADevice(1, "")
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, r := range mon.Read().GPUs {
		if r.Index == g.Index && r.MemoryUsedBytes.OK {
			want = int64(r.MemoryUsedBytes.V)
		}
	}
	if want < 2<<30 {
		t.Fatalf("the simulated GPU %d reports %d bytes used", g.Index, want)
	}
	tuning := dashboardTuning(tuningSetup{reg: deps.registry, cat: presets.NewCatalog(), threads: 1, gpuMem: monitorMemory(mon, nil, "")})
	// One point is enough: stop as soon as it arrives, keeping what was measured.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := tuning.Sweep(ctx, "linear", "cuda:1", func(r sweep.Result, _ string) {
		if len(r.Points) > 0 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) == 0 {
		t.Fatalf("no point measured: %+v", res)
	}
	for _, p := range res.Points {
		if p.DeviceUsedBytes != want || p.RSSBytes != 0 {
			t.Errorf("batch %d: NVML used %d, RSS %d; want %d from the simulated GPU and no RSS", p.Batch, p.DeviceUsedBytes, p.RSSBytes, want)
		}
	}
	if res.MemLimit != 80<<30 {
		t.Errorf("limit %d, want the simulated GPU's 80 GiB", res.MemLimit)
	}
}

// Without NVML a GPU sweep still runs, and its view says why the points
// carry no used memory.
func TestDashboardSweepWithoutNVMLSaysSo(t *testing.T) {
	deps := sweepTestDeps(nil)
	deps.registry.Register(engine.CUDA, func(engine.Device, *presets.Preset, engine.Options) (engine.Executor, error) {
		return &sleepExec{}, nil
	})
	tuning := dashboardTuning(tuningSetup{reg: deps.registry, cat: presets.NewCatalog(), threads: 1, gpuMem: monitorMemory(nil, gpuinfo.ErrNoDriver, "")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the configuration is under test, not the measuring
	var progressed []string
	res, _ := tuning.Sweep(ctx, "linear", "cuda:0", func(r sweep.Result, _ string) { progressed = append(progressed, r.Notes...) })
	hasNote := func(n string) bool { return strings.HasPrefix(n, "no NVML memory figures: NVML not available") }
	if !slices.ContainsFunc(res.Notes, hasNote) {
		t.Errorf("notes %q lack why there are no NVML figures", res.Notes)
	}
	if len(progressed) > 0 && !slices.ContainsFunc(progressed, hasNote) {
		t.Errorf("progress notes %q lack it", progressed)
	}
}

// A cuda:N the simulated GPUs do not have is an error for the sweep's figures, not a crash.
func TestMonitorMemoryUnknownOrdinal(t *testing.T) {
	mon := fakeGPUMonitor(t, 1)
	if _, _, _, err := monitorMemory(mon, nil, "")(engine.Device{Kind: engine.CUDA, Ordinal: 3}); err == nil {
		t.Error("cuda:3 on one GPU gave figures")
	}
}
