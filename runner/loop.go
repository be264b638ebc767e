package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"infertop/engine"
	"infertop/model"
)

// loop is the state the loop goroutine owns: the executor, the buffers, the
// histograms and the counters. Nothing else touches it while the loop runs.
type loop struct {
	r     *Runner
	cfg   Config
	clock Clock

	model  *model.Model
	device string
	batch  int
	exec   engine.Executor
	info   engine.Info
	// flops is the model's FLOPs per sample at the prepared batch.
	flops int64
	// in and out are what Run gets: the executor's own host buffers when it
	// offers them (engine.HostBuffers), else ownIn and ownOut, allocated
	// from the executor's Signature.
	in     []*model.Tensor
	out    []*model.Tensor
	ownIn  []*model.Tensor
	ownOut []*model.Tensor

	// ctx is the loop's context, for the work it does between batches (a
	// peak measured again).
	ctx context.Context
	// peakTried says the open executor's peak was measured again after a
	// window beat it; peakStale that a window beat the peak the figures
	// divide by, which a peak cannot be (until the next executor).
	peakTried, peakStale bool

	// prof times the steps of one batch in Config.ProfileEvery.
	prof profiler
	// accuracy is what Config.Check said of the prepared batch.
	accuracy Accuracy

	state   State
	errText string
	runID   uint64
	seq     uint64
	events  eventRing
	lastPub time.Time

	measure
}

func newLoop(r *Runner) *loop {
	l := &loop{r: r, cfg: r.cfg, clock: r.cfg.Clock, device: r.cfg.Device, batch: r.cfg.Batch, runID: r.cfg.FirstRunID}
	l.measure = newMeasure(r.cfg)
	l.prof.every = r.cfg.ProfileEvery
	return l
}

// run is the loop goroutine's body.
func (l *loop) run(ctx context.Context) {
	l.ctx = ctx
	defer l.closeExec()
	now := l.clock.Now()
	l.events.add(now, EventStarted, "started %s on %s", l.cfg.Model, l.cfg.Device)
	if err := l.switchTo(l.cfg.Model, l.device, l.batch, EventStarted); err != nil {
		l.fail(l.clock.Now(), err)
	}
	for l.state != Done {
		if l.state.Running() && l.r.wake.Load() == 0 {
			l.step() // the hot path: no command waiting, context alive
			continue
		}
		if l.state.Running() {
			select {
			case <-ctx.Done():
				l.finish(l.clock.Now(), "stopped")
			case c := <-l.r.cmds:
				l.r.wake.Add(-1)
				c.reply <- l.handle(c)
			default:
				l.step() // a sender has not reached the channel yet
			}
			continue
		}
		select {
		case <-ctx.Done():
			l.finish(l.clock.Now(), "stopped")
		case c := <-l.r.cmds:
			l.r.wake.Add(-1)
			c.reply <- l.handle(c)
		}
	}
}

// handle applies one command between two batches.
func (l *loop) handle(c command) error {
	now := l.clock.Now()
	switch c.kind {
	case cmdPause:
		if l.state.Running() {
			l.stopClocks(now)
			l.state = Paused
			l.events.add(now, EventPaused, "paused")
			l.publish(now)
		}
	case cmdResume:
		switch l.state {
		case Paused:
			l.beginWarmup(now)
			l.state = Warming
			l.events.add(now, EventResumed, "resumed; warming up again (statistics kept)")
			l.publish(now)
		case Error:
			return l.switchTo(l.modelName(), l.device, l.batch, EventResumed)
		}
	case cmdReset:
		l.reset(now)
	case cmdBatch:
		return l.setBatch(now, c.n)
	case cmdModel:
		m, err := l.cfg.Catalog.Get(c.s)
		if err != nil {
			return err
		}
		return l.switchTo(m.Name, l.device, m.DefaultBatch, EventModel)
	case cmdDevice:
		d, err := engine.ParseDevice(c.s)
		if err != nil {
			return err
		}
		return l.switchTo(l.modelName(), d.String(), l.batch, EventDevice)
	case cmdProfile:
		return l.setProfile(now, c.n)
	}
	return nil
}

