package record

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"infertop/runner"
)

// twoRunsAndAProbe records the fixture's kinds of lines, then a new runner
// whose event numbers start again, and a sweep probe's snapshot between.
func twoRunsAndAProbe(t *testing.T) []byte {
	t.Helper()
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	first := snapshot(1, event(0, runner.EventStarted, "batch 1 started"), event(1, runner.EventWarmupDone, "batch 1 warm"))
	r.Snapshot(first)
	c.add(time.Second)
	probe := snapshot(0, event(0, runner.EventStarted, "probe started"))
	probe.RunID = 1
	r.SweepSnapshot(probe)
	r.Host(map[string]any{"RSSBytes": 1024})
	c.add(time.Second)
	r.Snapshot(snapshot(0, event(0, runner.EventStarted, "batch 4 started")))
	r.Snapshot(snapshot(1, event(0, runner.EventStarted, "batch 4 started"), event(1, runner.EventStable, "batch 4 stable")))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return f.bytes()
}

// A File gives every entry as Read does, in any order: a snapshot decoded
// after a later run's gets its own run's events, not the later run's.
func TestFileEntriesAreReadsInAnyOrder(t *testing.T) {
	fixture, _ := recordFixture(t)
	for name, b := range map[string][]byte{"fixture": fixture.bytes(), "two runs and a probe": twoRunsAndAProbe(t)} {
		want, err := Read(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if f.Len() != len(want.Entries) || f.Duration() != want.Duration() || !reflect.DeepEqual(f.Header, want.Header) {
			t.Fatalf("%s: %d entries over %v, want %d over %v", name, f.Len(), f.Duration(), len(want.Entries), want.Duration())
		}
		for pass, order := range [][]int{forwards(f.Len()), backwards(f.Len())} {
			for _, i := range order {
				got, err := f.Entry(i)
				if err != nil {
					t.Fatalf("%s: entry %d: %v", name, i, err)
				}
				if w := want.Entries[i]; !reflect.DeepEqual(got, w) || f.Kind(i) != w.Kind || f.At(i) != w.At {
					t.Errorf("%s, pass %d: entry %d\n got %+v\nwant %+v", name, pass, i, got, w)
				}
			}
		}
	}
}

func forwards(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func backwards(n int) []int {
	s := forwards(n)
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// A damaged file opens as Read reads it: the entries before the damage,
// and where it stopped.
func TestFileOfADamagedRecording(t *testing.T) {
	f, _ := recordFixture(t)
	b := f.bytes()
	cut := b[:len(b)-20]
	want, err := Read(bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	rf, err := NewFile(bytes.NewReader(cut), int64(len(cut)))
	if err != nil {
		t.Fatal(err)
	}
	if rf.Stopped == nil || *rf.Stopped != *want.Stopped || rf.Len() != len(want.Entries) {
		t.Fatalf("stopped %+v with %d entries, want %+v with %d", rf.Stopped, rf.Len(), want.Stopped, len(want.Entries))
	}
	if _, err := NewFile(bytes.NewReader(nil), 0); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty file: %v", err)
	}
}

// A file changed under an open File fails the entries that changed, and
// says so; Open reads a path and Close closes it.
func TestFileChangedSinceOpened(t *testing.T) {
	f, _ := recordFixture(t)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	if err := os.WriteFile(path, f.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rf, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Entry(1); err != nil {
		t.Fatalf("unchanged entry: %v", err)
	}
	b := bytes.Replace(f.bytes(), []byte(`"type":"snapshot"`), []byte(`"type":"snapshoT"`), 1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Entry(1); err == nil || !strings.Contains(err.Error(), "line 3 of the recording changed since it was opened") {
		t.Errorf("changed entry: %v", err)
	}
	if err := os.Truncate(path, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Entry(rf.Len() - 1); err == nil || !strings.Contains(err.Error(), "reading line 9 of the recording again") {
		t.Errorf("truncated: %v", err)
	}
	if err := rf.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.jsonl")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}
