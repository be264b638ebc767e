package ui

import (
	"fmt"
	"math"
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"infertop/internal/units"
	"infertop/serve"
)

// Steps of the serving keys.
const (
	// rateStep multiplies or divides the arrival rate (> and <).
	rateStep = 1.25
	// firstDelay is the max delay ] sets from 0, and below which [ sets 0.
	firstDelay = 100 * time.Microsecond
)

// serveAsk is what the serving keys last asked the session for. The
// snapshots say so only once the runner has published: two presses before
// that must build on the first, not on the snapshot's settings. It is
// forgotten when a snapshot arrives with no control call in flight, and
// when a call fails.
type serveAsk struct {
	// mode is set when o asked for serving (on) or batches back to back.
	mode    bool
	modeSet bool
	// rate is the arrival rate asked for (0: none).
	rate float64
	// policy is the batcher's policy asked for (nil: none).
	policy *serve.Policy
}

// serving reports whether the dashboard is in serving mode: the mode last
// asked for, else whether the latest snapshot is a serving run's.
func (m *Model) serving() bool {
	if m.ask.modeSet {
		return m.ask.mode
	}
	return m.snap.Serving != nil
}

// serveKey handles the serving keys (o, the rate and the max delay) and,
// in serving mode, the batch keys, which set the max batch; it reports
// whether k was one of them.
func (m *Model) serveKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, m.keys.Serving):
		return m.toggleServing(), true
	case key.Matches(k, m.keys.RateUp):
		return m.stepRate(rateStep), true
	case key.Matches(k, m.keys.RateDown):
		return m.stepRate(1 / rateStep), true
	case key.Matches(k, m.keys.DelayUp):
		return m.stepDelay(true), true
	case key.Matches(k, m.keys.DelayDown):
		return m.stepDelay(false), true
	case !m.serving():
		return nil, false
	case key.Matches(k, m.keys.Double):
		p, ok := m.servePolicy()
		if !ok {
			return nil, true
		}
		return m.askMaxBatch(p.MaxBatch * 2), true
	case key.Matches(k, m.keys.Halve):
		p, ok := m.servePolicy()
		if !ok {
			return nil, true
		}
		if p.MaxBatch <= 1 {
			m.setStatus("max batch is already 1", true)
			return nil, true
		}
		return m.askMaxBatch(p.MaxBatch / 2), true
	}
	return nil, false
}

// toggleServing asks the session for the other mode.
func (m *Model) toggleServing() tea.Cmd {
	on := !m.serving()
	m.ask.mode, m.ask.modeSet = on, true
	m.ask.rate, m.ask.policy = 0, nil
	what := "serving mode"
	if !on {
		what = "closed loop"
	}
	m.pending++
	m.setStatus(what+": starting…", false)
	sess := m.opts.Session
	return m.control(what, func() error { return sess.SetServing(on) })
}

// servePolicy is the batcher's policy the serving keys start from: the one
// last asked for, else the snapshot's. Outside serving mode, or before its
// first snapshot, it says why there is none.
func (m *Model) servePolicy() (serve.Policy, bool) {
	if m.ask.policy != nil {
		return *m.ask.policy, true
	}
	sv := m.snap.Serving
	if !m.serving() || sv == nil {
		m.notServing()
		return serve.Policy{}, false
	}
	return serve.Policy{MaxBatch: sv.MaxBatch, MaxDelay: sv.MaxDelay, Preferred: slices.Clone(sv.Preferred),
		QueueLimit: sv.QueueLimit, RequestSize: sv.RequestSize}, true
}

// notServing says why a serving key did nothing.
func (m *Model) notServing() {
	if m.serving() {
		m.setStatus("serving mode is starting: its settings can change once it has published", true)
		return
	}
	m.setStatus("serving mode only: o switches to it", true)
}

// stepRate multiplies the arrival rate by f.
func (m *Model) stepRate(f float64) tea.Cmd {
	rate := m.ask.rate
	if rate == 0 {
		sv := m.snap.Serving
		if !m.serving() || sv == nil {
			m.notServing()
			return nil
		}
		a, err := serve.ParseArrival(sv.Arrival)
		if err != nil {
			m.setStatus("rate: "+err.Error(), true)
			return nil
		}
		if !a.Open() {
			m.setStatus(fmt.Sprintf("arrival %s has no rate to change: each client sends its next request when its last is answered", sv.Arrival), true)
			return nil
		}
		rate = a.Rate
	}
	next := roundRate(rate * f)
	if next <= 0 || next == rate {
		m.setStatus(fmt.Sprintf("rate %s req/s is the lowest the keys step to", units.Short(rate)), true)
		return nil
	}
	rate = next
	if rate > serve.MaxRate {
		m.setStatus(fmt.Sprintf("rate %s req/s is above the limit of %s req/s", units.Short(rate), units.Short(serve.MaxRate)), true)
		return nil
	}
	m.ask.rate = rate
	m.pending++
	sess := m.opts.Session
	return m.control(fmt.Sprintf("rate %s req/s", units.Short(rate)), func() error { return sess.SetRate(rate) })
}

// roundRate rounds a stepped rate to whole requests per second (hundredths
// below 10), so that the arrival reads "poisson:14648", not
// "poisson:14648.4375", after a few steps.
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*100) / 100
}

// stepDelay doubles or halves the max delay; from 0 it goes to firstDelay,
// and below firstDelay down to 0.
func (m *Model) stepDelay(up bool) tea.Cmd {
	p, ok := m.servePolicy()
	if !ok {
		return nil
	}
	switch {
	case up && p.MaxDelay == 0:
		p.MaxDelay = firstDelay
	case up && p.MaxDelay*2 > serve.MaxDelayLimit:
		m.setStatus(fmt.Sprintf("max delay %s is at its limit of %s", units.Latency(p.MaxDelay), units.Latency(serve.MaxDelayLimit)), true)
		return nil
	case up:
		p.MaxDelay *= 2
	case p.MaxDelay == 0:
		m.setStatus("max delay is already 0: batches go at once", true)
		return nil
	case p.MaxDelay <= firstDelay:
		p.MaxDelay = 0
	default:
		p.MaxDelay /= 2
	}
	return m.askPolicy(p, "max delay "+units.Latency(p.MaxDelay))
}

// askMaxBatch asks for max batch n, checked as a batch is (an instance
// prepares its engine for it); the preferred sizes above n are left out.
func (m *Model) askMaxBatch(n int) tea.Cmd {
	p, ok := m.servePolicy()
	if !ok {
		return nil
	}
	switch {
	case n > m.opts.MaxBatch:
		m.setStatus(fmt.Sprintf("max batch %d is above the limit of %d", n, m.opts.MaxBatch), true)
		return nil
	case n < p.RequestSize:
		m.setStatus(fmt.Sprintf("max batch %d cannot hold one request of %d samples", n, p.RequestSize), true)
		return nil
	}
	if err := m.opts.Session.CheckBatch(n); err != nil {
		m.setStatus(err.Error(), true)
		return nil
	}
	p.MaxBatch = n
	p.Preferred = slices.DeleteFunc(slices.Clone(p.Preferred), func(b int) bool { return b > n })
	m.batch = n
	return m.askPolicy(p, fmt.Sprintf("max batch %d", n))
}

// askPolicy asks the session for the batcher's policy p.
func (m *Model) askPolicy(p serve.Policy, what string) tea.Cmd {
	m.ask.policy = &p
	m.pending++
	sess := m.opts.Session
	return m.control(what, func() error { return sess.SetServePolicy(p) })
}
