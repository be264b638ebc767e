package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// runFake runs a fake-clock run to its MaxMeasure and returns the final snapshot.
func runFake(t *testing.T, cfg Config, lat func(int) time.Duration, timing engine.Timing) Snapshot {
	t.Helper()
	clk := &fakeClock{}
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{clock: clk, lat: lat, timing: timing} }}
	cfg.Registry, cfg.Catalog, cfg.Clock = env.registry(), presets.NewModels(presets.DefaultSeed), clk
	if cfg.Model == "" {
		cfg.Model, cfg.Device = "mlp", "cpu"
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Wait() // nobody reads Snapshots(): the loop must still finish
	s := r.Latest()
	if s.State != Done || s.Err != "" {
		t.Fatalf("state %v err %q", s.State, s.Err)
	}
	return s
}

func TestThroughputCountsSamplesAndWarmupIsExcluded(t *testing.T) {
	// 10 slow batches (allocation, JIT) then 1 ms per batch.
	lat := func(i int) time.Duration {
		if i <= 10 {
			return 50 * time.Millisecond
		}
		return time.Millisecond
	}
	s := runFake(t, Config{Batch: 32, MaxMeasure: 5 * time.Second}, lat, engine.Timing{})
	if s.Overall.SamplesPerSec != 32000 || s.Overall.BatchesPerSec != 1000 {
		t.Errorf("throughput %v samples/s, %v batches/s; want 32000 and 1000", s.Overall.SamplesPerSec, s.Overall.BatchesPerSec)
	}
	if s.Overall.Samples != 32*s.Overall.Batches || s.Latency.Count != s.Overall.Batches {
		t.Errorf("samples %d batches %d count %d", s.Overall.Samples, s.Overall.Batches, s.Latency.Count)
	}
	// Warm-up windows of half a second: 0–0.5 s holds the slow batches (10),
	// 0.5–1 s 500: they differ; 1–1.5 s agrees with 0.5–1 s, so warm-up ends
	// at 1.5 s.
	if s.WarmupTime != 1500*time.Millisecond || !s.WarmupSettled || s.WarmupBatches != 10+500+500 {
		t.Errorf("warm-up %v settled %v batches %d", s.WarmupTime, s.WarmupSettled, s.WarmupBatches)
	}
	if s.Latency.Max != time.Millisecond || s.Measured != 5*time.Second {
		t.Errorf("max %v measured %v: warm-up batches leaked into the measurement", s.Latency.Max, s.Measured)
	}
	if !s.Stability.Both() || s.State != Done || s.Stability.WindowCount != 5 {
		t.Errorf("constant latency not stable: %+v", s.Stability)
	}
	// mlp: 2 × (784·1024 + 1024·1024 + 1024·10) FLOPs per sample.
	flops := float64(2 * (784*1024 + 1024*1024 + 1024*10))
	if want := flops * 32000 / 1e9; s.GFLOPS != want || s.PctPeak != 100*want/100 {
		t.Errorf("GFLOPS %v pct %v, want %v", s.GFLOPS, s.PctPeak, want)
	}
	if s.Memory.HostBytes != 32 || s.Info.Engine != "fake" {
		t.Errorf("memory %+v info %+v", s.Memory, s.Info)
	}
}

