package runner

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"infertop/engine"
	"infertop/model"
)

// fakeClock advances only when a fake executor runs a batch.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeExec takes the latency lat(i) for batch i (on the fake clock when one is set).
type fakeExec struct {
	clock   *fakeClock
	lat     func(i int) time.Duration
	timing  engine.Timing
	i       int
	panicAt int // panic on this batch index when > 0
	oomOver int // Prepare refuses batches above this when > 0
	closed  *atomic.Int32
	batch   int
	peak    float64 // Info's PeakGFLOPS; 0 reads 100
	threads int     // Info's Threads
}

func (f *fakeExec) Prepare(batch int) error {
	if f.oomOver > 0 && batch > f.oomOver {
		f.batch = 0
		return &engine.OOMError{Device: "cpu", Batch: batch, Need: int64(batch), Available: int64(f.oomOver)}
	}
	f.batch = batch
	return nil
}

// Signature is a small fixed one: [batch, 4] in, [batch, 2] out. The runner
// allocates and fills what it says, whatever the model.
func (f *fakeExec) Signature() (in, out []model.TensorSpec) {
	if f.batch == 0 {
		return nil, nil
	}
	return []model.TensorSpec{{Name: "input", DType: model.Float32, Shape: []int{f.batch, 4}}},
		[]model.TensorSpec{{Name: "output", DType: model.Float32, Shape: []int{f.batch, 2}}}
}

func (f *fakeExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	f.i++
	if f.panicAt > 0 && f.i == f.panicAt {
		panic("boom")
	}
	if f.clock != nil && f.lat != nil {
		f.clock.Advance(f.lat(f.i))
	}
	return f.timing, nil
}

func (f *fakeExec) Memory() engine.Memory {
	return engine.Memory{HostBytes: int64(f.batch), DeviceBytes: map[string]int64{"x": 1}}
}

func (f *fakeExec) Info() engine.Info {
	peak := f.peak
	if peak == 0 {
		peak = 100
	}
	return engine.Info{Device: "cpu", Engine: "fake", Detail: fmt.Sprintf("prepared for batch %d", f.batch), PeakGFLOPS: peak, Threads: f.threads}
}

func (f *fakeExec) Close() error {
	if f.closed != nil {
		f.closed.Add(1)
	}
	return nil
}

// fakeEnv builds a registry whose CPU factory returns fakeExecs made by mk.
type fakeEnv struct {
	mu     sync.Mutex
	opened int
	closed atomic.Int32
	mk     func(n int) *fakeExec
}

func (e *fakeEnv) registry() *engine.Registry {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(d engine.Device, p *model.Model, o engine.Options) (engine.Executor, error) {
		e.mu.Lock()
		e.opened++
		n := e.opened
		e.mu.Unlock()
		f := e.mk(n)
		f.closed = &e.closed
		return f, nil
	})
	r.Unavailable(engine.CUDA, "no GPU in tests")
	return r
}

func constLat(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func (e *fakeEnv) String() string {
	return fmt.Sprintf("opened %d closed %d", e.opened, e.closed.Load())
}