// setProfile turns the step profile on or off between two batches.
func (l *loop) setProfile(now time.Time, every int) error {
	if every < 0 || every == 1 {
		return fmt.Errorf("profile every %d batches: 0 (off) or at least 2 (one batch in N is profiled, the others measured)", every)
	}
	if every == l.prof.every {
		return nil
	}
	l.prof = profiler{every: every}
	if l.exec != nil {
		l.prof.open(l.exec, l.info)
	}
	l.publish(now)
	return nil
}

// reset empties the statistics. A warm executor measures on at once,
// without a new warm-up; what needs one says so: a warm-up under way goes on
// (nothing is measured yet to reset), a paused run warms up when it resumes,
// as after every pause.
func (l *loop) reset(now time.Time) {
	switch l.state {
	case Measuring, Stable:
		l.stopClocks(now)
		l.newRun(now, Measuring)
		l.events.add(now, EventReset, "statistics reset; measuring on without a new warm-up (the executor is warm)")
	case Warming:
		l.events.add(now, EventReset, "nothing is measured yet to reset: the warm-up goes on (%.1f s so far)", l.warmTimeAt(now).Seconds())
	case Paused:
		l.newRun(now, Paused)
		l.events.add(now, EventReset, "statistics reset; the run is paused, and resuming warms it up first, as after every pause")
	default:
		l.newRun(now, l.state)
		l.events.add(now, EventReset, "statistics reset")
	}
	l.publish(now)
}

// modelName is the name of the model open, or of the one asked for when
// none is open yet.
func (l *loop) modelName() string {
	if l.model != nil {
		return l.model.Name
	}
	return l.cfg.Model
}

// setBatch prepares a new batch size on the open executor; on out-of-memory it
// prepares the last batch that worked again.
func (l *loop) setBatch(now time.Time, n int) error {
	if n < 1 {
		return fmt.Errorf("batch %d: must be at least 1", n)
	}
	if l.model != nil {
		// A fixed-batch export runs at its batch only: refused, not failed.
		if err := l.model.CheckBatch(n); err != nil {
			return err
		}
	}
	if l.exec == nil {
		return l.switchTo(l.modelName(), l.device, n, EventBatch)
	}
	if err := safely(func() error { return l.exec.Prepare(n) }); err != nil {
		err = fmt.Errorf("preparing batch %d: %w", n, err)
		if !errors.Is(err, engine.ErrOutOfMemory) {
			l.fail(now, err)
			return err
		}
		l.events.add(now, EventOutOfMemory, "%v; back to batch %d", err, l.batch)
		if err2 := safely(func() error { return l.exec.Prepare(l.batch) }); err2 != nil {
			l.fail(now, fmt.Errorf("preparing batch %d again after out of memory: %w", l.batch, err2))
		} else {
			l.prepared() // the executor's own buffers, if any, are new
			now = l.clock.Now()
			l.newRun(now, Warming)
			l.publish(now)
		}
		return err
	}
	l.batch = n
	l.prepared()
	now = l.clock.Now() // preparing the batch is no part of its warm-up
	l.newRun(now, Warming)
	l.events.add(now, EventBatch, "batch %d", n)
	l.publish(now)
	return nil
}

