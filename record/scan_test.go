package record

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"infertop/runner"
)

// manyLines is a recording of n snapshot lines after the header, so that
// reading it takes several chunks.
func manyLines(t *testing.T, n int) [][]byte {
	t.Helper()
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	r.Snapshot(snapshot(0, event(0, runner.EventStarted, "started")))
	for i := 1; i < n; i++ {
		c.add(time.Millisecond)
		r.Snapshot(snapshot(uint64(i), event(0, runner.EventStarted, "started")))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(f.bytes(), []byte("\n"))
}

// Lines read in chunks by several workers come back in the file's order,
// and a damaged line deep in the file stops the reading exactly there; the
// reader and the workers end with it.
func TestScanAcrossChunks(t *testing.T) {
	lines := manyLines(t, 5*scanChunkLines+17) // header, the event, the snapshots, and a last empty piece
	whole := bytes.Join(lines, nil)
	rec, err := Read(bytes.NewReader(whole))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	if len(rec.Entries) != 5*scanChunkLines+18 {
		t.Fatalf("%d entries, want %d", len(rec.Entries), 5*scanChunkLines+18)
	}
	for i, e := range rec.Entries {
		if e.Line != i+2 {
			t.Fatalf("entry %d is line %d, want %d", i, e.Line, i+2)
		}
		if e.Kind == KindSnapshot && e.Snapshot.Seq != uint64(i-1) {
			t.Fatalf("entry %d holds snapshot %d", i, e.Snapshot.Seq)
		}
	}

	before := runtime.NumGoroutine()
	bad := 3*scanChunkLines + 5 // a line number in the fourth chunk
	damaged := bytes.Join(lines[:bad-1], nil)
	offset := len(damaged)
	damaged = append(damaged, []byte("{\"type\":\"snapshot\",garbage}\n")...)
	damaged = append(damaged, bytes.Join(lines[bad:], nil)...)
	rec, err = Read(bytes.NewReader(damaged))
	if err != nil {
		t.Fatal(err)
	}
	if s := rec.Stopped; s == nil || s.Line != bad || s.Offset != int64(offset) || len(rec.Entries) != bad-2 {
		t.Fatalf("stopped %+v with %d entries, want line %d at byte %d with %d", s, len(rec.Entries), bad, offset, bad-2)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after an early stop, %d before", n, before)
	}
}

// The pipeline gives what line-by-line decoding gives.
func TestScanMatchesLineByLine(t *testing.T) {
	lines := manyLines(t, 2*scanChunkLines)
	rec, err := Read(bytes.NewReader(bytes.Join(lines, nil)))
	if err != nil {
		t.Fatal(err)
	}
	book := newEventBook()
	for i, raw := range lines[1 : len(lines)-1] {
		e, err := decodeEntry(bytes.TrimSuffix(raw, []byte("\n")), i+2, book)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Entries[i]; fmt.Sprint(got.Kind, got.At, got.Line, got.Snapshot, got.Event) != fmt.Sprint(e.Kind, e.At, e.Line, e.Snapshot, e.Event) {
			t.Fatalf("line %d: pipeline %+v, line by line %+v", i+2, got, *e)
		}
	}
}
