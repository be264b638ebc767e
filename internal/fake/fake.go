// Package fake holds stand-ins for what a session takes from the machine,
// for the tests of session and cli: executors with known timings, an NVML
// whose energy counter a test drives, and RAPL counters that advance by a
// joule per read. Like net/http/httptest, it is imported by tests only.
package fake

import (
	"io/fs"
	"strconv"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/model"
)

// signature is what an executor of m prepared for batch offers: the inputs
// and outputs of m's graph compiled for it, the model's own refusal of a
// batch it cannot run at included.
type signature struct {
	m       *model.Model
	in, out []model.TensorSpec
}

// prepare compiles m for batch and keeps its signature (none without a model).
func (s *signature) prepare(batch int) error {
	if s.m == nil {
		return nil
	}
	g, err := s.m.Bind(batch)
	if err != nil {
		return err
	}
	in, out, err := g.Signature()
	if err != nil {
		return err
	}
	s.in, s.out = in, out
	return nil
}

// Signature implements engine.Executor.
func (s *signature) Signature() (in, out []model.TensorSpec) { return s.in, s.out }

// Sleep is an executor that takes about 100 µs per batch, holds 1000 bytes
// per sample, and refuses batches above OOMOver (0: none) as out of memory.
type Sleep struct {
	OOMOver int
	batch   int
	signature
}

// NewSleep is a Sleep of m refusing batches above oomOver (0: none).
func NewSleep(m *model.Model, oomOver int) *Sleep {
	return &Sleep{OOMOver: oomOver, signature: signature{m: m}}
}

// Prepare, Run, Memory, Info and Close implement engine.Executor.
func (e *Sleep) Prepare(b int) error {
	if e.OOMOver > 0 && b > e.OOMOver {
		return &engine.OOMError{Device: "cpu", Batch: b, Need: int64(b), Available: int64(e.OOMOver)}
	}
	if err := e.prepare(b); err != nil {
		return err
	}
	e.batch = b
	return nil
}

func (e *Sleep) Run(in, out []*model.Tensor) (engine.Timing, error) {
	time.Sleep(100 * time.Microsecond)
	return engine.Timing{}, nil
}

func (e *Sleep) Memory() engine.Memory { return engine.Memory{HostBytes: int64(e.batch) * 1000} }

func (e *Sleep) Info() engine.Info {
	return engine.Info{Device: "cpu", Engine: "fake", Detail: "sleeps 100 µs", Threads: 1}
}

func (e *Sleep) Close() error { return nil }

// SleepRegistry is a registry whose CPU engine is a Sleep refusing batches
// above oomOver, with CUDA unavailable; onOpen (nil: none) sees the count
// of executors opened so far at every opening.
func SleepRegistry(oomOver int, onOpen func(n int)) *engine.Registry {
	reg := engine.NewRegistry()
	var opened atomic.Int32
	reg.Register(engine.CPU, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		if n := int(opened.Add(1)); onOpen != nil {
			onOpen(n)
		}
		return NewSleep(m, oomOver), nil
	})
	reg.Unavailable(engine.CUDA, "built without CUDA")
	return reg
}

// Clock is an executor that advances a fake clock per batch: with one
// thread 1 ms + 1 µs per sample, with all cores 3 ms + 0.25 µs per sample,
// so one thread wins at small batches and all cores at large ones.
type Clock struct {
	Now     *atomic.Int64 // the clock, in nanoseconds
	Threads int
	Runs    *atomic.Int64 // batches run so far, by every Clock of a race
	// OnRun (nil: none) sees Runs after every batch.
	OnRun func(n int64)
	// Precision is what Info says the executor runs in.
	Precision engine.Precision
	batch     int
	signature
}

// NewClock is a Clock of m on the clock now, counting batches in runs.
func NewClock(m *model.Model, now, runs *atomic.Int64, threads int, onRun func(n int64)) *Clock {
	return &Clock{Now: now, Threads: threads, Runs: runs, OnRun: onRun, signature: signature{m: m}}
}

// Prepare, Run, Memory, Info and Close implement engine.Executor.
func (e *Clock) Prepare(b int) error {
	if err := e.prepare(b); err != nil {
		return err
	}
	e.batch = b
	return nil
}

func (e *Clock) Run(in, out []*model.Tensor) (engine.Timing, error) {
	d := 3*time.Millisecond + time.Duration(e.batch)*time.Microsecond/4
	if e.Threads == 1 {
		d = time.Millisecond + time.Duration(e.batch)*time.Microsecond
	}
	e.Now.Add(int64(d))
	if n := e.Runs.Add(1); e.OnRun != nil {
		e.OnRun(n)
	}
	return engine.Timing{}, nil
}

