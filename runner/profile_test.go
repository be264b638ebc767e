package runner

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// profExec is a fake executor whose steps take known times on the fake
// clock in a profiling batch, plus outside for what no step covers; a
// measured batch takes the fakeExec's latency.
type profExec struct {
	*fakeExec
	steps    []engine.Step
	stepLat  []time.Duration
	outside  time.Duration
	profiled int
}

func (p *profExec) Steps() []engine.Step { return p.steps }

func (p *profExec) RunProfiled(in, out []*model.Tensor, times []time.Duration) (engine.Timing, error) {
	p.profiled++
	for i, d := range p.stepLat {
		times[i] = d
		p.clock.Advance(d)
	}
	p.clock.Advance(p.outside)
	return engine.Timing{}, nil
}

// profRegistry opens profExecs on the CPU: measured batches of 1 ms;
// profiling batches of steps a (3 ms), b (5 ms), c (1 ms) and 1 ms outside.
func profRegistry(clk *fakeClock) (*engine.Registry, *[]*profExec) {
	var opened []*profExec
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		p := &profExec{fakeExec: &fakeExec{clock: clk, lat: constLat(time.Millisecond)},
			steps: []engine.Step{
				{Name: "a", Op: "FusedConv", Covers: []string{"conv_a", "relu_a"}, FLOPs: 3e7, Bytes: 6e6, Way: "im2col + sgemm", Threads: 2},
				{Name: "b", Op: "Linear", Covers: []string{"fc_b"}, FLOPs: 1e8, Bytes: 5e7, Way: "sgemm", Threads: 2},
				{Name: "c", Op: "Relu", Covers: []string{"relu_c"}, Bytes: 1e6, Way: "element-wise kernel", Threads: 1},
			},
			stepLat: []time.Duration{3 * time.Millisecond, 5 * time.Millisecond, time.Millisecond},
			outside: time.Millisecond}
		opened = append(opened, p)
		return p, nil
	})
	return reg, &opened
}

// A synthetic engine of known step times: the steps come slowest first with
// their shares, rates and % of peak; the rows add up to the profiling
// batches' latency; and profiling batches are kept out of the histogram,
// the throughput and the measured time.
func TestProfileOfKnownSteps(t *testing.T) {
	clk := &fakeClock{}
	reg, opened := profRegistry(clk)
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 4,
		Clock: clk, Warmup: 100 * time.Millisecond, MaxMeasure: 2 * time.Second, ProfileEvery: 10, RecordLatencies: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	s := r.Latest()
	if s.State != Done || s.Err != "" {
		t.Fatalf("state %v err %q", s.State, s.Err)
	}
	p := s.Profile
	if p == nil {
		t.Fatal("no profile")
	}
	// Left out of every measured figure: every measured batch takes 1 ms, a
	// profiling batch 10 ms.
	if s.Latency.Max != time.Millisecond || s.Overall.BatchesPerSec != 1000 || s.Overall.SamplesPerSec != 4000 {
		t.Errorf("max %v, %v batches/s, %v samples/s: profiling batches leaked into the measurement", s.Latency.Max, s.Overall.BatchesPerSec, s.Overall.SamplesPerSec)
	}
	if s.Measured != time.Duration(s.Overall.Batches)*time.Millisecond || s.LatenciesRecorded != s.Overall.Batches {
		t.Errorf("measured %v for %d batches, %d latencies recorded", s.Measured, s.Overall.Batches, s.LatenciesRecorded)
	}
	for _, w := range s.Windows {
		if w.Duration != time.Duration(w.Batches)*time.Millisecond {
			t.Errorf("window %d: %v for %d batches", w.Index, w.Duration, w.Batches)
		}
	}
	// One batch in 10: 9 measured, then one profiled; the run ends on a
	// measured batch.
	if got := p.Batches; got != (s.Overall.Batches-1)/9 || int64((*opened)[0].profiled) != got {
		t.Errorf("%d profiling batches (the engine ran %d) for %d measured", got, (*opened)[0].profiled, s.Overall.Batches)
	}
	if p.Every != 10 || p.Kept != int(min(p.Batches, ProfileKeep)) || p.Batch != 10*time.Millisecond || p.PeakGFLOPS != 100 {
		t.Errorf("profile %+v", *p)
	}
	want := []struct {
		name                         string
		p50                          time.Duration
		share, gflops, gbps, pctPeak float64
	}{
		{"b", 5 * time.Millisecond, 0.5, 20, 10, 20},
		{"a", 3 * time.Millisecond, 0.3, 10, 2, 10},
		{"c", time.Millisecond, 0.1, 0, 1, 0},
	}
	if len(p.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(p.Steps), len(want))
	}
	for i, w := range want {
		g := p.Steps[i]
		if g.Name != w.name || g.P50 != w.p50 || !near(g.Share, w.share) || !near(g.GFLOPS, w.gflops) || !near(g.GBPS, w.gbps) || !near(g.PctPeak, w.pctPeak) {
			t.Errorf("row %d: %s p50 %v share %v %v GFLOP/s %v GB/s %v %% of peak; want %+v", i, g.Name, g.P50, g.Share, g.GFLOPS, g.GBPS, g.PctPeak, w)
		}
		if g.Sum != time.Duration(p.Batches)*w.p50 {
			t.Errorf("row %d: sum %v over %d batches", i, g.Sum, p.Batches)
		}
	}
	if p.Steps[1].Index != 0 || strings.Join(p.Steps[1].Covers, ",") != "conv_a,relu_a" || p.Steps[1].Way != "im2col + sgemm" {
		t.Errorf("step a lost its description: %+v", p.Steps[1])
	}
	if p.Outside != time.Millisecond || !near(p.OutsideShare, 0.1) || math.Abs(p.Closure-1) > 0.05 {
		t.Errorf("outside %v (%v of the batch), rows add up to %v of it", p.Outside, p.OutsideShare, p.Closure)
	}
}

