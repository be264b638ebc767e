package record

import "infertop/runner"

// Line types of the dashboard's sweep (the s key). They hold what a headless
// sweep's snapshot and event lines hold, the snapshots and events of the
// sweep's probe runs, under types of their own so that a replay of the
// dashboard keeps showing the dashboard's run, which is paused meanwhile.
const (
	TypeSweepSnapshot = "sweep_snapshot"
	TypeSweepEvent    = "sweep_event"
)

// SweepSnapshot records one snapshot of a dashboard sweep's probe run: first
// the events it carries that were not recorded yet, each as a sweep_event
// line, then the snapshot as a sweep_snapshot line. A snapshot whose number
// does not follow the previous one's, or whose batch differs, starts a new
// probe run, whose events are numbered from the start again.
func (r *Recorder) SweepSnapshot(s runner.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	m := &r.sweep
	restart := m.any && (s.Seq <= m.lastSeq || s.Batch != m.batch)
	r.appendSnapshot(s, m.newEvents(s, restart), m.sameProfile(s, restart, r.at()), TypeSweepSnapshot, TypeSweepEvent)
}
