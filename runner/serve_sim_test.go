package runner

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"infertop/serve"
)

// simulate runs a simulated serving run to its end and returns its last snapshot.
func simulate(t *testing.T, cfg ServeConfig) Snapshot {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model, cfg.Device = "fake", "cpu"
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	snap := s.Latest()
	if snap.State != Done || snap.Serving == nil {
		t.Fatalf("run ended in state %v (%s), serving %v", snap.State, snap.Err, snap.Serving != nil)
	}
	return snap
}

// fixed is a service time that does not depend on the batch.
func fixed(d time.Duration) *Simulation {
	return &Simulation{Service: func(int, int64) time.Duration { return d }}
}

// Poisson arrivals into one batch-1 server with a fixed service time are
// an M/D/1 queue: the mean wait is ρD / (2(1 − ρ)) (Pollaczek–Khinchine).
func TestServeMD1MeanWait(t *testing.T) {
	const rate = 1000.0
	d := 500 * time.Microsecond
	snap := simulate(t, ServeConfig{
		Arrival: serve.Arrival{Kind: serve.Poisson, Rate: rate}, Policy: serve.Policy{MaxBatch: 1},
		Simulate: fixed(d), MaxMeasure: 100 * time.Second,
	})
	sv := snap.Serving
	if sv.Requests < 99000 {
		t.Fatalf("%d requests answered; want about 100,000", sv.Requests)
	}
	rho := rate * d.Seconds()
	want := rho * d.Seconds() / (2 * (1 - rho))
	got := sv.Queue.Mean.Seconds()
	if math.Abs(got-want)/want > 0.05 {
		t.Errorf("mean queue wait %.4f ms over %d requests; M/D/1 says %.4f ms (±5 %%)", 1e3*got, sv.Requests, 1e3*want)
	}
	if sv.Formation.Max != 0 {
		t.Errorf("with no max delay a request never waits for a batch to form: formation max %v", sv.Formation.Max)
	}
	if sv.Compute.Min != d || sv.Compute.Max != d {
		t.Errorf("compute %v..%v; want %v", sv.Compute.Min, sv.Compute.Max, d)
	}
	if got := snap.Latency.Mean - sv.Queue.Mean - sv.Compute.Mean; got.Abs() > time.Microsecond {
		t.Errorf("end-to-end mean %v is not queue %v + compute %v", snap.Latency.Mean, sv.Queue.Mean, sv.Compute.Mean)
	}
	if sv.Saturated {
		t.Errorf("a half-loaded server is reported saturated: %s", sv.SaturationWhy)
	}
	if sv.Late.Max != 0 || sv.LateNote != "" {
		t.Errorf("a simulation's loop is never late: late max %v, note %q", sv.Late.Max, sv.LateNote)
	}
	if u := sv.Instances[0].Utilization; math.Abs(u-rho) > 0.01 {
		t.Errorf("utilization %.3f; want ρ = %.2f", u, rho)
	}
}

func TestServeConstantRateBelowCapacityHasNoQueue(t *testing.T) {
	d := 800 * time.Microsecond
	snap := simulate(t, ServeConfig{
		Arrival: serve.Arrival{Kind: serve.Constant, Rate: 1000}, Policy: serve.Policy{MaxBatch: 4},
		Simulate: fixed(d), MaxMeasure: 5 * time.Second,
	})
	sv := snap.Serving
	if sv.Queue.Max != 0 || sv.Formation.Max != 0 {
		t.Errorf("queue wait max %v, formation max %v; want none at 80 %% load of evenly spaced requests", sv.Queue.Max, sv.Formation.Max)
	}
	if snap.Latency.Min != d || snap.Latency.Max != d {
		t.Errorf("latency %v..%v; want every request %v", snap.Latency.Min, snap.Latency.Max, d)
	}
	if len(sv.Batches) != 1 || sv.Batches[0].Size != 1 {
		t.Errorf("batches %+v; want only batches of 1", sv.Batches)
	}
	for _, w := range sv.Windows {
		if w.MaxDepth > 1 || w.EndDepth != 0 {
			t.Errorf("window %d: queue depth max %d, end %d", w.Index, w.MaxDepth, w.EndDepth)
		}
		if math.Abs(w.Achieved-1000) > 1 || math.Abs(w.Offered-1000) > 1 {
			t.Errorf("window %d: offered %.1f, achieved %.1f; want 1000", w.Index, w.Offered, w.Achieved)
		}
	}
}

