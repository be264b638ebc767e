package record

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A compare's windows and events come back as entries of their own kinds,
// in order and with their offsets.
func TestCompareLinesRoundTrip(t *testing.T) {
	c := &clock{t: t0}
	f := &memFile{}
	r, err := New(f, Header{Command: CommandCompare, Options: map[string]any{"a": "cpu ×1 thread", "b": "cpu (all cores)"}}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	r.CompareEvent(CompareBatchStarted, 8, "batch %d: warming up both sides", 8)
	c.add(time.Second)
	w := CompareWindow{Model: "mlp", Batch: 8, Side: "a", Device: "cpu", Threads: 1, Config: "cpu ×1 thread", Pair: 1,
		Samples: 800, Batches: 100, Duration: time.Second, SamplesPerSec: 800, SideSamplesPerSec: 800, P50MS: 10, P90MS: 10, P99MS: 12}
	r.CompareWindow(w)
	r.CompareEvent(CompareWindowDone, 8, "window")
	c.add(time.Second)
	w2 := w
	w2.Side, w2.Threads, w2.Config, w2.SamplesPerSec, w2.SpeedUp = "b", 0, "cpu (all cores)", 1600, 2
	r.CompareWindow(w2)
	r.CompareEvent(CompareEnded, 0, "done")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	text := string(f.bytes())
	if !strings.Contains(text, `"type":"compare_window"`) || !strings.Contains(text, `"duration_ns":1000000000`) {
		t.Errorf("lines:\n%s", text)
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	kinds := []Kind{KindCompareEvent, KindCompareWindow, KindCompareEvent, KindCompareWindow, KindCompareEvent}
	if len(rec.Entries) != len(kinds) {
		t.Fatalf("%d entries, want %d", len(rec.Entries), len(kinds))
	}
	for i, e := range rec.Entries {
		if e.Kind != kinds[i] {
			t.Errorf("entry %d is kind %v, want %v", i, e.Kind, kinds[i])
		}
	}
	if got := *rec.Entries[1].CompareWindow; got != w || rec.Entries[1].At != time.Second {
		t.Errorf("window %+v at %v, want %+v at 1s", got, rec.Entries[1].At, w)
	}
	if got := rec.Entries[3].CompareWindow; got.Side != "b" || got.SpeedUp != 2 || rec.Entries[3].At != 2*time.Second {
		t.Errorf("second window %+v", got)
	}
	ev := rec.Entries[4].CompareEvent
	if ev.Seq != 2 || ev.Kind != CompareEnded || ev.Text != "done" || !ev.Time.Equal(t0.Add(2*time.Second)) {
		t.Errorf("last event %+v", ev)
	}
	if e := rec.Entries[0].CompareEvent; e.Seq != 0 || e.Batch != 8 || e.Text != "batch 8: warming up both sides" {
		t.Errorf("first event %+v", e)
	}
}
