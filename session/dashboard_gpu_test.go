package session

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/sweep"
)

// The dashboard's s sweep on a GPU reads NVML's used memory at every point
// from the dashboard's own monitor (here the simulated GPUs of --fake-gpus),
// and measures headroom against NVML's total, as the headless sweep does.
func TestDashboardSweepGPUPointsCarryNVMLMemory(t *testing.T) {
	m := sleepMachine()
	m.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return fake.NewSleep(m, 0), nil
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
	tuning := testDashboard(m, DashboardSpec{Threads: 1}, gpus{mon: mon}, nil, nil)
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
	m := sleepMachine()
	m.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return fake.NewSleep(m, 0), nil
	})
	tuning := testDashboard(m, DashboardSpec{Threads: 1}, gpus{err: gpuinfo.ErrNoDriver}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the configuration is under test, not the measuring
	var progressed []string
	res, _ := tuning.Sweep(ctx, "linear", "cuda:0", func(r sweep.Result, _ string) { progressed = append(progressed, r.Notes...) })
	hasNote := func(n string) bool {
		return strings.HasPrefix(n, "no NVML memory or energy figures: NVML not available")
	}
	if !slices.ContainsFunc(res.Notes, hasNote) {
		t.Errorf("notes %q lack why there are no NVML figures", res.Notes)
	}
	if len(progressed) > 0 && !slices.ContainsFunc(progressed, hasNote) {
		t.Errorf("progress notes %q lack it", progressed)
	}
}

// A cuda:N the simulated GPUs do not have is an error for the sweep's figures, not a crash.
func TestGPUMemoryUnknownOrdinal(t *testing.T) {
	mon := fakeGPUMonitor(t, 1)
	if _, _, err := (gpus{mon: mon}).memory(engine.Device{Kind: engine.CUDA, Ordinal: 3}); err == nil {
		t.Error("cuda:3 on one GPU gave figures")
	}
}
func TestGPUMemorySumPicksTheRunsGPUs(t *testing.T) {
	s := gpuinfo.Sample{GPUs: []gpuinfo.GPU{
		{Index: 0, MemoryUsedBytes: gpuinfo.Some[uint64](1 << 30), MemoryTotalBytes: gpuinfo.Some[uint64](80 << 30)},
		{Index: 1, MemoryUsedBytes: gpuinfo.Some[uint64](2 << 30), MemoryTotalBytes: gpuinfo.Some[uint64](80 << 30)},
		{Index: 2, MemoryTotalBytes: gpuinfo.Some[uint64](40 << 30)},
	}}
	if u, tot := gpuMemorySum(s, []int{1}); u != 2<<30 || tot != 80<<30 {
		t.Errorf("GPU 1: %d / %d", u, tot)
	}
	if u, tot := gpuMemorySum(s, []int{0, 1, 2}); u != 3<<30 || tot != 200<<30 {
		t.Errorf("all: %d / %d (a GPU without a used reading adds none)", u, tot)
	}
}
