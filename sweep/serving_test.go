package sweep

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"infertop/runner"
	"infertop/serve"
)

// linearService is a batch's time a + b·size, the shape of a model whose
// fixed cost per batch batching spreads over its samples.
func linearService(a, b time.Duration) *runner.Simulation {
	return &runner.Simulation{Service: func(size int, _ int64) time.Duration { return a + time.Duration(size)*b }}
}

// simProber serves on a virtual clock for measure per point.
func simProber(sim *runner.Simulation, slo, measure time.Duration) *ServerProber {
	return &ServerProber{Base: runner.ServeConfig{Model: "fake", Device: "cpu", Seed: 7, SLOP99: slo,
		Window: 500 * time.Millisecond, Simulate: sim}, MaxTime: measure}
}

// bruteForce is the rate below the first on a 1 % grid of capacity, walking
// up from 85 % of it, whose run breaks slo: the answer the bisection must
// find. Every rate runs a minute on a fresh prober, so on the same seed
// (common random numbers): the curve of p99 against the rate is then as
// smooth as one schedule makes it.
func bruteForce(t *testing.T, sim *runner.Simulation, s ServeSetting, capacity float64, slo time.Duration) float64 {
	t.Helper()
	for f := 0.85; f < 1; f += 0.01 {
		p := simProber(sim, slo, time.Minute)
		snap, err := p.Serve(context.Background(), s, serve.Arrival{Kind: serve.Poisson, Rate: f * capacity})
		if err != nil {
			t.Fatal(err)
		}
		if !ServePointOf(snap, f*capacity, slo).MeetsSLO {
			if f == 0.85 {
				t.Fatalf("%s breaks the SLO at 85 %% of capacity already: walk up from lower", s)
			}
			return (f - 0.01) * capacity
		}
	}
	return capacity
}

