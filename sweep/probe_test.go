package sweep

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
)

// fakeClock advances only when a fake executor runs.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time { return time.Unix(0, c.ns.Load()) }

// stepExec takes perSample × batch on the clock (when set) and refuses
// batches above oomOver.
type stepExec struct {
	clock     *fakeClock
	perSample time.Duration
	oomOver   int
	batch     int
}

func (e *stepExec) Prepare(b int) error {
	if e.oomOver > 0 && b > e.oomOver {
		return &engine.OOMError{Device: "cpu", Batch: b, Need: int64(b), Available: int64(e.oomOver)}
	}
	e.batch = b
	return nil
}

// Signature is a small fixed one, [batch, 4] in and [batch, 2] out, whatever the model.
func (e *stepExec) Signature() (in, out []model.TensorSpec) {
	return []model.TensorSpec{{Name: "input", DType: model.Float32, Shape: []int{e.batch, 4}}},
		[]model.TensorSpec{{Name: "output", DType: model.Float32, Shape: []int{e.batch, 2}}}
}

func (e *stepExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	if e.clock != nil {
		e.clock.ns.Add(int64(e.perSample) * int64(e.batch))
	}
	return engine.Timing{}, nil
}

func (e *stepExec) Memory() engine.Memory { return engine.Memory{HostBytes: 1000 + 10*int64(e.batch)} }
func (e *stepExec) Info() engine.Info     { return engine.Info{Device: "cpu", Engine: "fake"} }
func (e *stepExec) Close() error          { return nil }

func registryOf(newExec func(opts engine.Options) *stepExec) *engine.Registry {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(d engine.Device, p *model.Model, opts engine.Options) (engine.Executor, error) {
		return newExec(opts), nil
	})
	return r
}

func TestRunnerProberEstimateEdge(t *testing.T) {
	cat := presets.NewModels(presets.DefaultSeed)
	mlp, _ := cat.Get("mlp")
	limit, err := runner.MemoryEstimate(mlp, 100)
	if err != nil {
		t.Fatal(err)
	}
	p := &RunnerProber{Registry: registryOf(func(engine.Options) *stepExec { return &stepExec{} }), Catalog: cat,
		Model: "mlp", Device: "cpu", EstimateLimit: limit}
	if err := p.Fits(context.Background(), 100); err != nil {
		t.Errorf("batch 100 within its own estimate: %v", err)
	}
	need, _ := runner.MemoryEstimate(mlp, 101)
	err = p.Fits(context.Background(), 101)
	var oom *engine.OOMError
	if !errors.As(err, &oom) || oom.Need != need || oom.Available != limit {
		t.Errorf("batch 101: %v", err)
	}
	if _, err := p.Measure(context.Background(), 101); !errors.Is(err, engine.ErrOutOfMemory) {
		t.Errorf("measure 101: %v", err)
	}
}

func TestRunnerProberEngineOOMAndMeasure(t *testing.T) {
	cat := presets.NewModels(presets.DefaultSeed)
	reg := registryOf(func(engine.Options) *stepExec { return &stepExec{oomOver: 8} })
	p := &RunnerProber{Registry: reg, Catalog: cat, Model: "linear", Device: "cpu",
		Warmup: time.Millisecond, Window: time.Millisecond, MaxTime: 20 * time.Millisecond, RSS: func() int64 { return 7 }}
	if err := p.Fits(context.Background(), 16); !errors.Is(err, engine.ErrOutOfMemory) {
		t.Errorf("fits 16: %v", err)
	}
	if _, err := p.Measure(context.Background(), 16); !errors.Is(err, engine.ErrOutOfMemory) {
		t.Errorf("measure 16: %v", err)
	}
	pt, err := p.Measure(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Batch != 4 || pt.EngineBytes != 1040 || pt.RSSBytes != 7 || pt.Batches == 0 || pt.SamplesPerSec <= 0 {
		t.Errorf("point %+v", pt)
	}
}

func TestExecWindowerOnFakeClock(t *testing.T) {
	clk := &fakeClock{}
	// Side 0 takes 2 µs per sample, side 1 (threads 0) 1 µs.
	reg := registryOf(func(o engine.Options) *stepExec {
		per := time.Microsecond
		if o.Threads == 1 {
			per = 2 * time.Microsecond
		}
		return &stepExec{clock: clk, perSample: per}
	})
	cat := presets.NewModels(presets.DefaultSeed)
	lin, _ := cat.Get("linear")
	w, err := NewExecWindower(reg, lin, cpu1, cpuAll, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Now, w.Warmup, w.WindowLen = clk.now, time.Millisecond, 10*time.Millisecond
	res, err := Compare(context.Background(), CompareConfig{A: cpu1, B: cpuAll, Batches: []int{100, 1000}, Pairs: 2}, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Points {
		if p.SpeedUp != 2 || p.A.SamplesPerSec != 500000 || p.B.P50MS != float64(p.Batch)/1000 {
			t.Errorf("batch %d: %+v", p.Batch, p)
		}
	}
	// Batch 1000 takes 2 ms on side 0: a 10 ms window holds 5 batches.
	if n := res.Points[1].A.Count; n != 10 {
		t.Errorf("side A at 1000: %d batches over two windows, want 10", n)
	}
}
