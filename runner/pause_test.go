package runner

import (
	"context"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// gatedExec holds its first batch until gate is closed, so a test can send a
// command while the run is certainly still warming up.
type gatedExec struct {
	fakeExec
	gate chan struct{}
}

func (g *gatedExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	if g.i == 0 {
		<-g.gate
	}
	return g.fakeExec.Run(in, out)
}

// TestPausedTimeIsNotMeasured: an hour spent paused counts in Elapsed but not
// in the warm-up or measured time, and the throughput is unchanged by it.
func TestPausedTimeIsNotMeasured(t *testing.T) {
	clk := &fakeClock{}
	gate := make(chan struct{})
	ex := &gatedExec{fakeExec: fakeExec{clock: clk, lat: constLat(time.Millisecond)}, gate: gate}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) { return ex, nil })
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 2,
		Clock: clk, MaxMeasure: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Start(context.Background())
	paused := make(chan error, 1)
	go func() { paused <- r.Pause() }()
	// Until Pause is on its way, or already handled: the loop may take it
	// before its first batch, while the run is warming up all the same.
	for r.wake.Load() == 0 && r.Latest().State != Paused {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	if err := <-paused; err != nil {
		t.Fatal(err)
	}
	if s := r.Latest(); s.State != Paused || s.Latency.Count != 0 {
		t.Fatalf("after Pause: %v with %d measured", s.State, s.Latency.Count)
	}
	clk.Advance(time.Hour)
	if err := r.Resume(); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	s := r.Latest()
	if s.Measured != 5*time.Second || s.Overall.SamplesPerSec != 2000 || s.WarmupTime > time.Minute || s.Elapsed < time.Hour {
		t.Errorf("measured %v, %v samples/s, warm-up %v, elapsed %v", s.Measured, s.Overall.SamplesPerSec, s.WarmupTime, s.Elapsed)
	}
}