// near reports a within a millionth of b (or of 0).
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(b)) }

// The profile's figures are medians over the latest profiling batches, and
// the outside row closes the gap whatever the steps take.
func TestProfileMedians(t *testing.T) {
	p := profiler{every: 2, steps: []engine.Step{{Name: "x"}, {Name: "y"}}}
	p.times = make([]time.Duration, 2)
	p.ring = make([]time.Duration, 2*ProfileKeep)
	p.lat, p.outside = make([]time.Duration, ProfileKeep), make([]time.Duration, ProfileKeep)
	p.sums, p.scratch = make([]time.Duration, 2), make([]time.Duration, ProfileKeep)
	// x takes 1, 2, 9 ms; y 4 ms; 1 ms outside.
	for _, x := range []time.Duration{1, 9, 2} {
		p.times[0], p.times[1] = x*time.Millisecond, 4*time.Millisecond
		p.record((x + 5) * time.Millisecond)
	}
	pr := p.compute(0)
	if pr.Batch != 7*time.Millisecond || pr.Steps[0].Name != "y" || pr.Steps[0].P50 != 4*time.Millisecond ||
		pr.Steps[1].P50 != 2*time.Millisecond || pr.Outside != time.Millisecond || pr.Steps[1].PctPeak != 0 {
		t.Errorf("profile %+v", pr)
	}
	if !near(pr.Closure, 1) {
		t.Errorf("closure %v", pr.Closure)
	}
	// An even count: the mean of the middle two; the ring keeps the latest.
	for i := 0; i < ProfileKeep+1; i++ {
		p.times[0] = time.Duration(i%2+1) * time.Millisecond
		p.record(p.times[0] + 5*time.Millisecond)
	}
	if pr := p.compute(0); pr.Kept != ProfileKeep || pr.Batches != ProfileKeep+4 || pr.Steps[1].P50 != 1500*time.Microsecond {
		t.Errorf("after %d batches: kept %d, x's p50 %v", pr.Batches, pr.Kept, pr.Steps[1].P50)
	}
}

