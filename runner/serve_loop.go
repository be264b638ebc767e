package runner

import (
	"context"
	"fmt"
	"time"

	"infertop/serve"
)

// serveBackend runs batches for the serving loop: the real instances
// (instances) or a simulation on a virtual clock (simBackend).
type serveBackend interface {
	// now reads the backend's clock.
	now() time.Time
	// start hands a batch of the prepared size to idle instance i.
	start(i, size int)
	// wait returns when deadline passes (zero: no deadline), a batch
	// completes, a command arrives or ctx ends.
	wait(ctx context.Context, deadline time.Time, cmds <-chan serveCmd) wakeup
	// describe says what instance i runs on, and what the executors hold.
	describe(i int) Instance
	// snapshotInfo fills the executor description and memory.
	snapshotInfo(s *Snapshot)
	// close waits for the batches in flight and closes the executors.
	close()
}

type wakeKind int

const (
	wakeTimer wakeKind = iota
	wakeDone
	wakeCmd
	wakeCtx
)

// wakeup is why serveBackend.wait returned.
type wakeup struct {
	kind wakeKind
	done completion
	cmd  serveCmd
}

// completion is one batch an instance finished.
type completion struct {
	inst     int
	end      time.Time
	duration time.Duration // the engine's Run alone
	err      error
}

// inflight is the batch an instance is computing.
type inflight struct {
	busy     bool
	size     int       // the prepared size it runs in
	dispatch time.Time // when the loop handed it over
	since    time.Time // start of its busy time in the current window
	reqs     []request
}

// serveLoop is the state the Server's loop goroutine owns.
type serveLoop struct {
	s       *Server
	cfg     ServeConfig
	policy  serve.Policy
	arrival serve.Arrival
	be      serveBackend

	state   State
	errText string
	runID   uint64
	seq     uint64
	events  eventRing
	lastPub time.Time

	sched   *serve.Schedule // open-loop arrivals; nil otherwise
	queue   reqQueue
	fly     []inflight
	nBusy   int
	allBusy time.Duration // time every instance was busy, up to allSince
	// allSince is when every instance last became busy (while they are).
	allSince time.Time
	batches  int64 // dispatched over the loop's life (Simulation's stall index)

	stats serveStats
}

func newServeLoop(s *Server) *serveLoop {
	l := &serveLoop{s: s, cfg: s.cfg, policy: s.cfg.Policy, arrival: s.cfg.Arrival, runID: s.cfg.FirstRunID}
	l.fly = make([]inflight, s.cfg.Instances)
	for i := range l.fly {
		l.fly[i].reqs = make([]request, 0, l.policy.MaxBatch)
	}
	return l
}

// run is the loop goroutine's body.
func (l *serveLoop) run(ctx context.Context) {
	l.open(ctx, EventStarted)
	defer func() {
		if l.be != nil {
			l.be.close()
		}
	}()
	for l.state != Done {
		if l.state == Error {
			select {
			case <-ctx.Done():
				l.finish("stopped")
			case c := <-l.s.cmds:
				c.reply <- l.handle(ctx, c)
			}
			continue
		}
		now := l.be.now()
		l.tick(now)
		if l.state == Done {
			break
		}
		dl := l.deadline(now)
		w := l.be.wait(ctx, dl, l.s.cmds)
		if late := l.be.now().Sub(dl); w.kind == wakeTimer && l.state.Running() && late >= 0 {
			l.stats.late.record(late) // a timer that only brought the loop near its deadline is not late
		}
		switch w.kind {
		case wakeDone:
			l.complete(w.done)
		case wakeCmd:
			w.cmd.reply <- l.handle(ctx, w.cmd)
		case wakeCtx:
			l.finish("stopped")
		}
	}
	l.publish(l.nowOr())
}

// nowOr reads the backend's clock, or the wall clock without one.
func (l *serveLoop) nowOr() time.Time {
	if l.be != nil {
		return l.be.now()
	}
	return time.Now()
}