// switchTo opens the named model on device at batch as a new executor; only
// when that worked is the old executor closed. kind names the event.
func (l *loop) switchTo(name, device string, batch int, kind EventKind) error {
	m, err := l.cfg.Catalog.Get(name)
	if err != nil {
		return err
	}
	if batch <= 0 {
		batch = m.DefaultBatch
	}
	if err := m.CheckBatch(batch); err != nil {
		return err
	}
	opts := l.cfg.Options
	if d, err := engine.ParseDevice(device); err == nil {
		opts = opts.On(d) // a GPU precision does not follow the run to the CPU
	}
	var ex engine.Executor
	err = safely(func() error {
		var err error
		ex, err = l.cfg.Registry.Open(device, m, opts)
		if err != nil {
			return err
		}
		return ex.Prepare(batch)
	})
	now := l.clock.Now()
	if err != nil {
		if ex != nil {
			_ = ex.Close()
		}
		err = fmt.Errorf("opening %s on %s at batch %d: %w", m.Name, device, batch, err)
		if errors.Is(err, engine.ErrOutOfMemory) {
			l.events.add(now, EventOutOfMemory, "%v", err)
			l.publish(now)
		}
		return err
	}
	l.closeExec()
	l.exec, l.model, l.device, l.batch = ex, m, device, batch
	l.peakTried, l.peakStale = false, false
	l.prepared()
	now = l.clock.Now() // the peak's calibration in Info is no part of the warm-up
	if l.info.Device != "" {
		l.device = l.info.Device
	}
	l.errText = ""
	l.newRun(now, Warming)
	if kind != EventStarted {
		l.events.add(now, kind, "%s on %s, batch %d", m.Name, l.device, batch)
	}
	l.publish(now)
	return nil
}

// prepared takes in what a successful Prepare changed: the executor's
// description (it may describe the batch: how the CUDA engine's
// convolutions run), the FLOPs per sample, the input and output tensors,
// the steps a profile times, and the batch's accuracy (Config.Check).
func (l *loop) prepared() {
	l.info = l.exec.Info()
	l.flops, _ = FLOPsPerSample(l.model) // unknown FLOPs read 0 GFLOP/s
	l.allocBuffers()
	l.prof.open(l.exec, l.info)
	l.check()
}

// allocBuffers sets the input and output tensors of the prepared batch and
// fills the inputs (deterministic for the seed, so once per Prepare). It must
// run after every successful Prepare: an executor's own host buffers
// (engine.HostBuffers) change with each one, and so may its signature.
func (l *loop) allocBuffers() {
	sigIn, sigOut := l.exec.Signature()
	l.in, l.out = nil, nil
	if hb, ok := l.exec.(engine.HostBuffers); ok {
		if hin, hout := hb.HostBuffers(); fits(hin, sigIn) && fits(hout, sigOut) {
			l.in, l.out = hin, hout
		}
	}
	if l.in == nil {
		if !fits(l.ownIn, sigIn) {
			l.ownIn = model.NewTensors(sigIn)
		}
		if !fits(l.ownOut, sigOut) {
			l.ownOut = model.NewTensors(sigOut)
		}
		l.in, l.out = l.ownIn, l.ownOut
	}
	model.FillInputs(l.model.Graph, l.in, l.cfg.Options.Seed)
}

// fits reports whether ts are tensors of exactly the specs' dtypes and shapes.
func fits(ts []*model.Tensor, specs []model.TensorSpec) bool {
	if len(ts) != len(specs) {
		return false
	}
	for i, t := range ts {
		if t == nil || t.DType != specs[i].DType || !slices.Equal(t.Shape, specs[i].Shape) {
			return false
		}
	}
	return true
}

// fail records an executor failure: the executor is closed and the loop waits
// for a command.
func (l *loop) fail(now time.Time, err error) {
	l.stopClocks(now)
	l.closeExec()
	l.state = Error
	l.errText = err.Error()
	kind := EventError
	if errors.Is(err, engine.ErrOutOfMemory) {
		kind = EventOutOfMemory
	}
	l.events.add(now, kind, "%v", err)
	l.publish(now)
}

// finish ends the loop: state Done and a final snapshot.
func (l *loop) finish(now time.Time, why string) {
	l.stopClocks(now)
	l.stability = l.evalStability()
	if l.state == Measuring || l.state == Stable {
		l.noteStability(now, false, true)
	}
	l.state = Done
	l.events.add(now, EventDone, "%s", why)
	l.publish(now)
}

func (l *loop) closeExec() {
	if l.exec != nil {
		_ = safely(l.exec.Close)
		l.exec = nil
	}
	l.prof.sp = nil
	l.in, l.out = nil, nil // they may have been the executor's, now freed
}

// safely calls f, turning a panic into an error.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("executor panicked: %v", p)
		}
	}()
	return f()
}