// An executor that cannot time its steps gives a profile that says so, and
// the run measures as without it; a profile off gives none.
func TestProfileUnsupportedAndOff(t *testing.T) {
	s := runFake(t, Config{Batch: 2, MaxMeasure: time.Second, ProfileEvery: 5}, constLat(time.Millisecond), engine.Timing{})
	if s.Profile == nil || s.Profile.Steps != nil || s.Profile.Note != "the fake engine does not time its steps" || s.Overall.BatchesPerSec != 1000 {
		t.Errorf("profile %+v, %v batches/s", s.Profile, s.Overall.BatchesPerSec)
	}
	if s := runFake(t, Config{Batch: 2, MaxMeasure: time.Second}, constLat(time.Millisecond), engine.Timing{}); s.Profile != nil {
		t.Errorf("profile off: %+v", s.Profile)
	}
	for _, every := range []int{-1, 1} {
		_, err := New(Config{Registry: engine.NewRegistry(), Catalog: presets.NewModels(presets.DefaultSeed), ProfileEvery: every})
		if err == nil || !strings.Contains(err.Error(), "0 (off) or at least 2") {
			t.Errorf("ProfileEvery %d: %v", every, err)
		}
	}
}

// A reset starts the profile again with the run.
func TestProfileResetsWithTheRun(t *testing.T) {
	clk := &fakeClock{}
	reg, _ := profRegistry(clk)
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 4,
		Clock: clk, Warmup: 100 * time.Millisecond, ProfileEvery: 2, PublishInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	waitFor(t, r, "profiling batches", func(s Snapshot) bool { return s.Profile != nil && s.Profile.Batches > 20 })
	if err := r.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := r.Reset(); err != nil {
		t.Fatal(err)
	}
	if p := r.Latest().Profile; p == nil || p.Batches != 0 || p.Steps != nil || p.Every != 2 {
		t.Errorf("after a reset: %+v", p)
	}
}

// A profiling batch allocates nothing either.
func TestProfilingStepAllocatesNothing(t *testing.T) {
	clk := &fakeClock{}
	reg, _ := profRegistry(clk)
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 8,
		Clock: clk, PublishInterval: time.Hour, Window: 10 * time.Millisecond, ProfileEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	l := r.loop
	if err := l.switchTo("mlp", "cpu", 8, EventStarted); err != nil {
		t.Fatal(err)
	}
	l.newRun(clk.Now(), Measuring)
	if allocs := testing.AllocsPerRun(2000, l.step); allocs != 0 {
		t.Errorf("%v allocations per batch", allocs)
	}
	if l.prof.n < 1000 {
		t.Errorf("%d profiling batches in 2000", l.prof.n)
	}
	l.closeExec()
}

// SetProfile turns the profile on and off while the run goes on.
func TestSetProfile(t *testing.T) {
	clk := &fakeClock{}
	reg, _ := profRegistry(clk)
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 4,
		Clock: clk, Warmup: 100 * time.Millisecond, PublishInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	first := waitFor(t, r, "measuring", func(s Snapshot) bool { return s.State == Measuring || s.State == Stable })
	if first.Profile != nil {
		t.Fatalf("a profile before SetProfile: %+v", first.Profile)
	}
	if err := r.SetProfile(1); err == nil || !strings.Contains(err.Error(), "0 (off) or at least 2") {
		t.Errorf("SetProfile(1): %v", err)
	}
	if err := r.SetProfile(4); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, r, "profiling batches", func(s Snapshot) bool { return s.Profile != nil && s.Profile.Batches > 5 && len(s.Profile.Steps) == 3 })
	if s.RunID != first.RunID || s.Profile.Every != 4 || s.Profile.Steps[0].Name != "b" {
		t.Errorf("run %d (was %d), profile %+v", s.RunID, first.RunID, s.Profile)
	}
	if err := r.SetProfile(0); err != nil {
		t.Fatal(err)
	}
	if p := r.Latest().Profile; p != nil {
		t.Errorf("profile after SetProfile(0): %+v", p)
	}
}