// A stall of the server shows in the latency of every request scheduled
// during it, since latency counts from the scheduled arrival.
func TestServeStallShowsInP99(t *testing.T) {
	d := 200 * time.Microsecond
	run := func(stall bool) Snapshot {
		return simulate(t, ServeConfig{
			Arrival: serve.Arrival{Kind: serve.Poisson, Rate: 1000}, Policy: serve.Policy{MaxBatch: 1},
			MaxMeasure: 5 * time.Second,
			Simulate: &Simulation{Service: func(_ int, batch int64) time.Duration {
				if stall && batch == 2500 {
					return 100 * time.Millisecond
				}
				return d
			}},
		})
	}
	calm, stalled := run(false), run(true)
	if calm.Latency.P99 > 2*time.Millisecond {
		t.Fatalf("p99 without a stall %v", calm.Latency.P99)
	}
	// About 120 of 5,000 requests are scheduled during the stall or its
	// backlog, waiting from 100 ms down to nothing: the top 1 % of them
	// waits over 40 ms.
	if stalled.Latency.P99 < 40*time.Millisecond {
		t.Errorf("p99 with a 100 ms stall %v; want the requests scheduled during it to lift it above 40 ms", stalled.Latency.P99)
	}
	if stalled.Latency.Max < 99*time.Millisecond {
		t.Errorf("max with a 100 ms stall %v", stalled.Latency.Max)
	}
}

func TestServeOverloadIsDetectedWithinThreeWindows(t *testing.T) {
	d := 500 * time.Microsecond // capacity 2,000 req/s
	snap := simulate(t, ServeConfig{
		Arrival: serve.Arrival{Kind: serve.Poisson, Rate: 3000}, Policy: serve.Policy{MaxBatch: 1},
		Simulate: fixed(d), MaxMeasure: 3 * time.Second,
	})
	sv := snap.Serving
	if !sv.Saturated {
		t.Fatalf("3,000 req/s into a 2,000 req/s server is not saturated after %d windows", len(sv.Windows))
	}
	if math.Abs(sv.SaturatedAt-2000) > 20 {
		t.Errorf("saturated at %.0f req/s; want about 2,000", sv.SaturatedAt)
	}
	if sv.Unanswered < 2000 {
		t.Errorf("%d requests unanswered at the end; the queue held about 3,000", sv.Unanswered)
	}
	if sv.Requests+sv.Unanswered != sv.Arrived {
		t.Errorf("answered %d + unanswered %d != arrived %d", sv.Requests, sv.Unanswered, sv.Arrived)
	}
}

func TestServeQueueLimitRejects(t *testing.T) {
	snap := simulate(t, ServeConfig{
		Arrival: serve.Arrival{Kind: serve.Poisson, Rate: 3000}, Policy: serve.Policy{MaxBatch: 1, QueueLimit: 50},
		Simulate: fixed(500 * time.Microsecond), MaxMeasure: 3 * time.Second,
	})
	sv := snap.Serving
	if sv.Rejected < 2000 || sv.MaxQueueDepth != 50 {
		t.Errorf("rejected %d, max depth %d; want about 3,000 rejected and the queue held at 50", sv.Rejected, sv.MaxQueueDepth)
	}
	if !sv.Saturated {
		t.Error("rejections do not say saturated")
	}
	if sv.Requests+sv.Unanswered+sv.Rejected != sv.Arrived {
		t.Errorf("answered %d + unanswered %d + rejected %d != arrived %d", sv.Requests, sv.Unanswered, sv.Rejected, sv.Arrived)
	}
}

func TestServeBatcherHonoursMaxBatchDelayAndPreferred(t *testing.T) {
	ms := time.Millisecond
	// Light load: every batch waits out the delay.
	light := simulate(t, ServeConfig{
		Arrival: serve.Arrival{Kind: serve.Constant, Rate: 100}, Policy: serve.Policy{MaxBatch: 8, MaxDelay: 2 * ms},
		Simulate: fixed(ms), MaxMeasure: 3 * time.Second,
	}).Serving
	if light.Formation.Min != 2*ms || light.Formation.Max != 2*ms {
		t.Errorf("light load: formation %v..%v; want every request held the full 2ms", light.Formation.Min, light.Formation.Max)
	}
	// Heavy load with preferred sizes: batches of a preferred size or the max.
	service := func(size int, _ int64) time.Duration { return time.Duration(size) * 100 * time.Microsecond }
	heavy := simulate(t, ServeConfig{
		Arrival:  serve.Arrival{Kind: serve.Poisson, Rate: 5000},
		Policy:   serve.Policy{MaxBatch: 16, MaxDelay: ms, Preferred: []int{4, 8}},
		Simulate: &Simulation{Service: service}, MaxMeasure: 3 * time.Second,
	}).Serving
	for _, b := range heavy.Batches {
		if b.Size > 16 {
			t.Errorf("a batch of %d over the max batch 16", b.Size)
		}
	}
	if heavy.Formation.Max > ms+time.Microsecond {
		t.Errorf("a request was held %v, over the max delay", heavy.Formation.Max)
	}
	// A batch has a preferred size, or is all the queue held when the delay
	// ran out under the smallest preferred size.
	var preferred, all int64
	for _, b := range heavy.Batches {
		all += b.Count
		switch {
		case b.Size == 4 || b.Size == 8:
			preferred += b.Count
		case b.Size > 4:
			t.Errorf("%d batches of %d: neither a preferred size nor under the smallest", b.Count, b.Size)
		}
	}
	if preferred < all/2 {
		t.Errorf("batches %+v: want most at the preferred sizes 4 and 8", heavy.Batches)
	}
	// Sizes are padded to the prepared sizes 4, 8, 16.
	for _, z := range heavy.Sizes {
		if z.Batches > 0 && z.Compute.P50 != time.Duration(z.Size)*100*time.Microsecond {
			t.Errorf("prepared size %d ran in %v", z.Size, z.Compute.P50)
		}
	}
}

