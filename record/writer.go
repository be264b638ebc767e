package record

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"infertop/gpuinfo"
	"infertop/internal/atomicfile"
	"infertop/runner"
)

// FlushInterval is the longest a written line waits in the buffer.
const FlushInterval = 500 * time.Millisecond

// flushSize is the buffered size that triggers a flush at once.
const flushSize = 256 << 10

// Recorder writes one recording. Its methods are safe for concurrent use and
// never wait for anything but the file; a failed write is kept, later lines
// are dropped, and Close returns the error.
type Recorder struct {
	now   func() time.Time
	start time.Time

	mu     sync.Mutex
	w      io.WriteCloser
	buf    []byte // whole lines not yet written
	err    error
	run    eventMarks // the run's snapshots
	sweep  eventMarks // the dashboard sweep's
	cmpSeq uint64
	closed bool

	stop chan struct{}
	done chan struct{}
}

// Create starts a recording of path with h as its header. The lines go to
// a temporary file beside path, renamed over it by a Close that wrote them
// all (internal/atomicfile): a recording that fails, or a process killed
// while recording, leaves what was at path as it was, and the incomplete
// lines in the temporary file ".NAME.*.tmp" beside it.
func Create(path string, h Header) (*Recorder, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	r, err := New(committer{f}, h, time.Now)
	if err != nil {
		f.Abort()
		return nil, err
	}
	return r, nil
}

// committer closes an atomic file by committing it. The Recorder closes its
// writer only after writing every line; after a failed write it aborts.
type committer struct{ *atomicfile.File }

// Close commits the file.
func (c committer) Close() error { return c.Commit() }

// abort drops the file (a recording whose writing failed).
func (c committer) abort() { c.Abort() }

// New starts a recording on w; now is the clock every line's offset is read
// from (h.Started is set from it when zero). It writes the header at once and
// flushes every FlushInterval in a goroutine that Close ends.
func New(w io.WriteCloser, h Header, now func() time.Time) (*Recorder, error) {
	if h.Started.IsZero() {
		h.Started = now()
	}
	h.Format = FormatVersion
	r := &Recorder{now: now, start: h.Started, w: w, stop: make(chan struct{}), done: make(chan struct{})}
	r.mu.Lock()
	r.appendLine(headerLine{Type: TypeHeader, Header: h})
	r.flushLocked()
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	go r.flusher()
	return r, nil
}

func (r *Recorder) flusher() {
	defer close(r.done)
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			r.flushLocked()
			r.mu.Unlock()
		}
	}
}

// Snapshot records s: first the events it carries that were not recorded
// yet, each on its own line, then the snapshot itself. A snapshot whose
// number is below the previous one's comes from a new runner (the next batch
// size of a bench or a sweep), whose events are numbered from 0 again.
func (r *Recorder) Snapshot(s runner.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	m := &r.run
	restart := m.any && s.Seq < m.lastSeq
	r.appendSnapshot(s, m.newEvents(s, restart), m.sameProfile(s, restart, r.at()), TypeSnapshot, TypeEvent)
}

// eventMarks is what the recorder keeps to write each event of a series of
// runners once: a bench or a sweep runs every batch size in a runner of its
// own, whose snapshot and event numbers start again.
type eventMarks struct {
	// any says a snapshot was recorded: lastSeq and batch are its.
	any     bool
	lastSeq uint64
	batch   int
	// anyEvent says an event of the current runner was recorded: lastEvent is its number.
	anyEvent  bool
	lastEvent uint64
	// prof is the run and note of the step profile last written, at
	// profAt, when profWritten.
	profWritten bool
	prof        profileKey
	profAt      int64
}

// ProfileInterval is how often a recording writes the step profile of a
// run whose profile keeps changing: a snapshot in between leaves its
// profile out, and a replay shows the one written before. Ten snapshots a
// second, each with the whole table, would make the profile most of a
// recording's size.
const ProfileInterval = time.Second

// profileKey is what makes a step profile a new one at once, whenever it
// was written last: another run (batch, model, device), or another note (a
// profile without steps, or one with steps again).
type profileKey struct {
	run  uint64
	note string
}

