// Package runner measures an engine.Executor honestly: it runs batches back to
// back in one goroutine (Runner), throws away the warm-up, records every batch's latency
// in HDR histograms, cuts the run into windows, applies perf_analyzer's and
// torch.utils.benchmark's stability rules and publishes Snapshots for displays
// and reports. It never draws.
//
// Server measures serving mode instead: requests arriving on a seeded
// schedule (package serve), a dynamic batcher, and instances each an
// executor of its own; every request's latency counts from its scheduled
// arrival. Its snapshots are the same Snapshot, with Serving set.
//
// Control flows in through a small API (Pause, Resume, Reset, SetBatch,
// SetModel, SetDevice, Stop); each call is a command handled by the loop
// goroutine between two batches, so the executor and the histograms are only
// ever touched by that goroutine.
//
// It runs models (model.Model, from a model.Catalog) whatever they were
// built from, and never imports onnx, sweep, session, report, record,
// metrics, ui or cli.
package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"infertop/internal/latest"
)

// ErrStopped is returned by control calls once the loop has ended.
var ErrStopped = errors.New("runner stopped")

// ErrNotStarted is returned by control calls before Start.
var ErrNotStarted = errors.New("runner not started")

// Runner owns one measurement loop. Its methods are safe for concurrent use.
type Runner struct {
	cfg   Config
	cmds  chan command
	snaps chan Snapshot
	done  chan struct{}

	started atomic.Bool        // set once Start has launched the loop
	cancel  context.CancelFunc // guarded by mu
	// wake is non-zero while a command waits to be taken or the context has
	// ended, so the running loop only enters a select when there is cause to.
	wake atomic.Int32

	mu     sync.Mutex // guards latest and cancel
	latest Snapshot

	// loop holds everything the loop goroutine owns.
	loop *loop
}

type cmdKind int

const (
	cmdPause cmdKind = iota
	cmdResume
	cmdReset
	cmdBatch
	cmdModel
	cmdDevice
	cmdProfile
)

type command struct {
	kind  cmdKind
	n     int
	s     string
	reply chan error
}

// New checks the configuration and prepares a runner; nothing runs until Start.
func New(cfg Config) (*Runner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Runner{
		cfg:   cfg,
		cmds:  make(chan command),
		snaps: make(chan Snapshot, 1),
		done:  make(chan struct{}),
	}
	r.loop = newLoop(r)
	r.latest = Snapshot{State: Idle, Model: cfg.Model, Device: cfg.Device, Batch: cfg.Batch}
	return r, nil
}

// Start opens the executor and starts the loop goroutine, which runs until ctx
// ends, Stop is called or MaxMeasure has been measured. A failure to open or
// prepare the executor is not returned here: the loop reports it in state Error
// and waits for a command that fixes it. Start may be called once.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.cancel != nil {
		r.mu.Unlock()
		return errors.New("runner already started")
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.started.Store(true)
	r.mu.Unlock()
	context.AfterFunc(ctx, func() { r.wake.Add(1) })
	go func() {
		defer close(r.done)
		r.loop.run(ctx)
	}()
	return nil
}

// Stop ends the loop and waits for it; the executor is closed and the last
// snapshot (state Done) stays available from Latest. Stop is idempotent.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-r.done
}

// Wait blocks until the loop has ended (Stop, context, MaxMeasure).
func (r *Runner) Wait() {
	if r.started.Load() {
		<-r.done
	}
}

// Done is closed when the loop has ended.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Snapshots delivers snapshots at most every PublishInterval, plus one on each
// state change. The channel holds one snapshot; when the reader is slow the
// older one is replaced by the newer, and the loop never waits. It is not
// closed; select on Done as well.
func (r *Runner) Snapshots() <-chan Snapshot { return r.snaps }

// Latest returns the most recent snapshot at once.
func (r *Runner) Latest() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest
}

// Latencies returns a copy of every recorded measured batch latency, in order,
// after the loop has ended (nil before that or when RecordLatencies is 0).
// They cover the latest RunID only.
func (r *Runner) Latencies() []time.Duration {
	select {
	case <-r.done:
		return append([]time.Duration(nil), r.loop.recorded...)
	default:
		return nil
	}
}

// Pause stops running batches; measured time stops counting.
func (r *Runner) Pause() error { return r.send(command{kind: cmdPause}) }

// Resume restarts batches after Pause (with a fresh warm-up whose batches are
// excluded; the statistics gathered so far are kept), or reopens the executor
// after an error (a new RunID).
func (r *Runner) Resume() error { return r.send(command{kind: cmdResume}) }

// Reset throws the statistics away and starts measuring again under a new RunID.
func (r *Runner) Reset() error { return r.send(command{kind: cmdReset}) }

// SetBatch prepares a new batch size under a new RunID. When the batch does not
// fit (an error wrapping engine.ErrOutOfMemory), the runner goes back to the
// last batch that worked, emits an out-of-memory event and returns the error.
// A batch the model cannot run at (a fixed-batch export: model.Model.CheckBatch)
// is refused with the model's message, and the run goes on as it was.
func (r *Runner) SetBatch(n int) error { return r.send(command{kind: cmdBatch, n: n}) }

// SetModel opens the named model of the catalog (at its default batch) on the
// current device under a new RunID, then closes the old executor. On failure
// the old one keeps running.
func (r *Runner) SetModel(name string) error { return r.send(command{kind: cmdModel, s: name}) }

// SetDevice opens the current model and batch on the named device under a new
// RunID, then closes the old executor. On failure the old one keeps running.
func (r *Runner) SetDevice(name string) error { return r.send(command{kind: cmdDevice, s: name}) }

// SetProfile turns the step profile on, one batch in every (at least 2),
// or off (0), as Config.ProfileEvery does at the start (the dashboard's
// Layers panel). The profile starts empty; the measured statistics and the
// RunID go on, since profiling batches are none of them.
func (r *Runner) SetProfile(every int) error { return r.send(command{kind: cmdProfile, n: every}) }

func (r *Runner) send(c command) error {
	if !r.started.Load() {
		return ErrNotStarted
	}
	c.reply = make(chan error, 1)
	r.wake.Add(1)
	select {
	case r.cmds <- c:
	case <-r.done:
		r.wake.Add(-1)
		return ErrStopped
	}
	select {
	case err := <-c.reply:
		return err
	case <-r.done:
		return ErrStopped
	}
}

// publish stores s as the latest snapshot and offers it to the reader without
// ever blocking: a snapshot the reader has not taken yet is replaced.
func (r *Runner) publish(s Snapshot) {
	r.mu.Lock()
	r.latest = s
	r.mu.Unlock()
	latest.Offer(r.snaps, s)
}