func TestServeClientsKeepTheirCount(t *testing.T) {
	d := time.Millisecond
	snap := simulate(t, ServeConfig{
		Arrival: serve.Arrival{Kind: serve.Clients, Clients: 4}, Policy: serve.Policy{MaxBatch: 4},
		Simulate: fixed(d), MaxMeasure: 3 * time.Second,
	})
	sv := snap.Serving
	// Four clients, one batch of four every millisecond: 4,000 req/s.
	if math.Abs(sv.OverallAchieved-4000) > 10 || snap.Latency.Max != d {
		t.Errorf("4 clients, batch of 4 in 1ms: %.0f req/s, latency max %v; want 4,000 and 1ms", sv.OverallAchieved, snap.Latency.Max)
	}
	if sv.Saturated || sv.MaxQueueDepth > 4 {
		t.Errorf("closed loop: saturated %v, max depth %d", sv.Saturated, sv.MaxQueueDepth)
	}
}

// cuda:all deals instances over the GPUs, each an executor (a stream) of
// its own; on the CPU the threads are split between the instances.
func TestServeInstancesDevicesAndThreads(t *testing.T) {
	gpu := ServeConfig{Device: "cuda:all", GPUs: 2, Instances: 3}
	for i, want := range []string{"cuda:0", "cuda:1", "cuda:0"} {
		if got := gpu.instanceDevice(i); got != want {
			t.Errorf("cuda:all instance %d on %s; want %s", i, got, want)
		}
	}
	if got := (ServeConfig{Device: "cuda:1", Instances: 2}).instanceDevice(1); got != "cuda:1" {
		t.Errorf("cuda:1 instance 1 on %s", got)
	}
	cpu := ServeConfig{Device: "cpu", Instances: 3, Cores: 8}
	var threads []int
	for i := range 3 {
		threads = append(threads, cpu.instanceThreads(i))
	}
	if threads[0] != 3 || threads[1] != 3 || threads[2] != 2 {
		t.Errorf("8 cores over 3 instances: %v; want 3 3 2", threads)
	}
	few := ServeConfig{Device: "cpu", Instances: 4, Cores: 2}
	if got := few.instanceThreads(3); got != 1 {
		t.Errorf("2 cores over 4 instances: %d threads for the last; want 1", got)
	}
}

// A light load is never saturated, even when a slow batch (one in 50
// takes 20 ms) leaves a few requests queued at a window's end: the
// instances are mostly idle however the queue moves in one window.
func TestServeBurstsAtLightLoadAreNotSaturation(t *testing.T) {
	service := func(_ int, batch int64) time.Duration {
		if batch%50 == 49 {
			return 20 * time.Millisecond
		}
		return 500 * time.Microsecond
	}
	for seed := uint64(1); seed <= 20; seed++ {
		snap := simulate(t, ServeConfig{
			Arrival: serve.Arrival{Kind: serve.Poisson, Rate: 178}, Policy: serve.Policy{MaxBatch: 1}, Seed: seed,
			Window: 500 * time.Millisecond, Simulate: &Simulation{Service: service}, MaxMeasure: 10 * time.Second,
		})
		for _, e := range snap.Events {
			if strings.Contains(e.Text, "saturated") {
				t.Errorf("seed %d: %s at about 16 %% busy", seed, e.Text)
			}
		}
	}
}

// A server that keeps up while padding makes it busy (small batches cost a
// full one) is not saturated: its queue moves by a few batches, a trifle
// of the arrivals, however long it is busy.
func TestServeBusyButKeepingUpIsNotSaturation(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		snap := simulate(t, ServeConfig{
			Arrival: serve.Arrival{Kind: serve.Poisson, Rate: 17000}, Policy: serve.Policy{MaxBatch: 8}, Seed: seed,
			Simulate: &Simulation{Service: func(_ int, batch int64) time.Duration {
				// 150–550 µs, spread as a real engine's runs are
				return time.Duration(150+batch*7919%401) * time.Microsecond
			}}, Window: 500 * time.Millisecond, MaxMeasure: 10 * time.Second,
		})
		sv := snap.Serving
		for _, e := range snap.Events {
			if strings.Contains(e.Text, "saturated") {
				t.Errorf("seed %d: %s (answered %.0f of %.0f req/s)", seed, e.Text, sv.OverallAchieved, sv.OverallOffered)
			}
		}
	}
}