// sameProfile notes s's step profile at offset at and says whether its line
// leaves it out: the series' last written profile is of the same run and
// note, and was written less than ProfileInterval before. restart says
// that s comes from another runner than the snapshot before.
func (m *eventMarks) sameProfile(s runner.Snapshot, restart bool, at int64) bool {
	if s.Profile == nil {
		m.profWritten = false
		return false
	}
	k := profileKey{run: s.RunID, note: s.Profile.Note}
	if m.profWritten && !restart && k == m.prof && at-m.profAt < int64(ProfileInterval) {
		return true
	}
	m.profWritten, m.prof, m.profAt = true, k, at
	return false
}

// newEvents notes s and returns its events not recorded yet; restart says
// that s comes from another runner than the snapshot before it.
func (m *eventMarks) newEvents(s runner.Snapshot, restart bool) []runner.Event {
	if restart {
		m.anyEvent = false
	}
	m.any, m.lastSeq, m.batch = true, s.Seq, s.Batch
	var out []runner.Event
	for _, e := range s.Events {
		if m.anyEvent && e.Seq <= m.lastEvent {
			continue
		}
		out = append(out, e)
		m.lastEvent, m.anyEvent = e.Seq, true
	}
	return out
}

// appendSnapshot appends the lines of s: its new events as lines of type
// eventType, then s as a line of type snapType, without its step profile
// when sameProfile says the line before in the series carried it.
func (r *Recorder) appendSnapshot(s runner.Snapshot, events []runner.Event, sameProfile bool, snapType, eventType string) {
	at := r.at()
	for _, e := range events {
		r.appendLine(line{Type: eventType, At: at, Event: &e})
	}
	sj := snapshotJSON{Snapshot: &s, Stability: toStabilityJSON(s.Stability), Events: eventsRef{Count: len(s.Events)}}
	if sameProfile {
		s.Profile, sj.SameProfile = nil, true
	}
	if n := len(s.Events); n > 0 {
		sj.Events.LastSeq = s.Events[n-1].Seq
	}
	r.appendLine(line{Type: snapType, At: at, Snapshot: &sj})
}

// Sample records one GPU sample. Lines given after Close are dropped.
func (r *Recorder) Sample(s gpuinfo.Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.appendLine(line{Type: TypeSample, At: r.at(), Sample: &s})
}

// Host records one host reading (any value that encodes to a JSON object).
func (r *Recorder) Host(v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		r.fail(fmt.Errorf("recording a host reading: %w", err))
		return
	}
	r.appendLine(line{Type: TypeHost, At: r.at(), Host: b})
}

// Err returns the first error, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close flushes what is buffered, ends the flushing goroutine and closes the
// file; it returns the first error of the recording. It is idempotent.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return r.Err()
	}
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	if a, ok := r.w.(interface{ abort() }); ok && r.err != nil {
		a.abort() // the lines are not all there: what was at the path stays
		return fmt.Errorf("%w; %s was left as it was", r.err, r.path())
	}
	if err := r.w.Close(); err != nil {
		r.fail(fmt.Errorf("recording: %w", err))
	}
	return r.err
}

// path names the recording's file for messages ("the recording" when it
// is not a file).
func (r *Recorder) path() string {
	if c, ok := r.w.(committer); ok {
		return c.Name()
	}
	return "the recording"
}

func (r *Recorder) at() int64 { return int64(r.now().Sub(r.start)) }

// appendLine encodes v as one line; it is written with the next flush.
func (r *Recorder) appendLine(v any) {
	if r.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		r.fail(fmt.Errorf("recording: encoding a line: %w", err))
		return
	}
	r.buf = append(append(r.buf, b...), '\n')
	if len(r.buf) >= flushSize {
		r.flushLocked()
	}
}

// flushLocked writes the buffered whole lines in one write.
func (r *Recorder) flushLocked() {
	if len(r.buf) == 0 || r.err != nil {
		return
	}
	_, err := r.w.Write(r.buf)
	r.buf = r.buf[:0]
	if err != nil {
		r.fail(fmt.Errorf("recording: %w", err))
	}
}

func (r *Recorder) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}
