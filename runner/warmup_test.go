package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// warmupEvent is the event that ended the warm-up.
func warmupEvent(t *testing.T, s Snapshot) Event {
	t.Helper()
	for _, e := range s.Events {
		if e.Kind == EventWarmupDone || (e.Kind == EventWarning && strings.HasPrefix(e.Text, "warm-up done")) {
			return e
		}
	}
	t.Fatalf("no warm-up event in %v", s.Events)
	return Event{}
}

// Warm-up keeps its settled rule but is bounded: at least Warmup and three
// batches, then until two half-window warm-up windows agree, at most the
// longer of Warmup and five batches more (5 s at most); the event says how
// long it took and, past Warmup, why.
func TestWarmupIsBounded(t *testing.T) {
	alternating := func(i int) time.Duration { // never settles: half a second of 1 ms batches, then of 2 ms ones, by turns
		if (i-1)%750 < 500 {
			return time.Millisecond
		}
		return 2 * time.Millisecond
	}
	slowStart := func() func(int) time.Duration { // 3 ms batches getting quicker, 1 ms from 2.5 s on
		var t time.Duration
		return func(int) time.Duration {
			d := time.Duration(float64(time.Millisecond) * (1 + 2*max(0, 2.5-t.Seconds())/2.5))
			t += d
			return d
		}
	}
	for _, c := range []struct {
		name    string
		warmup  time.Duration
		lat     func(int) time.Duration
		took    time.Duration
		settled bool
		event   string
	}{
		{"settles at once", time.Second, constLat(time.Millisecond), time.Second, true,
			"warm-up done after 1.0 s (1000 batches excluded)"},
		{"settles late", 2 * time.Second, slowStart(), 3500 * time.Millisecond, true,
			"warm-up done after 3.5 s (N batches excluded), 1.5 s past the least warm-up of 2s, until two windows agreed within 10 % on throughput"},
		{"never settles", time.Second, alternating, 2 * time.Second, false,
			"warm-up done after 2.0 s (1500 batches excluded), 1.0 s past the least warm-up of 1s, at its bound (the longer of that and 5 batches, at most 5s more), " +
				"without two windows agreeing within 10 % (the last two differed by 50 %); measuring anyway"},
		{"batches of 2 s", time.Second, constLat(2 * time.Second), 6 * time.Second, false,
			"warm-up done after 6.0 s (3 batches excluded), 5.0 s past the least warm-up of 1s, at its bound (the longer of that and 5 batches, at most 5s more), " +
				"without two windows agreeing within 10 % (a batch takes 2s, so fewer than two windows were complete); measuring anyway"},
	} {
		s := runFake(t, Config{Batch: 1, Warmup: c.warmup, MaxMeasure: 3 * time.Second}, c.lat, engine.Timing{})
		e := warmupEvent(t, s)
		want := strings.Replace(c.event, "(N batches", fmt.Sprintf("(%d batches", s.WarmupBatches), 1)
		// The fake clock ends a warm-up at the batch that crosses a window's end.
		if s.WarmupTime.Round(10*time.Millisecond) != c.took || s.WarmupSettled != c.settled || e.Text != want {
			t.Errorf("%s: warm-up %v settled %v, event\n%q\nwant %v %v\n%q", c.name, s.WarmupTime, s.WarmupSettled, e.Text, c.took, c.settled, want)
		}
	}
}

// While warming up, a snapshot carries the last warm-up window's
// throughput, for displays to show marked as warming.
func TestWarmupShowsLiveFigures(t *testing.T) {
	clk := &fakeClock{}
	reached, release := make(chan struct{}), make(chan struct{})
	lat := func(i int) time.Duration {
		if i == 1500 { // 1.5 s into a 10 s warm-up: hold the loop there
			close(reached)
			<-release
		}
		return time.Millisecond
	}
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{clock: clk, lat: lat} }}
	r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Clock: clk, Model: "mlp", Device: "cpu",
		Batch: 4, Warmup: 10 * time.Second, MaxMeasure: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-reached
	s := r.Latest()
	close(release)
	r.Stop()
	if s.State != Warming || s.WarmupWindow.SamplesPerSec != 4000 || s.WarmupWindow.Duration != 500*time.Millisecond || s.Overall.Samples != 0 {
		t.Errorf("warming snapshot: state %v, warm-up window %+v, overall %+v", s.State, s.WarmupWindow, s.Overall)
	}
}

// slowInfo is a fakeExec whose first Info takes a second of the fake
// clock, as the CPU engine's peak calibration does.
type slowInfo struct {
	*fakeExec
	done bool
}

func (s *slowInfo) Info() engine.Info {
	if !s.done {
		s.done = true
		s.clock.Advance(time.Second)
	}
	return s.fakeExec.Info()
}

// Opening the executor, preparing a batch and calibrating the peak are no
// part of the warm-up: it starts when the first batch can run.
func TestWarmupExcludesOpening(t *testing.T) {
	clk := &fakeClock{}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		return &slowInfo{fakeExec: &fakeExec{clock: clk, lat: constLat(time.Millisecond)}}, nil
	})
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Clock: clk, Model: "mlp", Device: "cpu",
		Batch: 1, Warmup: time.Second, MaxMeasure: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if s := r.Latest(); s.WarmupTime != time.Second || !s.WarmupSettled || s.WarmupBatches != 1000 {
		t.Errorf("warm-up %v (%d batches, settled %v), want 1 s of batches", s.WarmupTime, s.WarmupBatches, s.WarmupSettled)
	}
}
