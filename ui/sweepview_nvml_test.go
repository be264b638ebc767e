package ui

import (
	"context"
	"strings"
	"testing"

	"infertop/sweep"
)

// A sweep on a GPU shows NVML's used memory at each point, marked as NVML's,
// as the headless sweep's table does; a CPU sweep's RSS takes the same column.
func TestSweepViewShowsNVMLUsedMemory(t *testing.T) {
	m, _ := newTestModel(gpuSnapshot(), 100, 32)
	fns := fakeTuning(t.TempDir())
	fns.Sweep = func(_ context.Context, _, _ string, progress func(sweep.Result, string)) (sweep.Result, error) {
		r := sweep.Result{Stop: sweep.StopGain, StopText: "gain below 5 % twice", MemLimit: 80 << 30, Points: []sweep.Point{
			{Batch: 1, SamplesPerSec: 950, P50MS: 1, P99MS: 1.2, EngineBytes: 40 << 20, DeviceUsedBytes: 3 << 30, Stable: true},
			{Batch: 2, SamplesPerSec: 1800, P50MS: 1.1, P99MS: 1.3, EngineBytes: 41 << 20, DeviceUsedBytes: 3<<30 + 512<<20, Stable: true},
		}}
		progress(r, "done")
		return r, nil
	}
	m.WithBatchTuning(context.Background(), fns)
	runTune(m, press(m, text("s")))
	view := m.render()
	for _, want := range []string{"RSS / GPU used", "3.0 GiB (NVML)", "3.5 GiB (NVML)"} {
		if !strings.Contains(view, want) {
			t.Errorf("the sweep view lacks %q:\n%s", want, view)
		}
	}
	golden(t, "sweep_gpu_100x32", view)
}
