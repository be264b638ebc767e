package runner

import (
	"context"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// noopExec does nothing; it tells the benchmark when b.N batches have run.
type noopExec struct {
	n, target int
	done      chan struct{}
}

func (e *noopExec) Prepare(int) error                       { return nil }
func (e *noopExec) Signature() (in, out []model.TensorSpec) { return nil, nil }
func (e *noopExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	e.n++
	if e.n == e.target {
		close(e.done)
	}
	return engine.Timing{}, nil
}
func (e *noopExec) Memory() engine.Memory { return engine.Memory{} }
func (e *noopExec) Info() engine.Info     { return engine.Info{Device: "cpu", Engine: "noop"} }
func (e *noopExec) Close() error          { return nil }

// BenchmarkRunnerOverhead measures what the runner adds per batch around an
// executor that does nothing: clock reads, histograms, windows, the command
// check and the amortised snapshots. ns/op is the overhead per batch.
func BenchmarkRunnerOverhead(b *testing.B) {
	ex := &noopExec{target: b.N + 1, done: make(chan struct{})}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) { return ex, nil })
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "linear", Device: "cpu", Batch: 1,
		Warmup: 1, MaxWarmup: 1, Window: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	_ = r.Start(context.Background())
	<-ex.done
	b.StopTimer()
	r.Stop()
	s := r.Latest()
	b.ReportMetric(s.Overall.SamplesPerSec, "samples/s")
}

// TestStepAllocatesNothing: a measured batch between two snapshots allocates
// nothing, so the garbage collector does not paint the latency histogram.
func TestStepAllocatesNothing(t *testing.T) {
	clk := &fakeClock{}
	env := &fakeEnv{mk: func(int) *fakeExec {
		return &fakeExec{clock: clk, lat: constLat(time.Millisecond), timing: engine.Timing{Valid: true, Compute: time.Millisecond}}
	}}
	// Windows close every 10 ms, each reading the energy counter.
	meter := EnergyMeterFunc(func(string) (uint64, bool, error) { return uint64(clk.ns.Load() / 4000), true, nil })
	r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 8,
		Clock: clk, PublishInterval: time.Hour, Window: 10 * time.Millisecond, RecordLatencies: 10000, Energy: meter})
	if err != nil {
		t.Fatal(err)
	}
	l := r.loop
	if err := l.switchTo("mlp", "cpu", 8, EventStarted); err != nil {
		t.Fatal(err)
	}
	l.newRun(clk.Now(), Measuring)
	if allocs := testing.AllocsPerRun(5000, l.step); allocs != 0 {
		t.Errorf("%v allocations per batch", allocs)
	}
	if !l.state.Running() || l.mBatches < 5000 || !l.snapshot(clk.Now()).WindowEnergy.Valid {
		t.Errorf("state %v, %d batches measured", l.state, l.mBatches)
	}
	l.closeExec()
}
