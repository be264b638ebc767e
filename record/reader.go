package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

// maxLine bounds one line (a snapshot is a few tens of kilobytes).
const maxLine = 64 << 20

// ErrNewerFormat is wrapped by Read's error for a file a newer build wrote.
var ErrNewerFormat = errors.New("recording from a newer format version")

// Kind says what an Entry holds.
type Kind int

// Entry kinds.
const (
	KindSnapshot Kind = iota
	KindSample
	KindEvent
	KindHost
	KindCompareWindow
	KindCompareEvent
	// KindSweepSnapshot and KindSweepEvent are a snapshot and an event of
	// one of the dashboard sweep's probe runs (Snapshot, Event), not of the
	// dashboard's run.
	KindSweepSnapshot
	KindSweepEvent
)

// Entry is one line after the header.
type Entry struct {
	Kind Kind
	// At is the offset from the recording's start.
	At time.Duration
	// Line is the line's number in the file (the header is line 1).
	Line int
	// One of these is set, by Kind. A snapshot's Events are rebuilt from the
	// event lines before it.
	Snapshot *runner.Snapshot
	Sample   *gpuinfo.Sample
	Event    *runner.Event
	Host     json.RawMessage
	// Case is the selftest case an event reports, when it reports one.
	Case *Case
	// A compare's window or event.
	CompareWindow *CompareWindow
	CompareEvent  *CompareEvent
}

// Stop says where a damaged recording stopped being read.
type Stop struct {
	// Line is the number of the first line not read; Offset its byte offset.
	Line   int
	Offset int64
	// Reason says what was wrong with it.
	Reason string
}

// String reads like "stopped at line 812 (byte 4410293): a truncated line".
func (s Stop) String() string {
	return fmt.Sprintf("stopped at line %d (byte %d): %s", s.Line, s.Offset, s.Reason)
}

// Recording is a whole file read back.
type Recording struct {
	Header  Header
	Entries []Entry
	// Stopped is set when the file was truncated or damaged: the entries are
	// those before it.
	Stopped *Stop
}

// Duration is the offset of the last entry.
func (r *Recording) Duration() time.Duration {
	if n := len(r.Entries); n > 0 {
		return r.Entries[n-1].At
	}
	return 0
}

// ReadFile reads the recording at path.
func ReadFile(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	defer f.Close()
	rec, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	return rec, nil
}

// Read reads a recording whole into memory. A missing or unreadable header,
// or a newer format version (an error wrapping ErrNewerFormat that names
// it), is an error; a damaged line after the header ends the reading there
// and Stopped says where and why. Open reads a long recording in place.
func Read(r io.Reader) (*Recording, error) {
	var rec Recording
	h, stop, err := scan(r, newEventBook(), func(e *Entry, _ int64, _ int) { rec.Entries = append(rec.Entries, *e) })
	if err != nil {
		return nil, err
	}
	rec.Header, rec.Stopped = h, stop
	return &rec, nil
}

// readLine returns one line without its newline; io.EOF with data means the
// last line had none.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > maxLine {
			return out, fmt.Errorf("a line longer than %d bytes", maxLine)
		}
		switch {
		case err == nil:
			return out[:len(out)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return out, err
		}
	}
}

func readHeader(raw []byte, h *Header) error {
	var hl headerLine
	if err := json.Unmarshal(raw, &hl); err != nil || hl.Type != TypeHeader {
		return errors.New("not an infertop recording: the first line is not its header")
	}
	if hl.Format > FormatVersion {
		return fmt.Errorf("%w: the file is format version %d, this build reads up to %d (recorded by infertop %s; use that version or newer)",
			ErrNewerFormat, hl.Format, FormatVersion, hl.Build.Version)
	}
	if hl.Format < 1 {
		return fmt.Errorf("the header has no valid format version (%d)", hl.Format)
	}
	*h = hl.Header
	return nil
}

// eventBook holds every event line read, by number, so that a snapshot's
// events can be rebuilt as they were when it was written: for each number,
// the latest event of that number on a line before the snapshot's (numbers
// start again when a new run starts). The run's events and those of the
// dashboard sweep's probe runs are kept apart.
type eventBook struct {
	bySeq [2]map[uint64][]bookedEvent
	last  [2]int // the last line added, so that a line decoded again is not added twice
	// profiles are the step profiles written, in the order of their lines.
	profiles [2][]bookedProfile
}

type bookedProfile struct {
	line int
	p    *runner.Profile
}

// addProfile books the step profile of the snapshot on line.
func (b *eventBook) addProfile(sweep bool, line int, p *runner.Profile) {
	k := bookIndex(sweep)
	if n := len(b.profiles[k]); n > 0 && line <= b.profiles[k][n-1].line {
		return
	}
	b.profiles[k] = append(b.profiles[k], bookedProfile{line: line, p: p})
}