// md1Rate is the highest Poisson rate at which one server with a fixed
// service time d keeps the p99 of wait plus service within slo: the M/D/1
// queue's waiting time distribution (Erlang's formula),
// P(W ≤ t) = (1 − ρ) Σ_{k=0}^{⌊t/d⌋} (λ(kd − t))^k / k! · e^{−λ(kd − t)},
// at t = slo − d, bisected on λ.
func md1Rate(d, slo time.Duration) float64 {
	t, dd := (slo - d).Seconds(), d.Seconds()
	p99 := func(lam float64) bool {
		sum, term := 0.0, 0.0
		for k := 0; float64(k)*dd <= t; k++ {
			x := lam * (float64(k)*dd - t)
			term = math.Pow(x, float64(k)) / math.Gamma(float64(k+1)) * math.Exp(-x)
			sum += term
		}
		return (1-lam*dd)*sum >= 0.99
	}
	lo, hi := 0.0, 1/dd
	for range 60 {
		if m := (lo + hi) / 2; p99(m) {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

func TestServeSearchFindsTheRateABruteForceFinds(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a few million requests")
	}
	const slo = 20 * time.Millisecond
	sim := linearService(time.Millisecond, 100*time.Microsecond) // batch 1: 1.1 ms; batch 8: 1.8 ms
	grid := ServeGrid{MaxBatches: []int{1, 8}, MaxDelays: []time.Duration{0, 2 * time.Millisecond}, Instances: []int{1}}
	var progress []string
	search := ServeSearch{Grid: grid, SLOP99: slo, Progress: func(r ServeResult, status string) {
		progress = append(progress, status)
	}}
	res, err := search.Run(context.Background(), simProber(sim, slo, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// Max batch 1 is tried without a delay only: 3 configurations.
	if len(res.Configs) != 3 || res.Interrupted {
		t.Fatalf("%d configurations, interrupted %v", len(res.Configs), res.Interrupted)
	}
	wantCap := map[int]float64{1: 1 / 1.1e-3, 8: 8 / 1.8e-3}
	for _, c := range res.Configs {
		if got, want := c.CapacityRPS, wantCap[c.MaxBatch]; math.Abs(got-want)/want > 0.01 {
			t.Errorf("%s: capacity %.0f req/s; a + b·size says %.0f", c.ServeSetting, got, want)
		}
		if !c.Done || len(c.Points) > DefaultServePoints || c.Best < 0 {
			t.Fatalf("%s: done %v, %d points, best %d: %s", c.ServeSetting, c.Done, len(c.Points), c.Best, c.Text)
		}
		if w := (c.HiRPS - c.LoRPS) / c.HiRPS; w > DefaultServeTolerance && len(c.Points) < DefaultServePoints {
			t.Errorf("%s: bracket %.0f..%.0f is %.1f %% wide after %d points", c.ServeSetting, c.LoRPS, c.HiRPS, 100*w, len(c.Points))
		}
		want := md1Rate(1100*time.Microsecond, slo) // 795 req/s, ρ = 0.87
		if c.MaxBatch > 1 {
			want = bruteForce(t, sim, c.ServeSetting, c.CapacityRPS, slo)
		}
		if got := c.BestRPS(); math.Abs(got-want)/want > 0.05 {
			t.Errorf("%s: best %.0f req/s; want %.0f (±5 %%)", c.ServeSetting, got, want)
		}
		if testing.Verbose() {
			t.Logf("%s: best %.0f req/s, reference %.0f", c.ServeSetting, c.BestRPS(), want)
		}
		b := c.BestPoint()
		if b.P99MS > 20 || !b.MeetsSLO || b.Saturated || b.Utilization <= 0 || b.Utilization > 1 || len(b.BatchMix) == 0 {
			t.Errorf("%s: best point %+v", c.ServeSetting, *b)
		}
		if math.Abs(b.AchievedRPS-b.RateRPS)/b.RateRPS > 0.03 {
			t.Errorf("%s: achieved %.0f of %.0f req/s at a rate that meets the SLO", c.ServeSetting, b.AchievedRPS, b.RateRPS)
		}
	}
	// Batching at 8 beats batch 1 by far: 4,444 against 909 req/s of capacity.
	if r := res.Recommended(); r == nil || r.MaxBatch != 8 || !strings.Contains(res.Rec.Why, "meets the 20 ms p99 SLO up to") {
		t.Errorf("recommendation %+v", res.Rec)
	}
	// A progress call before each run and after each point, the last with no status.
	if len(progress) < 2*3 || progress[len(progress)-1] != "" || !strings.Contains(progress[0], "capacity with 2 closed-loop clients") {
		t.Errorf("progress %q", progress)
	}
}

// The delay holds requests for a batch to fill: at light load a request
// waits it out, so a delay near the SLO cannot meet it at any rate.
func TestServeSearchReportsAConfigurationThatNeverMeetsTheSLO(t *testing.T) {
	const slo = 5 * time.Millisecond
	sim := linearService(time.Millisecond, 100*time.Microsecond)
	grid := ServeGrid{MaxBatches: []int{1, 64}, MaxDelays: []time.Duration{10 * time.Millisecond}, Instances: []int{1}}
	res, err := ServeSearch{Grid: grid, SLOP99: slo, MaxPoints: 4}.Run(context.Background(), simProber(sim, slo, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	never := res.Configs[1]
	if never.MaxBatch != 64 || never.Best != -1 || len(never.Points) != 4 || !strings.HasPrefix(never.Text, "never met the 5 ms p99 SLO") {
		t.Errorf("max batch 64 with a 10 ms delay: best %d after %d points: %s", never.Best, len(never.Points), never.Text)
	}
	for _, p := range never.Points {
		if p.MeetsSLO || p.Why == "" {
			t.Errorf("point %+v", p)
		}
	}
	if r := res.Recommended(); r == nil || r.MaxBatch != 1 || !strings.Contains(res.Rec.Why, "(next:") && !strings.Contains(res.Rec.Why, "highest") {
		t.Errorf("recommendation %+v", res.Rec)
	}
	// Alone, it leaves nothing to recommend, and says why.
	grid.MaxBatches = []int{64}
	res, err = ServeSearch{Grid: grid, SLOP99: slo, MaxPoints: 2}.Run(context.Background(), simProber(sim, slo, 3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rec.Index != -1 || !strings.HasPrefix(res.Rec.Why, "no configuration met the 5 ms p99 SLO at any rate tried (the lowest p99 was") {
		t.Errorf("recommendation %+v", res.Rec)
	}
}

// cancelAfter cancels the search's context during its n-th run.
type cancelAfter struct {
	p      ServeProber
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Serve(ctx context.Context, s ServeSetting, a serve.Arrival) (runner.Snapshot, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.p.Serve(ctx, s, a)
}

func TestServeSearchInterruptedKeepsItsPoints(t *testing.T) {
	const slo = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	grid := ServeGrid{MaxBatches: []int{1, 8}, MaxDelays: []time.Duration{0}, Instances: []int{1}}
	p := &cancelAfter{p: simProber(linearService(time.Millisecond, 100*time.Microsecond), slo, 3*time.Second), n: 5, cancel: cancel}
	res, err := ServeSearch{Grid: grid, SLOP99: slo}.Run(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// Run 1 is the capacity, runs 2-4 points, run 5 is cut short.
	if !res.Interrupted || len(res.Configs) != 1 || len(res.Configs[0].Points) != 3 || res.Configs[0].Done {
		t.Fatalf("interrupted %v, configurations %+v", res.Interrupted, res.Configs)
	}
	if c := res.Configs[0]; !strings.HasPrefix(c.Text, "interrupted at ") || c.Best < 0 || res.Rec.Index != 0 {
		t.Errorf("text %q, best %d, recommendation %+v", c.Text, c.Best, res.Rec)
	}
}

func TestRecommendServeTieBreaks(t *testing.T) {
	at := func(b int, d time.Duration, n int, rate float64) ServeConfigResult {
		return ServeConfigResult{ServeSetting: ServeSetting{MaxBatch: b, MaxDelayUS: d.Microseconds(), Instances: n},
			Points: []ServePoint{{RateRPS: rate, P99MS: 10, MeetsSLO: true, Utilization: 0.8}}, Best: 0}
	}
	ms := time.Millisecond
	cases := []struct {
		name    string
		configs []ServeConfigResult
		want    int
		why     string
	}{
		{"highest rate wins", []ServeConfigResult{at(1, 0, 1, 900), at(8, ms, 1, 3000), at(32, ms, 1, 2000)}, 1,
			"max batch 8, max delay 1ms, 1 instance meets the 20 ms p99 SLO up to 3000 req/s (p99 10 ms, instances 80 % busy there), the highest of the 3 configurations (next: max batch 32, max delay 1ms, 1 instance at 2000 req/s)"},
		{"fewer instances within 3 %", []ServeConfigResult{at(8, ms, 2, 3000), at(8, ms, 1, 2950)}, 1,
			"max batch 8, max delay 1ms, 1 instance meets the 20 ms p99 SLO up to 2950 req/s (p99 10 ms, instances 80 % busy there); max batch 8, max delay 1ms, 2 instances reached 3000 req/s, within the search's 3 % resolution, so the cheaper configuration is recommended"},
		{"smaller max batch within 3 %", []ServeConfigResult{at(32, 0, 1, 3000), at(16, 0, 1, 2990), at(8, ms, 1, 2000)}, 1, ""},
		{"shorter delay within 3 %", []ServeConfigResult{at(8, 2*ms, 1, 3000), at(8, ms, 1, 2995), at(8, 0, 1, 2980)}, 2, ""},
		{"beyond 3 % the faster wins", []ServeConfigResult{at(8, ms, 2, 3000), at(8, ms, 1, 2900)}, 0, ""},
		{"none met", []ServeConfigResult{{ServeSetting: ServeSetting{MaxBatch: 8, Instances: 1}, Best: -1,
			Points: []ServePoint{{RateRPS: 100, P99MS: 30}}}}, -1,
			"no configuration met the 20 ms p99 SLO at any rate tried (the lowest p99 was 30 ms, with max batch 8, max delay 0s, 1 instance); relax the SLO or try a smaller max batch or delay"},
	}
	for _, c := range cases {
		r := RecommendServe(c.configs, DefaultServeTolerance, 20*time.Millisecond)
		if r.Index != c.want || (c.why != "" && r.Why != c.why) {
			t.Errorf("%s: index %d, why %q; want %d, %q", c.name, r.Index, r.Why, c.want, c.why)
		}
	}
}

func TestServeGridSettingsAndCheck(t *testing.T) {
	g := ServeGrid{MaxBatches: []int{1, 8}, MaxDelays: []time.Duration{0, time.Millisecond}, Instances: []int{1, 2}}
	var got []string
	for _, s := range g.Settings(1) {
		got = append(got, s.String())
	}
	want := []string{"max batch 1, max delay 0s, 1 instance", "max batch 8, max delay 0s, 1 instance", "max batch 8, max delay 1ms, 1 instance",
		"max batch 1, max delay 0s, 2 instances", "max batch 8, max delay 0s, 2 instances", "max batch 8, max delay 1ms, 2 instances"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("settings\n%q\nwant\n%q", got, want)
	}
	if n := (ServeSearch{Grid: g}).EstimatePoints(); n != 6*(1+DefaultServePoints) {
		t.Errorf("estimate %d points", n)
	}
	// With requests of 8 samples, max batch 8 holds one request: no delay.
	if s := g.Settings(8); len(s) != 4 {
		t.Errorf("request size 8: %v", s)
	}
	bad := map[string]ServeGrid{
		"no max batch to try":        {MaxDelays: g.MaxDelays, Instances: g.Instances},
		"max batch 0: at least 1":    {MaxBatches: []int{0}, MaxDelays: g.MaxDelays, Instances: g.Instances},
		"max delay -1ms: from 0 to":  {MaxBatches: g.MaxBatches, MaxDelays: []time.Duration{-time.Millisecond}, Instances: g.Instances},
		"instances 65: from 1 to 64": {MaxBatches: g.MaxBatches, MaxDelays: g.MaxDelays, Instances: []int{65}},
	}
	for want, g := range bad {
		if err := g.Check(); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%+v: %v; want %q", g, err, want)
		}
	}
	p := ServeSetting{MaxBatch: 8, MaxDelayUS: 500, Instances: 1}.Policy(serve.Policy{Preferred: []int{4, 8, 16}, RequestSize: 2})
	if p.MaxBatch != 8 || p.MaxDelay != 500*time.Microsecond || len(p.Preferred) != 2 || p.RequestSize != 2 {
		t.Errorf("policy %+v: preferred sizes above the max batch are left out", p)
	}
}

func TestServePointOfJudges(t *testing.T) {
	snap := func(p99 time.Duration, sv runner.Serving) runner.Snapshot {
		sv.Instances = []runner.Instance{{Utilization: 0.5}, {Utilization: 0.7}}
		return runner.Snapshot{Latency: runner.Percentiles{P50: p99 / 2, P99: p99}, Serving: &sv}
	}
	cases := []struct {
		s    runner.Snapshot
		meet bool
		why  string
	}{
		{snap(10*time.Millisecond, runner.Serving{Requests: 100, Batches: []runner.SizeCount{{Size: 1, Count: 10}, {Size: 4, Count: 30}}}), true, ""},
		{snap(30*time.Millisecond, runner.Serving{Requests: 100}), false, "p99 30 ms is above the SLO"},
		{snap(time.Millisecond, runner.Serving{Requests: 100, Saturated: true, SaturationWhy: "queue grew"}), false, "saturated: queue grew"},
		{snap(time.Millisecond, runner.Serving{Requests: 100, Rejected: 3}), false, "a full queue turned away 3 requests"},
		{snap(0, runner.Serving{}), false, "no request was answered"},
	}
	for _, c := range cases {
		pt := ServePointOf(c.s, 1000, 20*time.Millisecond)
		if pt.MeetsSLO != c.meet || pt.Why != c.why || math.Abs(pt.Utilization-0.6) > 1e-9 {
			t.Errorf("%+v: meets %v, why %q, utilization %g", c.s.Serving, pt.MeetsSLO, pt.Why, pt.Utilization)
		}
	}
	pt := ServePointOf(cases[0].s, 1000, 20*time.Millisecond)
	if pt.MeanBatch != 3.25 || len(pt.BatchMix) != 2 || pt.BatchMix[1].Share != 0.75 {
		t.Errorf("mean batch %g, mix %+v; want 3.25 and 75 %% of batches of 4", pt.MeanBatch, pt.BatchMix)
	}
}

// failAt fails every run of one max batch, as an instance that does not
// open there would.
type failAt struct {
	p        ServeProber
	maxBatch int
}

func (f failAt) Serve(ctx context.Context, s ServeSetting, a serve.Arrival) (runner.Snapshot, error) {
	if s.MaxBatch == f.maxBatch {
		return runner.Snapshot{}, errors.New("instance 0: out of memory")
	}
	return f.p.Serve(ctx, s, a)
}

func TestServeSearchGoesOnPastAFailedConfiguration(t *testing.T) {
	const slo = 20 * time.Millisecond
	grid := ServeGrid{MaxBatches: []int{1, 8, 32}, MaxDelays: []time.Duration{0}, Instances: []int{1}}
	p := failAt{p: simProber(linearService(time.Millisecond, 100*time.Microsecond), slo, 3*time.Second), maxBatch: 8}
	res, err := ServeSearch{Grid: grid, SLOP99: slo, MaxPoints: 3}.Run(context.Background(), p)
	if err == nil || err.Error() != "max batch 8, max delay 0s, 1 instance: capacity: instance 0: out of memory" {
		t.Errorf("error %v", err)
	}
	if len(res.Configs) != 3 || res.Interrupted {
		t.Fatalf("%d configurations, interrupted %v", len(res.Configs), res.Interrupted)
	}
	if c := res.Configs[1]; !c.Done || c.Error != "max batch 8, max delay 0s, 1 instance: capacity: instance 0: out of memory" ||
		!strings.HasPrefix(c.Text, "failed: ") || len(c.Points) != 0 {
		t.Errorf("the failed configuration: %+v", c)
	}
	for _, i := range []int{0, 2} {
		if c := res.Configs[i]; c.Error != "" || len(c.Points) == 0 || !c.Done {
			t.Errorf("%s: %+v", c.ServeSetting, c)
		}
	}
	if r := res.Recommended(); r == nil || r.MaxBatch == 8 {
		t.Errorf("recommendation %+v", res.Rec)
	}
}