func TestStabilityRules(t *testing.T) {
	base := Config{Batch: 1, Warmup: time.Second, MaxMeasure: 6 * time.Second}
	// Per batch 1,1,2 ms: every window looks alike, but IQR/median is 1.
	s := runFake(t, base, func(i int) time.Duration { return time.Duration(1+i%3/2) * time.Millisecond }, engine.Timing{})
	if !s.Stability.Windows || s.Stability.IQR || math.Abs(s.Stability.IQROverMedian-1) > 0.002 {
		t.Errorf("1,1,2 pattern: %+v", s.Stability)
	}
	// Latency grows by 0.4 ms a second: the last 3 windows spread > 10 %,
	// and the warm-up cannot settle, so it ends at MaxWarmup.
	cfg := base
	cfg.MaxWarmup = 2 * time.Second
	clkLat := func() func(int) time.Duration {
		var elapsed time.Duration
		return func(int) time.Duration {
			d := time.Duration(float64(time.Millisecond) * (1 + 0.4*elapsed.Seconds()))
			elapsed += d
			return d
		}
	}
	s = runFake(t, cfg, clkLat(), engine.Timing{})
	if s.Stability.Windows || s.Stability.ThroughputSpread <= 0.1 || s.WarmupSettled {
		t.Errorf("drifting latency: %+v settled %v", s.Stability, s.WarmupSettled)
	}
	if !strings.Contains(s.Events[len(s.Events)-1].Text, "requested time") {
		t.Errorf("last event %+v", s.Events[len(s.Events)-1])
	}
}

// A run whose windows rule holds and fails by turns (one slow second in
// five) lists its stability at most once per StabilityQuiet, alternating,
// says how many changes it passed over, and ends on the final state.
func TestFlappingStabilityIsListedSparingly(t *testing.T) {
	var elapsed time.Duration
	lat := func(int) time.Duration {
		d := time.Millisecond
		if elapsed >= 2*time.Second && (elapsed/time.Second)%5 == 4 {
			d = 1200 * time.Microsecond
		}
		elapsed += d
		return d
	}
	s := runFake(t, Config{Batch: 1, Warmup: time.Second, MaxWarmup: 2 * time.Second, MaxMeasure: 60 * time.Second}, lat, engine.Timing{})
	var listed []Event
	for _, e := range s.Events {
		if e.Kind == EventStable || e.Kind == EventUnstable {
			listed = append(listed, e)
		}
	}
	if len(listed) < 3 || len(listed) > 8 {
		t.Fatalf("%d stability events over 60 s, want 3 to 8:\n%v", len(listed), listed)
	}
	passedOver := false
	for i, e := range listed {
		passedOver = passedOver || strings.Contains(e.Text, "; it changed 4 more times in the last 1")
		if i == 0 {
			continue
		}
		if e.Kind == listed[i-1].Kind {
			t.Errorf("two %v events in a row: %q, %q", e.Kind, listed[i-1].Text, e.Text)
		}
		if gap := e.Time.Sub(listed[i-1].Time); gap < StabilityQuiet && i < len(listed)-1 {
			t.Errorf("events %v apart: %q after %q", gap, e.Text, listed[i-1].Text)
		}
	}
	if !passedOver {
		t.Errorf("no event says how many changes it passed over:\n%v", listed)
	}
	if last := listed[len(listed)-1]; (last.Kind == EventStable) != s.Stability.Both() {
		t.Errorf("last stability event %q, final stability %+v", last.Text, s.Stability)
	}
}

