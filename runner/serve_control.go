package runner

import (
	"context"
	"fmt"
	"slices"
	"time"

	"infertop/serve"
)

// handle applies one command between two events.
func (l *serveLoop) handle(ctx context.Context, c serveCmd) error {
	now := l.nowOr()
	switch c.kind {
	case scPause:
		if l.state.Running() {
			l.stats.stopClock(now)
			l.state = Paused
			l.sched = nil
			l.events.add(now, EventPaused, "paused: arrivals stopped; the queue drains")
			l.publish(now)
		}
	case scResume:
		switch l.state {
		case Paused:
			l.events.add(now, EventResumed, "resumed: measuring afresh")
			l.begin(now, true)
		case Error:
			l.open(ctx, EventResumed)
		}
	case scReset:
		if l.state.Running() || l.state == Paused {
			l.events.add(now, EventReset, "statistics reset")
			l.begin(now, true)
		}
	case scRate:
		if !l.arrival.Open() {
			return fmt.Errorf("the rate is set by the arrival %s: only poisson and constant arrivals have one", l.arrival)
		}
		if !(c.rate > 0) || c.rate > serve.MaxRate {
			return fmt.Errorf("rate %g: above 0 and at most %g requests per second", c.rate, float64(serve.MaxRate))
		}
		l.arrival = l.arrival.WithRate(c.rate)
		l.events.add(now, EventBatch, "arrival %s", l.arrival)
		if l.state.Running() {
			l.begin(now, true)
		}
	case scPolicy:
		if err := c.policy.Validate(); err != nil {
			return err
		}
		old := l.policy
		l.policy = c.policy
		l.events.add(now, EventBatch, "batcher: %s", describePolicy(l.policy, l.cfg.Instances))
		if !slices.Equal(old.PreparedSizes(), c.policy.PreparedSizes()) && l.cfg.Simulate == nil {
			l.reopen(ctx)
			return nil
		}
		l.resizeFly()
		if l.state.Running() {
			l.begin(now, true)
		}
	}
	return nil
}

// reopen prepares the instances again for a policy whose prepared sizes
// changed: the batches in flight finish, the queue is kept, and measuring
// starts afresh after the warm-up.
func (l *serveLoop) reopen(ctx context.Context) {
	if l.be != nil {
		l.be.close()
		l.be = nil
	}
	for i := range l.fly {
		l.fly[i].busy = false
	}
	l.nBusy, l.allBusy = 0, 0
	l.resizeFly()
	l.open(ctx, EventBatch)
}

// resizeFly makes each instance's request list hold a max batch.
func (l *serveLoop) resizeFly() {
	for i := range l.fly {
		if cap(l.fly[i].reqs) < l.policy.MaxBatch {
			l.fly[i].reqs = make([]request, len(l.fly[i].reqs), l.policy.MaxBatch)
		}
	}
}

// publish builds a snapshot and hands it to the Server without blocking.
func (l *serveLoop) publish(now time.Time) {
	l.lastPub = now
	l.s.publish(l.snapshot(now))
}
