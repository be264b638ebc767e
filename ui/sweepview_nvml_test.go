package ui

import (
	"context"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"

	"infertop/runner"
	"infertop/sweep"
)

// A sweep on a GPU shows NVML's used memory at each point, marked as NVML's,
// as the headless sweep's table does (a CPU sweep's RSS takes the same
// column), and the energy per sample where the runner knew it.
func TestSweepViewShowsNVMLUsedMemory(t *testing.T) {
	m, fc := newTestModel(gpuSnapshot(), 100, 32)
	withTuning(fc, t.TempDir())
	fc.sweep = func(_ context.Context, _, _ string, progress func(sweep.Result, string)) (sweep.Result, error) {
		r := sweep.Result{Stop: sweep.StopGain, StopText: "gain below 5 % twice", MemLimit: 80 << 30, Points: []sweep.Point{
			{Batch: 1, SamplesPerSec: 950, P50MS: 1, P99MS: 1.2, EngineBytes: 40 << 20, DeviceUsedBytes: 3 << 30, Stable: true,
				Energy: runner.Energy{Valid: true, Joules: 240, Samples: 2000, JoulesPerSample: 0.12}},
			{Batch: 2, SamplesPerSec: 1800, P50MS: 1.1, P99MS: 1.3, EngineBytes: 41 << 20, DeviceUsedBytes: 3<<30 + 512<<20, Stable: true},
		}}
		progress(r, "done")
		return r, nil
	}
	m.WithBatchTuning(context.Background())
	runTune(m, press(m, text("s")))
	view := m.render()
	for _, want := range []string{"RSS / GPU used", "3.0 GiB (NVML)", "3.5 GiB (NVML)", "J/sample",
		"1 950 1.2 40.0 MiB 3.0 GiB (NVML) 0.12", "2 1800 1.3 41.0 MiB 3.5 GiB (NVML) -"} {
		if !strings.Contains(noBars(view), want) {
			t.Errorf("the sweep view lacks %q:\n%s", want, view)
		}
	}
	golden(t, "sweep_gpu_100x32", view)
}

// A race with a GPU side shows that side's energy per sample; the CPU side has none.
func TestCompareViewShowsEnergy(t *testing.T) {
	m, fc := newTestModel(gpuSnapshot(), 100, 32)
	withTuning(fc, t.TempDir())
	fc.compare = func(_ context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
		r := compareFixture(preset, batch)
		r.B.Device = "cuda:0"
		r.Points[0].B.Energy = runner.Energy{Valid: true, Joules: 10, Samples: 8000, JoulesPerSample: 0.00125}
		progress(r)
		return r, nil
	}
	m.WithBatchTuning(context.Background())
	runTune(m, press(m, text("c")))
	var row string
	for _, l := range strings.Split(m.render(), "\n") {
		if strings.Contains(l, "J/sample") {
			row = strings.Join(strings.Fields(l), " ")
		}
	}
	if row != "J/sample - 0.00125" {
		t.Errorf("the race's energy row is %q, want \"J/sample - 0.00125\"", row)
	}
	m2, _ := tuningModel(t, 100, 32)
	runTune(m2, press(m2, text("c")))
	if v := m2.render(); strings.Contains(v, "J/sample") {
		t.Errorf("a race without energy figures shows an energy row:\n%s", v)
	}
}

// A race whose result carries a note (a side's energy counter failed) shows
// it, wrapped to the width.
func TestCompareViewShowsNotes(t *testing.T) {
	m, fc := newTestModel(gpuSnapshot(), 80, 32)
	withTuning(fc, t.TempDir())
	note := "B (cuda:0): reading its energy counter failed (GPU is lost); its J/sample counts only the windows where it was read"
	fc.compare = func(_ context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
		r := compareFixture(preset, batch)
		r.B.Device = "cuda:0"
		r.Notes = []string{note}
		progress(r)
		return r, nil
	}
	m.WithBatchTuning(context.Background())
	runTune(m, press(m, text("c")))
	v := m.render()
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "note: "+note) {
		t.Errorf("the race view lacks the note:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("line wider than 80 cells (%d): %q", w, l)
		}
	}
}

// noBars is a view's text without bar glyphs, each line's fields joined by one space.
func noBars(v string) string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		l = strings.Map(func(r rune) rune {
			if r >= '█' && r <= '▏' {
				return ' '
			}
			return r
		}, l)
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}