func TestStabilityWhyNamesTheFigures(t *testing.T) {
	for _, c := range []struct {
		s    Stability
		want string
	}{
		{Stability{Windows: true, IQR: true, WindowCount: 5}, ""},
		{Stability{Windows: true, WindowCount: 5, IQROverMedian: 0.104}, "IQR/median 10.4 % (limit 10 %)"},
		{Stability{IQR: true, WindowCount: 5, ThroughputSpread: 0.05, P50Spread: 0.123},
			"windows within 12.3 % (limit 10 %)"},
		{Stability{WindowCount: 2, IQROverMedian: 0.2}, "2 of 3 windows measured, IQR/median 20.0 % (limit 10 %)"},
	} {
		if got := c.s.Why(); got != c.want {
			t.Errorf("%+v: Why() = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestSplitWarnings(t *testing.T) {
	tm := engine.Timing{Valid: true, H2D: 3 * time.Millisecond, Compute: 2 * time.Millisecond, D2H: time.Millisecond, Enqueue: 1700 * time.Microsecond}
	s := runFake(t, Config{Batch: 8, MaxMeasure: 2 * time.Second}, constLat(6*time.Millisecond), tm)
	sp := s.Split
	if !sp.Valid || !sp.TransferBound || !sp.LaunchBound || sp.Compute.Mean != 2*time.Millisecond || sp.H2D.Mean != 3*time.Millisecond || sp.Compute.P50 < 2*time.Millisecond || sp.Compute.P50 > 2002*time.Microsecond {
		t.Errorf("split %+v", sp)
	}
	if len(sp.Warnings()) != 2 {
		t.Errorf("warnings %v", sp.Warnings())
	}
}

// waitFor polls the latest snapshot until ok holds (a deadline, not a timing assertion).
func waitFor(t *testing.T, r *Runner, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := r.Latest(); ok(s) {
			return s
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never reached: %s (latest %+v)", what, r.Latest())
	return Snapshot{}
}

// The snapshot's engine description follows each Prepare: an engine may
// describe the batch it prepared (the CUDA engine says how its convolutions run).
func TestInfoFollowsTheBatch(t *testing.T) {
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{oomOver: 500} }}
	r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu",
		Batch: 4, Warmup: time.Millisecond, Window: time.Millisecond, PublishInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if s := waitFor(t, r, "batch 4 open", func(s Snapshot) bool { return s.Batch == 4 && s.Info.Engine != "" }); s.Info.Detail != "prepared for batch 4" {
		t.Errorf("at batch 4 the detail is %q", s.Info.Detail)
	}
	if err := r.SetBatch(8); err != nil {
		t.Fatal(err)
	}
	if s := r.Latest(); s.Batch != 8 || s.Info.Detail != "prepared for batch 8" {
		t.Errorf("after SetBatch(8): batch %d, detail %q", s.Batch, s.Info.Detail)
	}
	if err := r.SetBatch(1000); !errors.Is(err, engine.ErrOutOfMemory) {
		t.Fatalf("SetBatch(1000): %v, want out of memory", err)
	}
	if s := r.Latest(); s.Batch != 8 || s.Info.Detail != "prepared for batch 8" {
		t.Errorf("after the refused batch: batch %d, detail %q", s.Batch, s.Info.Detail)
	}
	r.Stop()
}

func TestLifecycle(t *testing.T) {
	before := runtime.NumGoroutine()
	env := &fakeEnv{mk: func(n int) *fakeExec {
		f := &fakeExec{oomOver: 500}
		if n == 1 {
			f.panicAt = 200
		}
		return f
	}}
	r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu",
		Batch: 4, Warmup: time.Millisecond, Window: time.Millisecond, PublishInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Pause(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Pause before Start: %v", err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err == nil {
		t.Error("a second Start was accepted")
	}
	// The first executor panics on its 200th batch.
	s := waitFor(t, r, "error after panic", func(s Snapshot) bool { return s.State == Error })
	if !strings.Contains(s.Err, "panicked: boom") || s.Events[len(s.Events)-1].Kind != EventError {
		t.Errorf("err %q events %+v", s.Err, s.Events)
	}
	// New commands are accepted after the panic: a batch change opens a fresh executor.
	if err := r.SetBatch(16); err != nil {
		t.Fatal(err)
	}
	s = waitFor(t, r, "measuring at 16", func(s Snapshot) bool { return s.Batch == 16 && s.Latency.Count > 0 })
	id := s.RunID
	if err := r.Pause(); err != nil {
		t.Fatal(err)
	}
	if s = r.Latest(); s.State != Paused {
		t.Errorf("after Pause: %v", s.State)
	}
	// Reset while paused, so that no batch runs between it and Latest.
	if err := r.Reset(); err != nil {
		t.Fatal(err)
	}
	if s = r.Latest(); s.RunID == id || s.Latency.Count != 0 {
		t.Errorf("Reset kept run %d count %d", s.RunID, s.Latency.Count)
	}
	if err := r.Resume(); err != nil {
		t.Fatal(err)
	}
	err = r.SetBatch(1000)
	if !errors.Is(err, engine.ErrOutOfMemory) {
		t.Errorf("SetBatch(1000) over the limit: %v", err)
	}
	s = r.Latest()
	// The loop runs on after the refusal, so a later event (warm-up done) may
	// already follow the out-of-memory one.
	oom := slices.ContainsFunc(s.Events, func(e Event) bool { return e.Kind == EventOutOfMemory })
	if s.Batch != 16 || !s.State.Running() || !oom {
		t.Errorf("after OOM: batch %d state %v events %+v", s.Batch, s.State, s.Events)
	}
	if err := r.SetBatch(0); err == nil {
		t.Error("SetBatch(0) accepted")
	}
	if err := r.SetDevice("cuda:0"); err == nil || !strings.Contains(err.Error(), "no GPU in tests") {
		t.Errorf("SetDevice(cuda:0): %v", err)
	}
	if err := r.SetModel("nope"); err == nil || !strings.Contains(err.Error(), "valid:") {
		t.Errorf("SetModel(nope): %v", err)
	}
	if err := r.SetModel("lenet5"); err != nil {
		t.Fatal(err)
	}
	if s = r.Latest(); s.Model != "lenet5" || s.Batch != 256 || s.Device != "cpu" {
		t.Errorf("after SetModel: %s %d %s", s.Model, s.Batch, s.Device)
	}
	r.Stop()
	r.Stop()
	if s = r.Latest(); s.State != Done {
		t.Errorf("after Stop: %v", s.State)
	}
	if err := r.Resume(); !errors.Is(err, ErrStopped) {
		t.Errorf("Resume after Stop: %v", err)
	}
	if env.opened != 3 || int(env.closed.Load()) != 3 {
		t.Errorf("executors: %v; every one opened must be closed", env)
	}
	for i := 0; i < 1000 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Stop, %d before", n, before)
	}
}

func TestSnapshotsAreDeliveredAndCopied(t *testing.T) {
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{} }}
	r, _ := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "linear", Device: "cpu",
		Warmup: time.Millisecond, Window: time.Millisecond, PublishInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_ = r.Start(ctx)
	var last uint64
	for i := 0; i < 20; i++ {
		s := <-r.Snapshots()
		if s.Seq <= last {
			t.Fatalf("snapshot seq %d after %d", s.Seq, last)
		}
		last = s.Seq
		if len(s.Windows) > 0 {
			s.Windows[0].Batches = -1 // a reader's copy: must not disturb the runner
		}
	}
	cancel()
	r.Wait()
	for _, w := range r.Latest().Windows {
		if w.Batches < 0 {
			t.Fatal("a snapshot shares its windows with the runner")
		}
	}
}

