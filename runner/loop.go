package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"infertop/engine"
	"infertop/presets"
)

// loop is the state the loop goroutine owns: the executor, the buffers, the
// histograms and the counters. Nothing else touches it while the loop runs.
type loop struct {
	r     *Runner
	cfg   Config
	clock Clock

	preset *presets.Preset
	device string
	batch  int
	exec   engine.Executor
	info   engine.Info
	// in and out are what Run gets: the executor's own host buffers when it
	// offers them (engine.HostBuffers), else ownIn and ownOut.
	in     []float32
	out    []float32
	ownIn  []float32
	ownOut []float32

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
	return l
}

// run is the loop goroutine's body.
func (l *loop) run(ctx context.Context) {
	defer l.closeExec()
	now := l.clock.Now()
	l.events.add(now, EventStarted, "started %s on %s", l.cfg.Preset, l.cfg.Device)
	if err := l.switchTo(l.cfg.Preset, l.device, l.batch, EventStarted); err != nil {
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
			name := l.cfg.Preset
			if l.preset != nil {
				name = l.preset.Name
			}
			return l.switchTo(name, l.device, l.batch, EventResumed)
		}
	case cmdReset:
		l.newRun(now, l.state)
		l.events.add(now, EventReset, "statistics reset")
		l.publish(now)
	case cmdBatch:
		return l.setBatch(now, c.n)
	case cmdPreset:
		p, err := l.cfg.Catalog.Get(c.s)
		if err != nil {
			return err
		}
		return l.switchTo(p.Name, l.device, p.DefaultBatch, EventPreset)
	case cmdDevice:
		d, err := engine.ParseDevice(c.s)
		if err != nil {
			return err
		}
		name := l.cfg.Preset
		if l.preset != nil {
			name = l.preset.Name
		}
		return l.switchTo(name, d.String(), l.batch, EventDevice)
	}
	return nil
}

// setBatch prepares a new batch size on the open executor; on out-of-memory it
// prepares the last batch that worked again.
func (l *loop) setBatch(now time.Time, n int) error {
	if n < 1 {
		return fmt.Errorf("batch %d: must be at least 1", n)
	}
	if l.exec == nil {
		name := l.cfg.Preset
		if l.preset != nil {
			name = l.preset.Name
		}
		return l.switchTo(name, l.device, n, EventBatch)
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
			l.info = l.exec.Info()
			l.allocBuffers() // the executor's own buffers, if any, are new
			l.newRun(now, Warming)
			l.publish(now)
		}
		return err
	}
	l.batch = n
	l.info = l.exec.Info() // it may describe the batch (how the CUDA engine's convolutions run)
	l.allocBuffers()
	l.newRun(now, Warming)
	l.events.add(now, EventBatch, "batch %d", n)
	l.publish(now)
	return nil
}

// switchTo opens presetName on device at batch as a new executor; only when that
// worked is the old executor closed. kind names the event.
func (l *loop) switchTo(presetName, device string, batch int, kind EventKind) error {
	p, err := l.cfg.Catalog.Get(presetName)
	if err != nil {
		return err
	}
	if batch <= 0 {
		batch = p.DefaultBatch
	}
	var ex engine.Executor
	err = safely(func() error {
		var err error
		ex, err = l.cfg.Registry.Open(device, p, l.cfg.Options)
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
		err = fmt.Errorf("opening %s on %s at batch %d: %w", p.Name, device, batch, err)
		if errors.Is(err, engine.ErrOutOfMemory) {
			l.events.add(now, EventOutOfMemory, "%v", err)
			l.publish(now)
		}
		return err
	}
	l.closeExec()
	l.exec, l.preset, l.device, l.batch = ex, p, device, batch
	l.info = ex.Info()
	if l.info.Device != "" {
		l.device = l.info.Device
	}
	l.allocBuffers()
	l.errText = ""
	l.newRun(now, Warming)
	if kind != EventStarted {
		l.events.add(now, kind, "%s on %s, batch %d", p.Name, l.device, batch)
	}
	l.publish(now)
	return nil
}

// allocBuffers sets the input and output of the prepared batch and fills the
// input (deterministic for the seed, so once per Prepare). It must run after
// every successful Prepare: an executor's own host buffers (engine.HostBuffers)
// change with each one.
func (l *loop) allocBuffers() {
	in := l.batch * l.preset.InputSize()
	out := l.batch * l.preset.OutputSize()
	if hb, ok := l.exec.(engine.HostBuffers); ok {
		if hin, hout := hb.HostBuffers(); len(hin) == in && len(hout) == out {
			l.in, l.out = hin, hout
			l.preset.FillInput(l.in, l.cfg.Options.Seed)
			return
		}
	}
	if cap(l.ownIn) < in {
		l.ownIn = make([]float32, in)
	}
	l.ownIn = l.ownIn[:in]
	if cap(l.ownOut) < out {
		l.ownOut = make([]float32, out)
	}
	l.ownOut = l.ownOut[:out]
	l.in, l.out = l.ownIn, l.ownOut
	l.preset.FillInput(l.in, l.cfg.Options.Seed)
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