func (e *Clock) Memory() engine.Memory { return engine.Memory{} }
func (e *Clock) Info() engine.Info {
	return engine.Info{Device: "cpu", Engine: "fake", Precision: e.Precision}
}
func (e *Clock) Close() error { return nil }

// ClockRegistry is a registry whose CPU engine is a Clock, with CUDA
// unavailable, and the clock's reader (a race's Now).
func ClockRegistry(onRun func(n int64)) (*engine.Registry, func() time.Time) {
	clock, runs := &atomic.Int64{}, &atomic.Int64{}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		return NewClock(m, clock, runs, o.Threads, onRun), nil
	})
	reg.Unavailable(engine.CUDA, "built without CUDA")
	return reg, func() time.Time { return time.Unix(0, clock.Load()) }
}

// GPURace is a registry for a race of the CPU against cuda:0 on one fake
// clock: both sides are Clocks, and cuda:0's advances counter (a GPU's
// energy counter, in mJ) by 2 J per batch. It returns the clock's reader.
func GPURace(counter *atomic.Uint64) (*engine.Registry, func() time.Time) {
	clock, runs := &atomic.Int64{}, &atomic.Int64{}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		return NewClock(m, clock, runs, o.Threads, nil), nil
	})
	reg.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return &Watt{Executor: NewClock(m, clock, runs, 0, nil), Counter: counter, MJPerBatch: 2000}, nil
	})
	return reg, func() time.Time { return time.Unix(0, clock.Load()) }
}

// Watt is an executor moved to cuda:0 that advances a GPU's energy counter
// (in mJ) by MJPerBatch at every batch, so that any window's energy is
// known exactly.
type Watt struct {
	engine.Executor
	Counter    *atomic.Uint64
	MJPerBatch uint64
}

// Run advances the counter and runs the batch on the wrapped executor.
func (e *Watt) Run(in, out []*model.Tensor) (engine.Timing, error) {
	e.Counter.Add(e.MJPerBatch)
	return e.Executor.Run(in, out)
}

// Info says the executor runs on cuda:0.
func (e *Watt) Info() engine.Info { return engine.Info{Device: "cuda:0", Engine: "fake-cuda"} }

// NVML is an opener of an NVML mock of n GPUs that is not labelled
// simulated (as a real driver would be); counters, when given, fix each
// GPU's energy counter (in mJ), else it rises with the simulated power.
// opened (nil: none) counts the sessions opened.
func NVML(n int, counters func(i int) uint64, opened *atomic.Int32) (func() (*gpuinfo.Monitor, error), error) {
	srv, err := gpuinfo.FakeServer(n, gpuinfo.FakeOptions{Seed: 3})
	if err != nil {
		return nil, err
	}
	for i, d := range srv.Devices {
		if counters != nil {
			d.(*server.Device).GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return counters(i), nvml.SUCCESS }
		}
	}
	return func() (*gpuinfo.Monitor, error) {
		if opened != nil {
			opened.Add(1)
		}
		return gpuinfo.OpenLibrary(srv, gpuinfo.Options{SelfPID: 1})
	}, nil
}

// joulePerRead is a powercap tree of one package whose counter advances by
// 1 J each time it is read, like a package drawing 1 J per window.
type joulePerRead struct {
	mu    sync.Mutex
	reads int
}

func (j *joulePerRead) Open(name string) (fs.File, error) {
	tree := fstest.MapFS{
		"intel-rapl:0/name":                {Data: []byte("package-0\n")},
		"intel-rapl:0/max_energy_range_uj": {Data: []byte("262143328850\n")},
	}
	if name == "intel-rapl:0/energy_uj" {
		j.mu.Lock()
		j.reads++
		uj := strconv.Itoa(1_000_000 * j.reads)
		j.mu.Unlock()
		tree[name] = &fstest.MapFile{Data: []byte(uj + "\n")}
	}
	return tree.Open(name)
}

// RAPL opens the counters of one CPU package that advances 1 J per read.
func RAPL() (*hostinfo.RAPL, error) { return hostinfo.OpenRAPLFS(&joulePerRead{}) }

// NoRAPL is a machine without RAPL counters.
func NoRAPL() (*hostinfo.RAPL, error) { return nil, hostinfo.ErrNoRAPL }
