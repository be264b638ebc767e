package ui

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"infertop/engine"
	"infertop/report"
	"infertop/sweep"
)

// curveProber follows sps = 1000·b/(b+16), p99 = b+16 ms, memory 10 MiB + 1 MiB·b,
// and refuses batches above 200 MiB.
type curveProber struct{}

func (curveProber) fits(b int) error {
	if need := int64(10+b) << 20; need > 200<<20 {
		return &engine.OOMError{Device: "cpu", Batch: b, Need: need, Available: 200 << 20}
	}
	return nil
}

func (c curveProber) Fits(_ context.Context, b int) error { return c.fits(b) }

func (c curveProber) Measure(_ context.Context, b int) (sweep.Point, error) {
	if err := c.fits(b); err != nil {
		return sweep.Point{}, err
	}
	return sweep.Point{Batch: b, SamplesPerSec: 1000 * float64(b) / float64(b+16), P50MS: float64(b+16) * 0.9,
		P99MS: float64(b + 16), EngineBytes: int64(10+b) << 20, EstimateBytes: int64(10+b) << 20, Stable: b != 4}, nil
}

// withTuning gives fc the tuning jobs of a CPU dashboard: a sweep over
// curveProber, a race that reports compareFixture, exports into dir.
func withTuning(fc *fakeControl, dir string) {
	fc.exportDir = dir
	fc.sweep = func(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error) {
		return sweep.Run(ctx, sweep.Config{MemLimit: 200 << 20, EstimateEdge: true, Progress: progress}, curveProber{})
	}
	fc.compare = func(ctx context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
		r := compareFixture(preset, batch)
		progress(r)
		return r, nil
	}
}

func compareFixture(preset string, batch int) sweep.CompareResult {
	return sweep.CompareResult{Model: preset, A: sweep.Side{Device: "cpu", Threads: 1}, B: sweep.Side{Device: "cpu"},
		Points: []sweep.ComparePoint{{Batch: batch, SpeedUp: 1.83, Lo: 1.79, Hi: 1.88, Pairs: 5,
			A: sweep.SideStats{SamplesPerSec: 1234, P50MS: 207, P90MS: 210, P99MS: 215, Count: 24},
			B: sweep.SideStats{SamplesPerSec: 2258, P50MS: 113, P90MS: 118, P99MS: 131, Count: 44}}}}
}

// tuningModel is a CPU dashboard with fake tuning jobs.
func tuningModel(t *testing.T, w, h int) (*Model, *fakeControl) {
	m, fc := newTestModel(cpuSnapshot(), w, h)
	withTuning(fc, t.TempDir())
	m.WithBatchTuning(context.Background())
	return m, fc
}

// runTune runs the job a key started and feeds its messages back in order.
func runTune(m *Model, cmd tea.Cmd) {
	for _, msg := range runCmd(m, cmd) {
		m.Update(msg)
	}
}

func TestSweepViewRunsStopsAndResumes(t *testing.T) {
	m, fc := tuningModel(t, 100, 32)
	runTune(m, press(m, text("s")))
	if m.tune.view != tuneSweep || m.tune.running {
		t.Fatalf("view %d running %v", m.tune.view, m.tune.running)
	}
	r := m.tune.sw
	// 128 → 190 gains 3.8 %: the knee is 128, with 200 − 138 MiB of headroom.
	if r.Stop != sweep.StopOOM || r.Edge.Largest != 190 || r.Rec.Batch != 128 || r.Rec.HeadroomBytes != 62<<20 {
		t.Errorf("stop %q edge %+v rec %+v", r.Stop, r.Edge, r.Rec)
	}
	golden(t, "sweep_100x32", m.render())
	if calls := fc.Calls(); !slices.Equal(calls, []string{"pause"}) {
		t.Errorf("calls %v, want the run paused", calls)
	}
	// Esc once the job is done closes the view and resumes the run.
	runCmd(m, press(m, keyEsc))
	if m.tune.view != tuneNone || !slices.Equal(fc.Calls(), []string{"pause", "resume"}) {
		t.Errorf("view %d calls %v", m.tune.view, fc.Calls())
	}
}

