package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infertop/record"
	"infertop/sweep"
)

// The dashboard's race (c), while the dashboard records, writes the lines
// the headless compare writes: a window line per window of both sides and
// the events, the batch done when the race is stopped among them; replay
// can still play the recording in the dashboard.
func TestDashboardRaceIsRecorded(t *testing.T) {
	rec, path := dashboardRecorder(t)
	tuning := testDashboard(raceMachine(), DashboardSpec{}, gpus{err: errNoNVML}, nil, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := tuning.Compare(ctx, "linear", 8, func(r sweep.CompareResult) {
		if len(r.Points) > 0 && r.Points[0].Pairs >= 2 {
			cancel() // the race runs until Esc
		}
	})
	if err != nil || !res.Interrupted || len(res.Points) != 1 || res.Points[0].Pairs != 2 {
		t.Fatalf("race %+v, %v", res, err)
	}
	r := readRecording(t, rec, path)
	var sides []string
	var kinds []string
	var done *record.CompareEvent
	for _, e := range r.Entries {
		switch e.Kind {
		case record.KindCompareWindow:
			w := e.CompareWindow
			sides = append(sides, w.Side)
			if w.Model != "linear" || w.Batch != 8 || w.Device != "cpu" || w.Samples <= 0 || w.SamplesPerSec <= 0 {
				t.Errorf("window %+v", w)
			}
			if want := map[string]int{"a": 1, "b": 0}[w.Side]; w.Threads != want {
				t.Errorf("side %s runs %d threads, want %d", w.Side, w.Threads, want)
			}
		case record.KindCompareEvent:
			kinds = append(kinds, e.CompareEvent.Kind)
			if e.CompareEvent.Kind == record.CompareBatchDone {
				done = e.CompareEvent
			}
		}
	}
	if got := strings.Join(sides, " "); got != "a b b a" {
		t.Errorf("window sides %q, want a b b a", got)
	}
	if got, want := strings.Join(kinds, " "), "batch_started window window window window batch_done ended"; got != want {
		t.Errorf("events %q\nwant %q", got, want)
	}
	if done == nil || done.Batch != 8 || !strings.Contains(done.Text, "batch 8: B/A ×") || !strings.Contains(done.Text, "2 pairs") {
		t.Errorf("batch done %+v", done)
	}
	if last := r.Entries[len(r.Entries)-1]; last.Kind != record.KindCompareEvent || !strings.HasPrefix(last.CompareEvent.Text, "interrupted") {
		t.Errorf("the recording ends with %+v", last)
	}
	if !replayable(t, path) {
		t.Fatal("the recording cannot be replayed in the dashboard")
	}
}

// recordingSoFar reads a recording in progress: its lines go to a temporary
// file beside path until the recorder closes (internal/atomicfile).
func recordingSoFar(path string) string {
	tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"))
	var b []byte
	for _, p := range tmp {
		c, _ := os.ReadFile(p)
		b = append(b, c...)
	}
	return string(b)
}

// The dashboard's sweep (s), while the dashboard records, writes its probe
// runs' snapshots and events, as the headless sweep writes its runs', in
// lines of their own that leave the dashboard's run alone.
func TestDashboardSweepIsRecorded(t *testing.T) {
	rec, path := dashboardRecorder(t)
	tuning := testDashboard(sleepMachine(), DashboardSpec{Threads: 1}, gpus{err: errNoNVML}, nil, rec)
	// Stop the sweep once a probe snapshot has reached the file (the recorder
	// flushes at least every second), however slow the machine.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if strings.Contains(recordingSoFar(path), `"type":"`+record.TypeSweepSnapshot+`"`) {
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if _, err := tuning.Sweep(ctx, "linear", "cpu", func(sweep.Result, string) {}); err != nil {
		t.Fatal(err)
	}
	r := readRecording(t, rec, path)
	var runs, probes, probeEvents int
	for _, e := range r.Entries {
		switch e.Kind {
		case record.KindSnapshot:
			runs++
		case record.KindSweepSnapshot:
			probes++
			if s := e.Snapshot; s.Model != "linear" || s.Device != "cpu" || s.Batch != 1 || len(s.Events) == 0 {
				t.Errorf("probe snapshot %+v", s)
			}
		case record.KindSweepEvent:
			probeEvents++
		}
	}
	if runs != 1 || probes == 0 || probeEvents == 0 {
		t.Fatalf("%d run snapshots, %d probe snapshots, %d probe events", runs, probes, probeEvents)
	}
	if !replayable(t, path) {
		t.Fatal("the recording cannot be replayed in the dashboard")
	}
}