// Slow batches make each window longer than Config.Window (a window needs
// MinWindowBatches batches): a timed run still ends only once the three
// windows the stability rule compares exist.
func TestTimedRunMeasuresThreeWindowsOfSlowBatches(t *testing.T) {
	s := runFake(t, Config{Batch: 4, Warmup: time.Second, MaxMeasure: 2 * time.Second},
		constLat(300*time.Millisecond), engine.Timing{})
	// 5 batches of 300 ms make a 1.5 s window; three of them take 4.5 s.
	if s.Stability.WindowCount != StabilityWindows || s.Measured != 4500*time.Millisecond || s.Overall.Batches != 15 {
		t.Errorf("windows %d, measured %v, batches %d; want 3, 4.5s, 15", s.Stability.WindowCount, s.Measured, s.Overall.Batches)
	}
	if !s.Stability.Windows {
		t.Errorf("three equal windows do not satisfy the window rule: %+v", s.Stability)
	}
}

// Run ids count on from FirstRunID, so a caller running one runner per batch
// size never repeats one; without it the first run is 1.
func TestRunIDsFollowFirstRunID(t *testing.T) {
	for _, tc := range []struct{ first, want uint64 }{{0, 1}, {7, 8}} {
		s := runFake(t, Config{Batch: 4, MaxMeasure: time.Second, FirstRunID: tc.first}, constLat(time.Millisecond), engine.Timing{})
		if s.RunID != tc.want {
			t.Errorf("FirstRunID %d: run id %d, want %d", tc.first, s.RunID, tc.want)
		}
	}
}

