package runner

import (
	"fmt"
	"time"
)

// StabilityQuiet is how long after one stability event (stable, no longer
// stable) the next waits. A run near a rule's limit on a busy machine turns
// stable and unstable window after window; an event for each change would
// push every other event out of the 32 a snapshot carries (the
// warm-up, a low peak calibration, a failed energy read). The state and the
// rules' figures change at once; only the events are spaced, and the next
// one says how many changes it passed over.
const StabilityQuiet = 10 * time.Second

// stabilityLog is what the events have said about the run's stability.
type stabilityLog struct {
	listed bool      // a stability event was listed in this RunID
	at     time.Time // when the last one was
	stable bool      // and what it said
	held   int       // changes since then that were not listed
}

// noteStability lists the run's stability when it differs from what the
// last stability event said and that event is StabilityQuiet old (or there
// is none, or final is set: the run is ending); changed says that this
// window changed it. It reports whether it listed an event.
func (l *loop) noteStability(now time.Time, changed, final bool) bool {
	s := &l.stabLog
	if changed {
		s.held++
	}
	stable := l.stability.Both()
	if s.held == 0 || (s.listed && (stable == s.stable || (!final && now.Sub(s.at) < StabilityQuiet))) {
		return false
	}
	note := ""
	if n := s.held - 1; n > 0 && s.listed {
		times := "times"
		if n == 1 {
			times = "time"
		}
		note = fmt.Sprintf("; it changed %d more %s in the last %.0f s", n, times, now.Sub(s.at).Seconds())
	}
	if stable {
		l.events.add(now, EventStable, "stable: windows within %.1f %%, IQR/median %.1f %%%s",
			100*max(l.stability.ThroughputSpread, l.stability.P50Spread), 100*l.stability.IQROverMedian, note)
	} else {
		l.events.add(now, EventUnstable, "no longer stable: %s%s", l.stability.Why(), note)
	}
	*s = stabilityLog{listed: true, at: now, stable: stable}
	return true
}