func TestSweepViewLiveAndEscKeepsPoints(t *testing.T) {
	m, fc := tuningModel(t, 100, 32)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	fc.sweep = func(ctx context.Context, _, _ string, progress func(sweep.Result, string)) (sweep.Result, error) {
		close(started)
		<-ctx.Done()
		return sweep.Result{Stop: sweep.StopInterrupted, StopText: "interrupted while measuring batch 8",
			Points: []sweep.Point{{Batch: 1, SamplesPerSec: 58.8, P99MS: 17, Stable: true}}}, nil
	}
	m.tune.ctx = ctx
	cmd := press(m, text("s"))
	msgs := make(chan tea.Msg, 4)
	go func() { msgs <- cmd() }() // tea.Batch: run and wait in their own goroutines
	batch := (<-msgs).(tea.BatchMsg)
	go func() { msgs <- batch[0]() }()
	<-started
	// A progress message as the job would send it: the curves grow.
	p := sweep.Result{Points: []sweep.Point{{Batch: 1, SamplesPerSec: 58.8, P50MS: 15, P99MS: 17, EngineBytes: 11 << 20, Stable: true},
		{Batch: 2, SamplesPerSec: 111, P50MS: 16, P99MS: 18, EngineBytes: 12 << 20, Stable: true}}}
	m.Update(tuneProgressMsg{job: m.tune.job, sw: &p, status: "measuring batch 4"})
	golden(t, "sweep_live_100x32", m.render())
	press(m, keyEsc)
	if m.tune.status != "stopping…" {
		t.Errorf("status %q", m.tune.status)
	}
	m.Update(<-msgs)
	if m.tune.running || m.tune.view != tuneSweep || len(m.tune.sw.Points) != 1 || !strings.Contains(m.tune.status, "interrupted") {
		t.Errorf("after esc: running %v view %d points %d status %q", m.tune.running, m.tune.view, len(m.tune.sw.Points), m.tune.status)
	}
	m.StopTuning()
}

func TestCompareView(t *testing.T) {
	m, _ := tuningModel(t, 100, 32)
	runTune(m, press(m, text("c")))
	if m.tune.view != tuneCompare || m.tune.batch != 256 {
		t.Fatalf("view %d batch %d", m.tune.view, m.tune.batch)
	}
	golden(t, "compare_100x32", m.render())
	m2, _ := tuningModel(t, 80, 24)
	m2.tune.view, m2.tune.running, m2.tune.model, m2.tune.batch, m2.tune.status = tuneCompare, true, "resnet", 64, "starting…"
	golden(t, "compare_warming_80x24", m2.render())
}

func TestExportWritesTheRun(t *testing.T) {
	m, fc := tuningModel(t, 100, 32)
	runTune(m, press(m, text("s")))
	runCmd(m, press(m, keyEsc))
	runTune(m, press(m, text("c")))
	runTune(m, press(m, text("e")))
	path, ok := strings.CutPrefix(m.status, "run written to ")
	if !ok || m.statusBad || !strings.HasSuffix(path, "infertop-run-mlp-cpu-20250314-120013.json") {
		t.Fatalf("status %q", m.status)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc report.RunExport
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Snapshot.Model != "mlp" || doc.LatencyMS["p99"] != 41 || doc.LatencyMS["count"] != 420 ||
		len(doc.Events) != len(cpuSnapshot().Events) || doc.Compare == nil || doc.Sweep == nil || len(doc.Sweep.Points) != 9 {
		t.Errorf("export %+v", doc.LatencyMS)
	}
	fc.exportDir = "/nonexistent/dir"
	runTune(m, press(m, text("e")))
	if !m.statusBad || !strings.HasPrefix(m.status, "export: ") {
		t.Errorf("status %q", m.status)
	}
}

func TestTuningUnavailableAndSizes(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 80, 24)
	if cmd := press(m, text("s")); cmd != nil || !strings.Contains(m.status, "not available") || m.tune.view != tuneNone {
		t.Errorf("status %q view %d", m.status, m.tune.view)
	}
	for _, v := range []tuneView{tuneSweep, tuneCompare} {
		m, _ := tuningModel(t, 80, 24)
		runTune(m, press(m, text(map[tuneView]string{tuneSweep: "s", tuneCompare: "c"}[v])))
		for w := 20; w <= 220; w += 17 {
			for h := 5; h <= 70; h += 9 {
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
				checkSize(t, m.render(), w, h)
			}
		}
	}
}

func TestQuitBeforeTheJobBegins(t *testing.T) {
	m, _ := tuningModel(t, 100, 32)
	_ = press(m, text("s")) // the job's command is never run
	if cmd := press(m, text("q")); cmd == nil {
		t.Fatal("q in the sweep view did not quit")
	}
	m.StopTuning() // returns: the job never began
}
