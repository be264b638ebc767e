package runner

import (
	"errors"
	"fmt"
	"time"

	"infertop/engine"
	"infertop/model"
)

// Clock gives the current time. The runner reads it around every batch; tests
// inject a fake one whose time advances only when they say so.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock (monotonic readings from time.Now).
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Defaults applied by New to zero Config fields.
const (
	DefaultWarmup           = time.Second
	DefaultWindow           = time.Second
	DefaultMinWindowBatches = 5
	DefaultPublishInterval  = 100 * time.Millisecond
	// MinWarmupBatches is the least number of batches thrown away before measuring.
	MinWarmupBatches = 3
	// StabilityThreshold is the relative spread both stability rules accept (10 %).
	StabilityThreshold = 0.10
	// StabilityWindows is how many of the latest windows perf_analyzer's rule compares.
	StabilityWindows = 3
)

// Config says what to run and how to measure it.
type Config struct {
	// Registry opens executors; Catalog resolves model names. Both are required.
	Registry *engine.Registry
	Catalog  *model.Catalog
	// Model and Device name what runs first (e.g. "mlp" or a file's path, "cpu").
	Model, Device string
	// Batch is the first batch size; 0 means the model's default batch.
	Batch int
	// Warmup is the least warm-up time (default 1s). Warm-up also lasts at least
	// MinWarmupBatches batches and until two consecutive warm-up windows agree
	// within 10 % on throughput, up to its bound (see WarmupExtension).
	Warmup time.Duration
	// MaxWarmup, when set, replaces the bound of a warm-up that does not
	// settle (default: Warmup plus the longer of Warmup and
	// WarmupExtendBatches batches, at most WarmupExtension); the snapshot
	// then says WarmupSettled false and an event says why.
	MaxWarmup time.Duration
	// Window is the least duration of one measurement window (default 1s).
	Window time.Duration
	// MinWindowBatches is the least number of batches in one window (default 5).
	MinWindowBatches int
	// Options are passed to the engine when it opens an executor.
	Options engine.Options
	// Clock is read around every batch (default SystemClock).
	Clock Clock
	// PublishInterval is the least time between two periodic snapshots (default 100ms).
	PublishInterval time.Duration
	// MaxMeasure, when positive, ends the run (state Done, loop exits) at the
	// first window boundary after this much time has been measured after
	// warm-up: a run measures at least MaxMeasure, in whole windows, and at
	// least StabilityWindows windows so that the window rule can be judged.
	MaxMeasure time.Duration
	// RecordLatencies, when positive, is the capacity of a buffer preallocated to
	// keep every measured batch's latency (for --export-times); batches beyond it
	// are counted in Snapshot.LatenciesDropped.
	RecordLatencies int
	// HistogramBuckets is the number of log-spaced chart buckets in a snapshot (default 32).
	HistogramBuckets int
	// KeepWindows is how many recent windows a snapshot carries (default 60).
	KeepWindows int
	// FirstRunID is the run id before the first: run ids count up from
	// FirstRunID+1. A caller that runs one runner after another (a batch size
	// each) passes the last id of the one before, so that ids never repeat in
	// one output (metrics, recordings).
	FirstRunID uint64
	// ProfileEvery, when positive, turns the step profile on: one batch in
	// ProfileEvery (at least 2; DefaultProfileEvery is 10) while measuring
	// is a profiling batch, which times each step of the executor's plan
	// (engine.StepProfiler) and is left out of every measured figure
	// (Snapshot.Profile). 0 leaves it off.
	ProfileEvery int
	// Energy, when set, reads the cumulative energy counter of the current
	// device (its GPUs', or the CPU packages'), at every measurement window
	// boundary, for the snapshot's energy per sample. Leave it nil where
	// there is no counter; it answers ok false for devices without one.
	Energy EnergyMeter
	// Check, when set, judges the outputs of one batch run just after each
	// successful Prepare (before warm-up) against a baseline; its figure
	// is Snapshot.Accuracy until the next Prepare (a serving run has
	// ServeConfig.Check).
	Check Checker
}

// withDefaults returns c with zero fields set to their defaults, or an error for
// fields that cannot be defaulted.
func (c Config) withDefaults() (Config, error) {
	if c.Registry == nil || c.Catalog == nil {
		return c, errors.New("runner: Config needs a Registry and a Catalog")
	}
	if c.Warmup < 0 || c.Window < 0 || c.MaxMeasure < 0 || c.MaxWarmup < 0 || c.PublishInterval < 0 {
		return c, fmt.Errorf("runner: durations must not be negative")
	}
	if c.Batch < 0 || c.MinWindowBatches < 0 || c.RecordLatencies < 0 {
		return c, fmt.Errorf("runner: batch and counts must not be negative")
	}
	if c.ProfileEvery < 0 || c.ProfileEvery == 1 {
		return c, fmt.Errorf("runner: ProfileEvery %d: 0 (off) or at least 2 (one batch in N is profiled, the others measured)", c.ProfileEvery)
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MinWindowBatches == 0 {
		c.MinWindowBatches = DefaultMinWindowBatches
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.PublishInterval == 0 {
		c.PublishInterval = DefaultPublishInterval
	}
	if c.HistogramBuckets <= 0 {
		c.HistogramBuckets = 32
	}
	if c.KeepWindows <= 0 {
		c.KeepWindows = 60
	}
	if c.KeepWindows < StabilityWindows {
		c.KeepWindows = StabilityWindows
	}
	return c, nil
}

// State is where a run is in its life.
type State int

// The states a snapshot can report.
const (
	// Idle: not started yet.
	Idle State = iota
	// Warming: batches run but are thrown away (allocation, JIT, caches).
	Warming
	// Measuring: batches are measured; the stability rules do not both hold yet.
	Measuring
	// Stable: measuring, and both stability rules hold.
	Stable
	// Paused: no batches run until Resume.
	Paused
	// Error: the executor failed or panicked; Err says why. A new command
	// (Resume, SetBatch, SetModel, SetDevice) opens a fresh executor.
	Error
	// Done: the run ended (MaxMeasure reached, Stop, or its context ended).
	Done
)

var stateNames = [...]string{"idle", "warming up", "measuring", "stable", "paused", "error", "done"}

// String is a lower-case word for displays ("warming up", "stable", ...).
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("state(%d)", int(s))
	}
	return stateNames[s]
}

// Running reports whether batches execute in this state.
func (s State) Running() bool { return s == Warming || s == Measuring || s == Stable }
