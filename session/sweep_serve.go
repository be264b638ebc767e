package session

import (
	"context"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/sweep"
)

// ServeSweepSpec is one serving search (`infertop sweep --arrival
// poisson --slo-p99 …`): the model and device, each point's measurement,
// what every configuration shares, the grid of configurations.
type ServeSweepSpec struct {
	// Catalog holds the models; Model names the one served.
	Catalog *model.Catalog
	Model   string
	Device  engine.Device
	// Threads (the total the instances split), Precision: the engine's options.
	Threads   int
	Precision engine.Precision
	// Warmup and Window are each point's (0: the runner's defaults);
	// MaxTime caps a point's measured time.
	Warmup, Window, MaxTime time.Duration
	// Serving is the arrival kind (its rate is what is searched), the
	// policy's request size, preferred sizes and queue limit, and the SLO.
	// Its Policy.MaxBatch, Policy.MaxDelay and Instances come from Grid.
	Serving ServingSpec
	Grid    sweep.ServeGrid
	// MaxPoints bounds one configuration's open-loop points (0: the default).
	MaxPoints int
}

// ServeSweep is a serving search set up on this machine.
type ServeSweep struct {
	Search sweep.ServeSearch
	Prober *sweep.ServerProber
	// GPUs is how many GPUs cuda:all deals the instances over (0 for
	// another device), for the Triton fragment's instance groups.
	GPUs int
}

// CheckServeGrid refuses a grid the model cannot serve: each
// configuration's policy (the preferred sizes it can form, the request
// size) checked by CheckServing.
func CheckServeGrid(s ServingSpec, g sweep.ServeGrid, mod *model.Model) error {
	if err := g.Check(); err != nil {
		return usage("%v", err)
	}
	for _, set := range g.Settings(max(1, s.Policy.RequestSize)) {
		one := s
		one.Policy, one.Instances = set.Policy(s.Policy), set.Instances
		if err := CheckServing(one, mod, set.MaxBatch); err != nil {
			return err
		}
	}
	return nil
}

// NewServeSweep sets spec up: every point a fresh runner.Server with the
// machine's engines, the instances splitting the CPU threads.
func (m Machine) NewServeSweep(spec ServeSweepSpec) (*ServeSweep, error) {
	mod, err := spec.Catalog.Get(spec.Model)
	if err != nil {
		return nil, err
	}
	if err := CheckServeGrid(spec.Serving, spec.Grid, mod); err != nil {
		return nil, err
	}
	opts := engine.Options{Threads: spec.Threads, Seed: presets.DefaultSeed, Precision: spec.Precision}
	base := m.serveConfig(spec.Serving, spec.Catalog, mod, spec.Device, max(1, spec.Serving.Policy.RequestSize), opts)
	if spec.Warmup > 0 {
		base.Warmup = spec.Warmup
	}
	if spec.Window > 0 {
		base.Window = spec.Window
	}
	return &ServeSweep{
		Search: sweep.ServeSearch{Grid: spec.Grid, Arrival: spec.Serving.Arrival.Kind, Policy: spec.Serving.Policy,
			SLOP99: spec.Serving.SLOP99, MaxPoints: spec.MaxPoints},
		Prober: &sweep.ServerProber{Base: base, MaxTime: spec.MaxTime},
		GPUs:   base.GPUs,
	}, nil
}

// Run searches until every configuration is done or ctx ends.
func (s *ServeSweep) Run(ctx context.Context) (sweep.ServeResult, error) {
	return s.Search.Run(ctx, s.Prober)
}