// open opens the instances (real or simulated), warms them up and starts
// measuring under a new RunID; a failure leaves the loop in state Error.
func (l *serveLoop) open(ctx context.Context, kind EventKind) {
	start := l.nowOr()
	if kind == EventStarted {
		l.events.add(start, EventStarted, "serving %s on %s: %s, %s", l.cfg.Model, l.cfg.Device, l.arrival, describePolicy(l.policy, l.cfg.Instances))
	}
	l.runID++ // the warm-up belongs to the run it starts
	l.state, l.errText = Warming, ""
	l.stats.reset(l, start)
	l.publish(start)
	var err error
	if l.cfg.Simulate != nil {
		l.be = newSimBackend(l.cfg)
	} else {
		var in *instances
		if in, err = openInstances(ctx, l.cfg, l.policy); err == nil {
			l.be = in
			noteAccuracy(&l.events, in.now(), in.checked, in.info.Precision, in.accuracy)
		}
	}
	if err != nil {
		l.be = nil
		l.fail(start, err)
		return
	}
	now := l.be.now()
	l.stats.warmup = now.Sub(start)
	l.events.add(now, EventWarmupDone, "%d instance(s) ready at batch sizes %s after %s", l.cfg.Instances, serve.FormatSizes(l.policy.PreparedSizes()), l.stats.warmup.Round(time.Millisecond))
	l.begin(now, false)
}

// begin starts measuring at now, under a new RunID when fresh (else the
// one its warm-up started): the statistics start empty, and open-loop
// arrivals are scheduled from now on (closed-loop clients each send their
// first request now).
func (l *serveLoop) begin(now time.Time, fresh bool) {
	if fresh {
		l.runID++
	}
	l.state = Measuring
	l.stats.reset(l, now)
	l.sched = nil
	if l.arrival.Open() {
		l.sched = serve.NewSchedule(l.arrival, l.cfg.Seed+l.runID, now)
	}
	if l.arrival.Kind == serve.Clients {
		for c := range l.arrival.Clients {
			l.admit(now, request{sched: now, client: int32(c)})
		}
	}
	l.publish(now)
}

// tick brings the loop up to now: due arrivals join the queue, free
// instances take batches, windows close, snapshots go out.
func (l *serveLoop) tick(now time.Time) {
	if l.state.Running() && l.sched != nil {
		for !l.sched.Peek().After(now) {
			l.admit(now, request{sched: l.sched.Pop(), client: -1})
		}
	}
	l.dispatch(now)
	if l.state.Running() {
		for !now.Before(l.stats.windowEnd) {
			l.closeWindow(l.stats.windowEnd)
			if l.state == Done {
				return
			}
		}
	}
	if now.Sub(l.lastPub) >= l.cfg.PublishInterval {
		l.publish(now)
	}
}

// deadline is the next time the loop must act without being woken by a
// completion or a command.
func (l *serveLoop) deadline(now time.Time) time.Time {
	var d time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if l.state.Running() {
		if l.sched != nil {
			earlier(l.sched.Peek())
		}
		earlier(l.stats.windowEnd)
	}
	earlier(l.stats.holdUntil)
	earlier(l.lastPub.Add(l.cfg.PublishInterval))
	return d
}

// admit queues a request scheduled at r.sched, or rejects it at a full queue.
func (l *serveLoop) admit(now time.Time, r request) {
	r.run = l.runID
	r.busy = l.allBusyAt(r.sched, now)
	l.stats.arrived()
	// A closed loop holds at most Clients requests: the limit is for open loops.
	full := (l.policy.QueueLimit > 0 && l.queue.len() >= l.policy.QueueLimit) || l.queue.len() >= queueCap
	if full && r.client < 0 {
		l.stats.rejected()
		return
	}
	l.stats.depthChange(now, l.queue.len()+1)
	l.queue.push(r)
}

// dispatch hands batches to free instances while the policy says so.
func (l *serveLoop) dispatch(now time.Time) {
	l.stats.holdUntil = time.Time{}
	for l.queue.len() > 0 && l.nBusy < len(l.fly) {
		n, wait := l.policy.Take(l.queue.len(), now.Sub(l.queue.front().sched))
		if n == 0 {
			l.stats.holdUntil = now.Add(wait)
			return
		}
		i := l.freeInstance()
		f := &l.fly[i]
		f.reqs = f.reqs[:0]
		for range n {
			r := l.queue.pop()
			r.queue = l.allBusyAt(now, now) - r.busy
			f.reqs = append(f.reqs, r)
		}
		l.stats.depthChange(now, l.queue.len())
		f.busy, f.dispatch, f.since = true, now, now
		f.size = l.policy.RunSize(n * l.policy.RequestSize)
		l.setBusy(now, +1)
		l.batches++
		l.be.start(i, f.size)
	}
}

