package record

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"infertop/runner"
)

// A serving run's snapshots keep everything Serving holds through a
// recording, so that a replay shows the serving panels as they were.
func TestServingRoundTrip(t *testing.T) {
	f, c := &memFile{}, &clock{t: t0}
	r, err := New(f, header(), c.now)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot(1, event(0, runner.EventStarted, "serving"))
	s.Serving = &runner.Serving{
		Arrival: "poisson:2000", MaxBatch: 8, MaxDelay: time.Millisecond, Preferred: []int{4, 8}, RequestSize: 1,
		SLOP99: 20 * time.Millisecond, Offered: 2000, Achieved: 1990, Goodput: 1985, Requests: 5970, Arrived: 6000,
		Queue:      runner.Percentiles{Count: 5970, P50: time.Millisecond, P99: 4 * time.Millisecond},
		Formation:  runner.Percentiles{Count: 5970, P99: time.Millisecond},
		Compute:    runner.Percentiles{Count: 5970, P50: 800 * time.Microsecond},
		QueueDepth: 3, MaxQueueDepth: 40,
		Batches:   []runner.SizeCount{{Size: 4, Count: 900}, {Size: 8, Count: 300}},
		Sizes:     []runner.SizeCost{{Size: 4, Batches: 900, Samples: 3600}, {Size: 8, Batches: 300, Samples: 2370}},
		Padding:   0.01,
		Instances: []runner.Instance{{Index: 0, Device: "cpu", Threads: 2, Batches: 1200, Utilization: 0.6, WindowUtilization: 0.61}},
		Saturated: true, SaturatedAt: 1990, SaturationWhy: "queue grew",
		Windows: []runner.ServingWindow{{Index: 0, Arrived: 2000, Answered: 1990, Offered: 2000, Achieved: 1990, P99: 4 * time.Millisecond, MeanDepth: 2.5, MaxDepth: 40, EndDepth: 3}},
	}
	c.add(100 * time.Millisecond)
	r.Snapshot(s)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.Entries {
		if e.Kind == KindSnapshot {
			if !reflect.DeepEqual(e.Snapshot.Serving, s.Serving) {
				t.Errorf("serving after the round trip\n got %+v\nwant %+v", e.Snapshot.Serving, s.Serving)
			}
			return
		}
	}
	t.Fatal("no snapshot read back")
}
