package session

import (
	"context"
	"math"
	"testing"
	"time"

	"infertop/engine"
	"infertop/presets"
	"infertop/runner"
	"infertop/serve"
)

// On the real CPU engine, requests offered at half the closed-loop
// capacity are all answered: the achieved rate is the offered one within
// 2 %, and the run is not saturated.
func TestServingCPUAtHalfCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the CPU engine for a few seconds")
	}
	m := Machine{Registry: NewRegistry(), Window: 500 * time.Millisecond}
	cat := presets.NewModels(presets.DefaultSeed)
	mod, err := cat.Get("mlp")
	if err != nil {
		t.Fatal(err)
	}
	spec := BenchSpec{Catalog: cat, Models: nil, Device: engine.Device{Kind: engine.CPU}, Warmup: 200 * time.Millisecond,
		Duration: 1500 * time.Millisecond, Threads: 1}
	b, err := m.OpenBench(context.Background(), spec, Outputs{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	closed, _, err := b.Measure(context.Background(), mod, 8, func(runner.Snapshot) {})
	if err != nil || closed.Err != "" {
		t.Fatalf("closed loop: %v %s", err, closed.Err)
	}
	capacity := closed.Overall.SamplesPerSec
	rate := math.Round(capacity / 2)
	b.spec.Serving = &ServingSpec{Arrival: serve.Arrival{Kind: serve.Poisson, Rate: rate}, Instances: 1}
	// Long enough for about 2,000 requests, so that the few still in
	// flight when it ends weigh under 1 %.
	b.spec.Duration = min(max(3*time.Second, time.Duration(2000/rate*float64(time.Second))), 10*time.Second)
	s, _, err := b.Measure(context.Background(), mod, 8, func(runner.Snapshot) {})
	if err != nil || s.Err != "" || s.Serving == nil {
		t.Fatalf("serving: %v %q %v", err, s.Err, s.Serving != nil)
	}
	sv := s.Serving
	if d := math.Abs(sv.OverallAchieved-sv.OverallOffered) / sv.OverallOffered; d > 0.02 {
		t.Errorf("offered %.0f req/s (half of %.0f samples/s closed-loop), answered %.0f: %.1f %% apart; want within 2 %%",
			sv.OverallOffered, capacity, sv.OverallAchieved, 100*d)
	}
	if math.Abs(sv.OverallOffered-rate)/rate > 0.05 {
		t.Errorf("offered %.0f req/s over %v; the schedule's rate is %.0f", sv.OverallOffered, s.Measured, rate)
	}
	if sv.Saturated {
		t.Errorf("saturated at half the capacity: %s", sv.SaturationWhy)
	}
	if s.RunID <= closed.RunID {
		t.Errorf("serving run id %d after the closed loop's %d", s.RunID, closed.RunID)
	}
}
