package runner

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/serve"
)

// Serving-mode bounds and defaults.
const (
	// DefaultRequestSize is the samples in one request.
	DefaultRequestSize = 1
	// MaxInstances bounds ServeConfig.Instances.
	MaxInstances = 64
	// queueCap bounds an unbounded queue's memory: beyond it arrivals are
	// rejected as at a full queue, and the run is saturated anyway.
	queueCap = 1 << 20
	// saturationWindows is how many windows the saturation rule looks back.
	saturationWindows = 3
	// achievedFloor is the share of the offered rate below which answers
	// fall behind (97 %).
	achievedFloor = 0.97
	// busyFloor is the instances' least mean busy share of a window for
	// the queue's growth to count as saturation (80 %).
	busyFloor = 0.8
	// deepShare is the least share of a window's arrivals the queue must
	// hold at its end to count as deep (2 %).
	deepShare = 0.02
	// lateFloor is the least p99 lateness of the batcher that Serving.LateNote
	// mentions (with half the max delay, when that is longer).
	lateFloor = 200 * time.Microsecond
)

// ServeConfig says what a serving-mode run (Server) serves and how.
type ServeConfig struct {
	// Registry opens executors; Catalog resolves Model. Both are required
	// unless Simulate is set.
	Registry *engine.Registry
	Catalog  *model.Catalog
	// Model and Device name what serves (Device "cuda:all" spreads the
	// instances over the GPUs).
	Model, Device string
	// GPUs is the number of GPUs "cuda:all" spreads instances over.
	GPUs int
	// Arrival is how requests arrive (not Closed).
	Arrival serve.Arrival
	// Policy is the dynamic batcher's.
	Policy serve.Policy
	// Instances is the number of executors serving the queue (default 1).
	Instances int
	// Options are the engine's. On the CPU, Options.Threads (0: Cores) is
	// the total, split between the instances.
	Options engine.Options
	// Cores is the CPUs this process may use (default runtime.NumCPU).
	Cores int
	// Seed draws the arrival schedule.
	Seed uint64
	// SLOP99 is the p99 objective goodput counts against (0: none).
	SLOP99 time.Duration
	// Warmup is the least warm-up of each instance at each prepared size
	// (default 1s, shared between the sizes; at least MinWarmupBatches
	// batches each).
	Warmup time.Duration
	// Window is the duration of one measurement window (default 1s).
	Window time.Duration
	// MaxMeasure, when positive, ends the run after this much measured time
	// (whole windows, at least StabilityWindows of them).
	MaxMeasure time.Duration
	// PublishInterval is the least time between two snapshots (default
	// 100ms; a window in a simulation).
	PublishInterval time.Duration
	// HistogramBuckets and KeepWindows are as in Config.
	HistogramBuckets, KeepWindows int
	// FirstRunID is as in Config.
	FirstRunID uint64
	// Check, when set, judges one batch of the first instance at its
	// largest prepared size, run once the instances are opened (before
	// warm-up), as Config.Check does; its figure is Snapshot.Accuracy.
	Check Checker
	// Simulate, when set, runs no engine: each batch takes the time it
	// says, on a virtual clock that jumps from event to event, so a
	// minute of serving is simulated in milliseconds.
	Simulate *Simulation
}

// Simulation models an engine for a simulated serving run.
type Simulation struct {
	// Service is how long a batch run at a prepared size takes; batch
	// counts the batches dispatched so far (0 for the first), so a test
	// can inject a stall.
	Service func(size int, batch int64) time.Duration
	// Start is the virtual clock's start (zero: the Unix epoch).
	Start time.Time
}

// withDefaults returns c with zero fields defaulted, or what is wrong.
func (c ServeConfig) withDefaults() (ServeConfig, error) {
	if c.Simulate == nil && (c.Registry == nil || c.Catalog == nil) {
		return c, errors.New("runner: ServeConfig needs a Registry and a Catalog")
	}
	if c.Simulate != nil && c.Simulate.Service == nil {
		return c, errors.New("runner: a Simulation needs a Service time")
	}
	if !c.Arrival.Serving() {
		return c, errors.New("runner: serving needs an arrival other than closed")
	}
	if c.Arrival.Open() && !(c.Arrival.Rate > 0) {
		return c, fmt.Errorf("runner: arrival %s needs a rate above 0", c.Arrival)
	}
	if c.Arrival.Kind == serve.Clients && c.Arrival.Clients < 1 {
		return c, errors.New("runner: clients arrival needs at least one client")
	}
	if c.Instances == 0 {
		c.Instances = 1
	}
	if c.Instances < 1 || c.Instances > MaxInstances {
		return c, fmt.Errorf("instances %d: from 1 to %d", c.Instances, MaxInstances)
	}
	if c.Policy.RequestSize == 0 {
		c.Policy.RequestSize = DefaultRequestSize
	}
	if err := c.Policy.Validate(); err != nil {
		return c, err
	}
	if c.Warmup < 0 || c.Window < 0 || c.MaxMeasure < 0 || c.PublishInterval < 0 || c.SLOP99 < 0 {
		return c, errors.New("runner: durations must not be negative")
	}
	if c.Cores <= 0 {
		c.Cores = runtime.NumCPU()
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.PublishInterval == 0 {
		c.PublishInterval = DefaultPublishInterval
		if c.Simulate != nil {
			// A simulation runs far faster than its clock: a snapshot a
			// window is all a reader can see of it anyway.
			c.PublishInterval = c.Window
		}
	}
	if c.HistogramBuckets <= 0 {
		c.HistogramBuckets = 32
	}
	if c.KeepWindows <= 0 {
		c.KeepWindows = 60
	}
	c.KeepWindows = max(c.KeepWindows, StabilityWindows)
	return c, nil
}

// instanceDevice is the device instance i runs on: cuda:all deals the
// instances out over the GPUs, one stream (executor) each.
func (c ServeConfig) instanceDevice(i int) string {
	d, err := engine.ParseDevice(c.Device)
	if err != nil || !d.All || c.GPUs < 1 {
		return c.Device
	}
	return fmt.Sprintf("cuda:%d", i%c.GPUs)
}

// instanceThreads is the CPU threads instance i computes with: the total
// split as evenly as it goes, the first instances taking the remainder.
func (c ServeConfig) instanceThreads(i int) int {
	total := c.Options.Threads
	if total <= 0 {
		total = c.Cores
	}
	if total < c.Instances {
		return 1
	}
	n := total / c.Instances
	if i < total%c.Instances {
		n++
	}
	return n
}
