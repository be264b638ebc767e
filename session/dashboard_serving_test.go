package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
	"infertop/serve"
)

// next waits for a snapshot that satisfies ok.
func next(t *testing.T, c <-chan runner.Snapshot, what string, ok func(runner.Snapshot) bool) runner.Snapshot {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-c:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no snapshot with %s", what)
		}
	}
}

// The o key's session: serving mode and back, on the same snapshot
// channel, with run ids counting on; the serving controls answer only in
// serving mode; the settings left are found again.
func TestDashboardSwitchesToServingAndBack(t *testing.T) {
	m := sleepMachine()
	m.OpenNVML = func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }
	d, err := m.OpenDashboard(context.Background(), DashboardSpec{Model: "linear", Batch: 8, Warmup: 10 * time.Millisecond, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	closed := next(t, d.Snapshots, "a measured closed-loop run", func(s runner.Snapshot) bool {
		return s.Serving == nil && s.Overall.SamplesPerSec > 0
	})
	if err := d.SetRate(10); !errors.Is(err, errNotServing) {
		t.Errorf("SetRate in closed-loop mode: %v", err)
	}
	if err := d.SetServing(true); err != nil {
		t.Fatal(err)
	}
	s := next(t, d.Snapshots, "a serving run", func(s runner.Snapshot) bool { return s.Serving != nil && s.State.Running() })
	if s.RunID <= closed.RunID || s.Batch != 8 || !strings.HasPrefix(s.Serving.Arrival, "poisson:") {
		t.Errorf("serving snapshot: run %d after %d, max batch %d, arrival %q", s.RunID, closed.RunID, s.Batch, s.Serving.Arrival)
	}
	if err := d.SetProfile(10); err == nil || !strings.Contains(err.Error(), "leave serving mode") {
		t.Errorf("SetProfile while serving: %v", err)
	}
	if err := d.SetRate(50); err != nil {
		t.Fatal(err)
	}
	next(t, d.Snapshots, "the new rate", func(s runner.Snapshot) bool { return s.Serving != nil && s.Serving.Arrival == "poisson:50" })
	p := serve.Policy{MaxBatch: 4, MaxDelay: time.Millisecond, RequestSize: 1}
	if err := d.SetServePolicy(p); err != nil {
		t.Fatal(err)
	}
	next(t, d.Snapshots, "the new policy", func(s runner.Snapshot) bool {
		return s.Serving != nil && s.Serving.MaxBatch == 4 && s.Serving.MaxDelay == time.Millisecond && s.State.Running()
	})
	if err := d.SetServePolicy(serve.Policy{MaxBatch: 4, RequestSize: 8}); err == nil || !strings.Contains(err.Error(), "request size 8") {
		t.Errorf("a bad policy: %v", err)
	}
	if err := d.SetServing(false); err != nil {
		t.Fatal(err)
	}
	back := next(t, d.Snapshots, "a closed-loop run again", func(s runner.Snapshot) bool { return s.Serving == nil && s.State.Running() })
	if back.Batch != 4 || back.Model != "linear" {
		t.Errorf("back to batches at batch %d of %s; want the max batch 4 of linear", back.Batch, back.Model)
	}
	if err := d.SetServing(true); err != nil {
		t.Fatal(err)
	}
	again := next(t, d.Snapshots, "serving again", func(s runner.Snapshot) bool { return s.Serving != nil })
	if again.Serving.Arrival != "poisson:50" || again.Serving.MaxDelay != time.Millisecond {
		t.Errorf("serving again with %s, max delay %v; want the rate and delay left", again.Serving.Arrival, again.Serving.MaxDelay)
	}
}

func TestRoundRate(t *testing.T) {
	for in, want := range map[float64]float64{1234.5: 1200, 87.6: 88, 0.3: 1, 9999: 10000} {
		if got := roundRate(in); got != want {
			t.Errorf("roundRate(%v) = %v; want %v", in, got, want)
		}
	}
}

// --arrival starts the dashboard in serving mode, at --batch as the max batch.
func TestDashboardStartsServing(t *testing.T) {
	m := sleepMachine()
	m.OpenNVML = func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }
	spec := DashboardSpec{Model: "linear", Batch: 4, Warmup: 10 * time.Millisecond, Interval: time.Second,
		Serving: &ServingSpec{Arrival: serve.Arrival{Kind: serve.Constant, Rate: 200}, Policy: serve.Policy{MaxDelay: time.Millisecond}}}
	d, err := m.OpenDashboard(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := next(t, d.Snapshots, "a measured serving run", func(s runner.Snapshot) bool { return s.Serving != nil && s.Serving.Requests > 0 })
	if s.Serving.Arrival != "constant:200" || s.Batch != 4 || s.Serving.MaxDelay != time.Millisecond {
		t.Errorf("serving %s at max batch %d, delay %v", s.Serving.Arrival, s.Batch, s.Serving.MaxDelay)
	}
	spec.Serving.Policy.Preferred = []int{8}
	if _, err := m.OpenDashboard(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "preferred batch 8: from 1 to the max batch (4)") {
		t.Errorf("a preferred size above the max batch: %v", err)
	}
}