// profile is the latest step profile booked on a line before line.
func (b *eventBook) profile(sweep bool, line int) *runner.Profile {
	ps := b.profiles[bookIndex(sweep)]
	i := sort.Search(len(ps), func(i int) bool { return ps[i].line >= line })
	if i == 0 {
		return nil
	}
	return ps[i-1].p
}

type bookedEvent struct {
	line int
	ev   runner.Event
}

func newEventBook() *eventBook {
	return &eventBook{bySeq: [2]map[uint64][]bookedEvent{{}, {}}}
}

func bookIndex(sweep bool) int {
	if sweep {
		return 1
	}
	return 0
}

// add books an event read on line.
func (b *eventBook) add(sweep bool, line int, ev runner.Event) {
	k := bookIndex(sweep)
	if line <= b.last[k] {
		return
	}
	b.last[k] = line
	b.bySeq[k][ev.Seq] = append(b.bySeq[k][ev.Seq], bookedEvent{line: line, ev: ev})
}

// get is the latest event numbered seq on a line before line.
func (b *eventBook) get(sweep bool, line int, seq uint64) (runner.Event, bool) {
	evs := b.bySeq[bookIndex(sweep)][seq]
	i := sort.Search(len(evs), func(i int) bool { return evs[i].line >= line })
	if i == 0 {
		return runner.Event{}, false
	}
	return evs[i-1].ev, true
}

// decodeEntry reads one line; unknown line types from the same format version
// are skipped (nil entry, no error).
func decodeEntry(raw []byte, n int, book *eventBook) (*Entry, error) {
	var l line
	if err := parseLine(raw, &l); err != nil {
		return nil, err
	}
	return entryOf(&l, n, book)
}

// parseLine decodes one line's JSON: the costly part of reading, which
// depends on no other line.
func parseLine(raw []byte, l *line) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return errors.New("an empty line")
	}
	if err := json.Unmarshal(raw, l); err != nil {
		return fmt.Errorf("not valid JSON (%v)", err)
	}
	return nil
}

// entryOf makes line n's entry from its decoded JSON, in the order of the
// lines: an event is booked, a snapshot's events are looked up.
func entryOf(l *line, n int, book *eventBook) (*Entry, error) {
	e := &Entry{At: time.Duration(l.At), Line: n}
	switch {
	case l.Type == TypeSnapshot && l.Snapshot != nil && l.Snapshot.Snapshot != nil:
		e.Kind, e.Snapshot = KindSnapshot, l.Snapshot.snapshot(book, false, n)
	case l.Type == TypeSweepSnapshot && l.Snapshot != nil && l.Snapshot.Snapshot != nil:
		e.Kind, e.Snapshot = KindSweepSnapshot, l.Snapshot.snapshot(book, true, n)
	case l.Type == TypeSample && l.Sample != nil:
		e.Kind, e.Sample = KindSample, l.Sample
	case l.Type == TypeEvent && l.Event != nil:
		book.add(false, n, *l.Event)
		e.Kind, e.Event, e.Case = KindEvent, l.Event, l.Case
	case l.Type == TypeSweepEvent && l.Event != nil:
		book.add(true, n, *l.Event)
		e.Kind, e.Event = KindSweepEvent, l.Event
	case l.Type == TypeHost && len(l.Host) > 0:
		e.Kind, e.Host = KindHost, l.Host
	case l.Type == TypeCompareWindow && l.CompareWindow != nil:
		e.Kind, e.CompareWindow = KindCompareWindow, l.CompareWindow
	case l.Type == TypeCompareEvent && l.CompareEvent != nil:
		e.Kind, e.CompareEvent = KindCompareEvent, l.CompareEvent
	case l.Type == TypeSnapshot || l.Type == TypeSample || l.Type == TypeEvent || l.Type == TypeHost ||
		l.Type == TypeCompareWindow || l.Type == TypeCompareEvent || l.Type == TypeSweepSnapshot || l.Type == TypeSweepEvent:
		return nil, fmt.Errorf("a %s line without its value", l.Type)
	default:
		return nil, nil
	}
	return e, nil
}

// snapshot is the snapshot read on line, its events rebuilt from those
// booked before it (the sweep's when sweep is set).
func (sj *snapshotJSON) snapshot(book *eventBook, sweep bool, line int) *runner.Snapshot {
	s := *sj.Snapshot
	if s.Model == "" {
		s.Model = sj.Preset
	}
	s.Stability = sj.Stability.stability()
	switch {
	case s.Profile != nil:
		book.addProfile(sweep, line, s.Profile)
	case sj.SameProfile:
		s.Profile = book.profile(sweep, line)
	}
	s.Events = nil
	if c := sj.Events.Count; c > 0 && uint64(c) <= sj.Events.LastSeq+1 {
		last := sj.Events.LastSeq
		for seq := last + 1 - uint64(c); seq <= last; seq++ {
			if ev, ok := book.get(sweep, line, seq); ok {
				s.Events = append(s.Events, ev)
			}
		}
	}
	return &s
}
