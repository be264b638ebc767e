package runner

import (
	"context"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// resetAt starts a run of 1 ms batches with the least warm-up warmup, holds
// its loop at batch hold, sends Reset, and returns the snapshot the reset
// published and the one before it.
func resetAt(t *testing.T, warmup time.Duration, hold int) (before, after Snapshot) {
	t.Helper()
	clk := &fakeClock{}
	reached, release, hold2 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	lat := func(i int) time.Duration {
		switch i {
		case hold:
			close(reached)
			<-release
		case hold + 1: // the batch after the reset: hold the loop until the test has read it
			<-hold2
		}
		return time.Millisecond
	}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		return &fakeExec{clock: clk, lat: lat}, nil
	})
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Clock: clk, Model: "mlp", Device: "cpu",
		Batch: 2, Warmup: warmup})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	defer close(hold2)
	<-reached
	before = r.Latest()
	done := make(chan error, 1)
	go func() { done <- r.Reset() }()
	for r.wake.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return before, r.Latest() // the loop is held in the next batch: this is the reset's snapshot
}

// r empties the statistics of a warm run and measures on without a new
// warm-up; during a warm-up there is nothing to reset, and the warm-up goes
// on; each says so.
func TestResetNeedsNoNewWarmup(t *testing.T) {
	before, after := resetAt(t, time.Second, 3000) // 3 s in: measuring since 1 s
	last := after.Events[len(after.Events)-1]
	if before.State == Warming || after.State != Measuring || after.RunID != before.RunID+1 || after.WarmupTime != 0 || after.Latency.Count != 0 ||
		last.Kind != EventReset || last.Text != "statistics reset; measuring on without a new warm-up (the executor is warm)" {
		t.Errorf("reset while measuring: %v → %v (run %d → %d), warm-up %v, %d measured, event %q",
			before.State, after.State, before.RunID, after.RunID, after.WarmupTime, after.Latency.Count, last.Text)
	}
	before, after = resetAt(t, 10*time.Second, 1500)
	last = after.Events[len(after.Events)-1]
	if after.State != Warming || after.RunID != before.RunID || after.WarmupTime < before.WarmupTime ||
		last.Kind != EventReset || last.Text != "nothing is measured yet to reset: the warm-up goes on (1.5 s so far)" {
		t.Errorf("reset while warming: %v, run %d → %d, warm-up %v → %v, event %q", after.State, before.RunID, after.RunID, before.WarmupTime, after.WarmupTime, last.Text)
	}
}
