package record

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"infertop/runner"
)

// A dashboard sweep's probe snapshots come back as entries of their own
// kinds, each probe run's events rebuilt from its own lines, while the
// dashboard run's snapshots keep theirs, though the numbers overlap.
func TestSweepLinesKeepTheRunApart(t *testing.T) {
	c := &clock{t: t0}
	f := &memFile{}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	started, paused := event(0, runner.EventStarted, "run started"), event(1, runner.EventPaused, "paused")
	r.Snapshot(snapshot(1, started, paused))
	probe := func(batch int, seq uint64, events ...runner.Event) runner.Snapshot {
		s := snapshot(seq, events...)
		s.RunID, s.Batch = 1, batch
		return s
	}
	c.add(time.Second)
	p1 := event(0, runner.EventStarted, "probe 1 started")
	r.SweepSnapshot(probe(1, 0, p1))
	r.SweepSnapshot(probe(1, 1, p1, event(1, runner.EventStable, "probe 1 stable")))
	c.add(time.Second)
	p2 := event(0, runner.EventStarted, "probe 2 started")
	r.SweepSnapshot(probe(2, 0, p2))
	r.Snapshot(snapshot(2, started, paused))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if text := string(f.bytes()); strings.Count(text, `"type":"sweep_event"`) != 3 || strings.Count(text, `"type":"sweep_snapshot"`) != 3 ||
		strings.Count(text, `"type":"event"`) != 2 {
		t.Fatalf("lines:\n%s", text)
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	var kinds []Kind
	var runs, probes []*runner.Snapshot
	for _, e := range rec.Entries {
		kinds = append(kinds, e.Kind)
		switch e.Kind {
		case KindSnapshot:
			runs = append(runs, e.Snapshot)
		case KindSweepSnapshot:
			probes = append(probes, e.Snapshot)
		}
	}
	want := []Kind{KindEvent, KindEvent, KindSnapshot, KindSweepEvent, KindSweepSnapshot, KindSweepEvent, KindSweepSnapshot,
		KindSweepEvent, KindSweepSnapshot, KindSnapshot}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
	texts := func(s *runner.Snapshot) string {
		var out []string
		for _, e := range s.Events {
			out = append(out, e.Text)
		}
		return strings.Join(out, ", ")
	}
	for i, s := range runs {
		if got := texts(s); got != "run started, paused" {
			t.Errorf("run snapshot %d events %q", i, got)
		}
	}
	for i, wantEv := range []string{"probe 1 started", "probe 1 started, probe 1 stable", "probe 2 started"} {
		if got := texts(probes[i]); got != wantEv {
			t.Errorf("probe snapshot %d events %q, want %q", i, got, wantEv)
		}
	}
	if probes[2].Batch != 2 || rec.Entries[8].At != 2*time.Second {
		t.Errorf("last probe snapshot batch %d at %v", probes[2].Batch, rec.Entries[8].At)
	}
}

// A bench or headless sweep runs each batch size in a runner of its own,
// whose snapshot and event numbers start again: each run's snapshots come
// back with their own events.
func TestSnapshotsOfANewRunnerKeepTheirEvents(t *testing.T) {
	f := &memFile{}
	r, err := New(f, header(), (&clock{t: t0}).now)
	if err != nil {
		t.Fatal(err)
	}
	first := snapshot(1, event(0, runner.EventStarted, "batch 1 started"), event(1, runner.EventWarmupDone, "batch 1 warm"))
	r.Snapshot(first)
	r.Snapshot(snapshot(2, first.Events...))
	r.Snapshot(snapshot(0, event(0, runner.EventStarted, "batch 4 started")))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	last := rec.Entries[len(rec.Entries)-1]
	if last.Kind != KindSnapshot || len(last.Snapshot.Events) != 1 || last.Snapshot.Events[0].Text != "batch 4 started" {
		t.Fatalf("the new runner's snapshot carries %+v", last.Snapshot.Events)
	}
}
