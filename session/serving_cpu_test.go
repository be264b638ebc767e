package session

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
	"infertop/serve"
)

// On the real CPU engine, requests offered at half the closed-loop
// capacity are all answered: the achieved rate is the offered one within
// 2 %, and the run is not saturated. The capacity is measured before and
// after; when the two differ by more than a quarter, other work took the
// CPU meanwhile (go test runs packages side by side) and the attempt is
// made again, up to three times.
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
	spec := BenchSpec{Catalog: cat, Device: engine.Device{Kind: engine.CPU}, Warmup: 200 * time.Millisecond, Threads: 1}
	b, err := m.OpenBench(context.Background(), spec, Outputs{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var why string
	for attempt := 1; attempt <= 3; attempt++ {
		before := closedCapacity(t, b, mod)
		s := serveAt(t, b, mod, before/2)
		after := closedCapacity(t, b, mod)
		sv := s.Serving
		d := math.Abs(sv.OverallAchieved-sv.OverallOffered) / sv.OverallOffered
		why = fmt.Sprintf("offered %.0f req/s (half of %.0f samples/s closed-loop; %.0f after), answered %.0f: %.1f %% apart, saturated %v %s",
			sv.OverallOffered, before, after, sv.OverallAchieved, 100*d, sv.Saturated, sv.SaturationWhy)
		if d <= 0.02 && !sv.Saturated {
			if rate := math.Round(before / 2); math.Abs(sv.OverallOffered-rate)/rate > 0.05 {
				t.Errorf("offered %.0f req/s over %v; the schedule's rate is %.0f", sv.OverallOffered, s.Measured, rate)
			}
			return
		}
		if math.Abs(after-before)/before <= 0.25 {
			t.Fatalf("the CPU kept its speed, yet: %s", why)
		}
		t.Logf("attempt %d: the CPU's speed changed under other work: %s", attempt, why)
	}
	t.Fatalf("the CPU's speed changed in every attempt; last: %s", why)
}

// serveBatch is the batch of the closed loop and the max batch of the
// serving run.
const serveBatch = 8

// closedCapacity measures mod at batch serveBatch back to back, in samples/s.
func closedCapacity(t *testing.T, b *Bench, mod *model.Model) float64 {
	t.Helper()
	b.spec.Serving, b.spec.Duration = nil, 1500*time.Millisecond
	s, _, err := b.Measure(context.Background(), mod, serveBatch, func(runner.Snapshot) {})
	if err != nil || s.Err != "" {
		t.Fatalf("closed loop: %v %s", err, s.Err)
	}
	return s.Overall.SamplesPerSec
}

// serveAt serves mod at max batch serveBatch to Poisson arrivals at rate, long
// enough for about 2,000 requests, so that the few still in flight when it
// ends weigh under 1 %.
func serveAt(t *testing.T, b *Bench, mod *model.Model, rate float64) runner.Snapshot {
	t.Helper()
	rate = math.Round(rate)
	b.spec.Serving = &ServingSpec{Arrival: serve.Arrival{Kind: serve.Poisson, Rate: rate}, Instances: 1}
	b.spec.Duration = min(max(3*time.Second, time.Duration(2000/rate*float64(time.Second))), 10*time.Second)
	s, _, err := b.Measure(context.Background(), mod, serveBatch, func(runner.Snapshot) {})
	if err != nil || s.Err != "" || s.Serving == nil {
		t.Fatalf("serving: %v %q %v", err, s.Err, s.Serving != nil)
	}
	return s
}
