package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/presets"
	"infertop/runner"
	"infertop/serve"
	"infertop/sweep"
)

// A serving search on the fake engine (100 µs a batch) runs every
// configuration's capacity and points through real Servers, whose instances
// split the threads asked for.
func TestServeSweepRunsOnTheMachinesEngines(t *testing.T) {
	spec := ServeSweepSpec{Catalog: presets.NewModels(presets.DefaultSeed), Model: "linear", Device: engine.Device{Kind: engine.CPU},
		Threads: 4, Warmup: time.Millisecond, Window: 20 * time.Millisecond, MaxTime: 100 * time.Millisecond, MaxPoints: 2,
		Serving: ServingSpec{Arrival: serve.Arrival{Kind: serve.Poisson}, Policy: serve.Policy{RequestSize: 1, Preferred: []int{2, 8}}, SLOP99: time.Second},
		Grid:    sweep.ServeGrid{MaxBatches: []int{1, 4}, MaxDelays: []time.Duration{0}, Instances: []int{2}}}
	sw, err := sleepMachine().NewServeSweep(spec)
	if err != nil {
		t.Fatal(err)
	}
	b := sw.Prober.Base
	if b.Model != "linear" || b.Device != "cpu" || b.Options.Threads != 4 || b.Window != 20*time.Millisecond || b.SLOP99 != time.Second || sw.GPUs != 0 {
		t.Errorf("base configuration %+v", b)
	}
	threads := map[int]bool{}
	sw.Prober.OnSnapshot = func(s runner.Snapshot) {
		if s.Serving != nil {
			for _, in := range s.Serving.Instances {
				if in.Threads > 0 {
					threads[in.Threads] = true
				}
			}
		}
	}
	res, err := sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Configs) != 2 || res.Interrupted {
		t.Fatalf("configurations %+v", res.Configs)
	}
	for _, c := range res.Configs {
		if c.Instances != 2 || !(c.CapacityRPS > 0) || len(c.Points) == 0 || len(c.Points) > 2 {
			t.Errorf("%s: capacity %.0f, %d points", c.ServeSetting, c.CapacityRPS, len(c.Points))
		}
	}
	if len(threads) != 1 || !threads[2] {
		t.Errorf("instance threads %v; want 4 split as 2 and 2", threads)
	}
	if res.Arrival != "poisson" || res.SLOMS != 1000 || len(res.Preferred) != 2 {
		t.Errorf("result %+v", res)
	}
}

func TestCheckServeGrid(t *testing.T) {
	cat, err := OpenModels([]string{fixedBatch}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fixed, _ := cat.Get(fixedBatch)
	lin, _ := presets.NewModels(presets.DefaultSeed).Get("mlp")
	grid := func(b ...int) sweep.ServeGrid {
		return sweep.ServeGrid{MaxBatches: b, MaxDelays: []time.Duration{0, time.Millisecond}, Instances: []int{1}}
	}
	s := ServingSpec{Policy: serve.Policy{RequestSize: 1}}
	if err := CheckServeGrid(s, grid(1, 8, 32), lin); err != nil {
		t.Errorf("mlp at 1, 8, 32: %v", err)
	}
	if err := CheckServeGrid(s, grid(2), fixed); err != nil {
		t.Errorf("the fixed-batch file at its batch: %v", err)
	}
	bigReq := ServingSpec{Policy: serve.Policy{RequestSize: 4}}
	cases := []struct {
		s    ServingSpec
		g    sweep.ServeGrid
		want string
	}{
		{s, grid(2, 8), "serving " + fixedBatch + " prepares batch 8: "},
		{bigReq, grid(1, 8), "request size 4: from 1 to the max batch (1) samples"},
		{ServingSpec{Policy: serve.Policy{RequestSize: 2, Preferred: []int{3}}}, grid(8), "preferred batch 3: not a multiple of the request size (2 samples)"},
		{s, sweep.ServeGrid{MaxBatches: []int{8}, Instances: []int{1}}, "no max delay to try"},
	}
	for _, c := range cases {
		m := lin
		if strings.Contains(c.want, fixedBatch) {
			m = fixed
		}
		err := CheckServeGrid(c.s, c.g, m)
		var ue *UsageError
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &ue) {
			t.Errorf("%+v: %v; want a usage error starting %q", c.g, err, c.want)
		}
	}
}
