package runner

import (
	"context"
	"time"
)

// simBackend runs a serving loop on a virtual clock: a batch takes the
// Simulation's service time, and wait jumps the clock to the next event.
type simBackend struct {
	cfg     ServeConfig
	clock   time.Time
	finish  []time.Time // each busy instance's end; zero when idle
	took    []time.Duration
	batches int64
	polls   int // waits since the context and commands were last looked at
}

// simPoll is how many waits a simulation runs between two looks at its
// context and commands.
const simPoll = 64

func newSimBackend(cfg ServeConfig) *simBackend {
	start := cfg.Simulate.Start
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	return &simBackend{cfg: cfg, clock: start, finish: make([]time.Time, cfg.Instances), took: make([]time.Duration, cfg.Instances)}
}

func (b *simBackend) now() time.Time { return b.clock }

func (b *simBackend) start(i, size int) {
	d := max(b.cfg.Simulate.Service(size, b.batches), 0)
	b.batches++
	b.finish[i], b.took[i] = b.clock.Add(d), d
}

// wait takes a command if one is waiting (looked at every simPoll waits:
// a simulation runs far faster than its clock), else moves the clock to
// the earliest of the deadline and the first batch to finish. With
// nothing left to happen the simulation ends as a stopped context would.
func (b *simBackend) wait(ctx context.Context, deadline time.Time, cmds <-chan serveCmd) wakeup {
	if b.polls++; b.polls >= simPoll {
		b.polls = 0
		select {
		case <-ctx.Done():
			return wakeup{kind: wakeCtx}
		case c := <-cmds:
			return wakeup{kind: wakeCmd, cmd: c}
		default:
		}
	}
	first := -1
	for i, t := range b.finish {
		if !t.IsZero() && (first < 0 || t.Before(b.finish[first])) {
			first = i
		}
	}
	if first >= 0 && (deadline.IsZero() || !deadline.Before(b.finish[first])) {
		end := b.finish[first]
		b.clock = end
		b.finish[first] = time.Time{}
		return wakeup{kind: wakeDone, done: completion{inst: first, end: end, duration: b.took[first]}}
	}
	if deadline.IsZero() {
		return wakeup{kind: wakeCtx}
	}
	if deadline.After(b.clock) {
		b.clock = deadline
	}
	return wakeup{kind: wakeTimer}
}

func (b *simBackend) describe(i int) Instance {
	return Instance{Index: i, Device: "simulated"}
}

func (b *simBackend) snapshotInfo(s *Snapshot) {
	s.Info.Device, s.Info.Engine = "simulated", "simulated"
}

func (b *simBackend) close() {}
