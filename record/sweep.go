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

// sweepEvents is what the recorder keeps to write each event of the sweep's
// probe runs once. Every batch size runs in a runner of its own, whose
// snapshot and event numbers start again.
type sweepEvents struct {
	// any says a snapshot was recorded: lastSeq and batch are its.
	any     bool
	lastSeq uint64
	batch   int
	// anyEvent says an event of the current probe run was recorded: lastEvent is its number.
	anyEvent  bool
	lastEvent uint64
}

// SweepSnapshot records one snapshot of a dashboard sweep's probe run: first
// the events it carries that were not recorded yet, each as a sweep_event
// line, then the snapshot as a sweep_snapshot line. A snapshot whose number
// goes back, or whose batch differs from the previous one, starts a new
// probe run, whose events are numbered from the start again.
func (r *Recorder) SweepSnapshot(s runner.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	st := &r.sweep
	if st.any && (s.Seq <= st.lastSeq || s.Batch != st.batch) {
		st.anyEvent = false
	}
	st.any, st.lastSeq, st.batch = true, s.Seq, s.Batch
	at := r.at()
	for _, e := range s.Events {
		if st.anyEvent && e.Seq <= st.lastEvent {
			continue
		}
		r.appendLine(line{Type: TypeSweepEvent, At: at, Event: &e})
		st.lastEvent, st.anyEvent = e.Seq, true
	}
	sj := snapshotJSON{Snapshot: &s, Stability: toStabilityJSON(s.Stability), Events: eventsRef{Count: len(s.Events)}}
	if n := len(s.Events); n > 0 {
		sj.Events.LastSeq = s.Events[n-1].Seq
	}
	r.appendLine(line{Type: TypeSweepSnapshot, At: at, Snapshot: &sj})
}