// recalExec is a fakeExec that measures its peak again: to newPeak, taking
// a second of the fake clock.
type recalExec struct {
	*fakeExec
	newPeak float64
	calls   *int
}

func (r recalExec) RecalibratePeak(context.Context) (engine.Info, error) {
	*r.calls++
	r.clock.Advance(time.Second)
	r.peak = r.newPeak
	info := r.Info()
	info.Peak = engine.Peak{Runs: 7, Spread: 0.02}
	return info, nil
}

// A window that beats the peak "% of peak" divides by shows the peak is
// not one: the runner measures it again once, between two windows with the
// clocks stopped, and says so; when the window still beats it, or the
// executor cannot measure again, the snapshots mark the peak stale. Below
// the peak nothing happens.
func TestPeakBeaten(t *testing.T) {
	// mlp at batch 32, 1 ms per batch: 32,000 samples/s of 3,709,440 FLOPs
	// each is 118.7 GFLOP/s.
	const (
		again = "a window reached 119 GFLOP/s, 119 %% of the sgemm peak of 100 GFLOP/s, which a peak cannot be: measured it again, %s GFLOP/s (best of 7 rounds, spread 2.0 %%)"
		stale = "a window reached 119 GFLOP/s, above the sgemm peak of %s GFLOP/s: the peak is stale, and %% of peak is marked so; `infertop calibrate --device cpu --threads 2` on a quiet machine measures it again"
	)
	for _, c := range []struct {
		name          string
		peak, newPeak float64 // newPeak 0: the executor cannot measure again
		events        []string
		stale         bool
		calls         int
		divides       float64 // the peak % of peak divides by at the end
	}{
		{"below the peak", 200, 300, nil, false, 0, 200},
		{"cannot measure again", 115, 0, []string{fmt.Sprintf(stale, "115")}, true, 0, 115},
		{"measured higher", 100, 150, []string{fmt.Sprintf(again, "150")}, false, 1, 150},
		{"still beaten", 100, 110, []string{fmt.Sprintf(again, "110"), fmt.Sprintf(stale, "110")}, true, 1, 110},
	} {
		clk := &fakeClock{}
		calls := 0
		reg := engine.NewRegistry()
		reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
			f := &fakeExec{clock: clk, lat: constLat(time.Millisecond), peak: c.peak, threads: 2}
			if c.newPeak == 0 {
				return f, nil
			}
			return recalExec{fakeExec: f, newPeak: c.newPeak, calls: &calls}, nil
		})
		r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Clock: clk, Model: "mlp", Device: "cpu",
			Batch: 32, MaxMeasure: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		s := r.Latest()
		var got []string
		for _, e := range s.Events {
			if e.Kind == EventWarning && strings.Contains(e.Text, "GFLOP/s") {
				got = append(got, e.Text)
			}
		}
		if pct := 100 * s.GFLOPS / c.divides; !slices.Equal(got, c.events) || s.PeakStale != c.stale || calls != c.calls || math.Abs(s.PctPeak-pct) > 1e-9 {
			t.Errorf("%s: events %q\nwant %q\nstale %v (want %v), %d measurements (want %d), %% of peak %v (want %v)",
				c.name, got, c.events, s.PeakStale, c.stale, calls, c.calls, s.PctPeak, pct)
		}
		// The second the peak took to measure again is neither warm-up nor measured time.
		if lost := s.Elapsed - s.WarmupTime - s.Measured; lost != time.Duration(c.calls)*time.Second {
			t.Errorf("%s: %v of the run is neither warm-up nor measured, want %d s", c.name, lost, c.calls)
		}
	}
}