// freeInstance is the idle instance that finished longest ago (the lowest
// index among equals), so the load spreads over them.
func (l *serveLoop) freeInstance() int {
	best := -1
	for i := range l.fly {
		if !l.fly[i].busy && (best < 0 || l.fly[i].since.Before(l.fly[best].since)) {
			best = i
		}
	}
	return best
}

// complete takes in a finished batch: each request's latency and its
// parts, and closed-loop clients send their next request.
func (l *serveLoop) complete(c completion) {
	f := &l.fly[c.inst]
	l.setBusy(c.end, -1)
	f.busy = false
	if c.err != nil {
		l.fail(c.end, fmt.Errorf("instance %d: %w", c.inst, c.err))
		return
	}
	l.stats.batchDone(l, c, f)
	f.since = c.end
	for _, r := range f.reqs {
		if r.client >= 0 && l.state.Running() {
			l.admit(c.end, request{sched: c.end, client: r.client})
		}
	}
	f.reqs = f.reqs[:0]
}

// setBusy counts an instance becoming busy (+1) or idle (-1) at t, for the
// time every instance is busy.
func (l *serveLoop) setBusy(t time.Time, d int) {
	if l.nBusy == len(l.fly) {
		l.allBusy += t.Sub(l.allSince)
	}
	l.nBusy += d
	if l.nBusy == len(l.fly) {
		l.allSince = t
	}
}

// allBusyAt is the time every instance was busy up to t (t ≤ now, and
// nothing changed since t when t < now: a late arrival's scheduled time).
func (l *serveLoop) allBusyAt(t, now time.Time) time.Duration {
	b := l.allBusy
	if l.nBusy == len(l.fly) {
		b += max(0, t.Sub(l.allSince))
	}
	return b
}

// fail records an instance or engine failure: arrivals stop and the loop
// waits for a command (Resume reopens).
func (l *serveLoop) fail(now time.Time, err error) {
	l.state, l.errText = Error, err.Error()
	l.events.add(now, EventError, "%v", err)
	if l.be != nil {
		l.be.close()
		l.be = nil
	}
	l.clear()
	l.publish(now)
}

// clear forgets the queue and the batches in flight, counting them as
// unanswered.
func (l *serveLoop) clear() {
	l.stats.unanswered += int64(l.queue.len())
	for i := range l.fly {
		if l.fly[i].busy {
			l.stats.unanswered += int64(len(l.fly[i].reqs))
		}
		l.fly[i].busy, l.fly[i].reqs = false, l.fly[i].reqs[:0]
	}
	l.queue = reqQueue{}
	l.nBusy, l.allBusy = 0, 0
}

// finish ends the run: what is queued or in flight is counted unanswered.
func (l *serveLoop) finish(why string) {
	now := l.nowOr()
	if l.state.Running() {
		l.stats.stopClock(now)
	}
	l.clear()
	l.state = Done
	l.events.add(now, EventDone, "%s after %s measured", why, l.stats.measuredAt(now, false).Round(time.Millisecond))
}

// describePolicy is the policy in a few words.
func describePolicy(p serve.Policy, instances int) string {
	s := fmt.Sprintf("max batch %d, max delay %s", p.MaxBatch, p.MaxDelay)
	if len(p.Preferred) > 0 {
		s += ", preferred " + serve.FormatSizes(p.Preferred)
	}
	if p.QueueLimit > 0 {
		s += fmt.Sprintf(", queue limit %d", p.QueueLimit)
	}
	if p.RequestSize > 1 {
		s += fmt.Sprintf(", %d samples per request", p.RequestSize)
	}
	return s + fmt.Sprintf(", %d instance(s)", instances)
}
