package session

import (
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/runner"
	"infertop/serve"
)

// ServingSpec is serving mode's settings: how requests arrive, the dynamic
// batcher's policy and the instances serving the queue (the --arrival
// family of flags). Policy.MaxBatch is set per run.
type ServingSpec struct {
	Arrival   serve.Arrival
	Policy    serve.Policy
	Instances int
	// SLOP99 is the p99 objective goodput counts against (0: none).
	SLOP99 time.Duration
}

// Describe is the settings in a few words, for options in reports.
func (s ServingSpec) Describe() map[string]any {
	o := map[string]any{"arrival": s.Arrival.String(), "max_delay": s.Policy.MaxDelay.String(),
		"instances": max(1, s.Instances), "request_size": max(1, s.Policy.RequestSize)}
	if len(s.Policy.Preferred) > 0 {
		o["preferred_batch"] = serve.FormatSizes(s.Policy.Preferred)
	}
	if s.Policy.QueueLimit > 0 {
		o["queue_limit"] = s.Policy.QueueLimit
	}
	if s.SLOP99 > 0 {
		o["slo_p99"] = s.SLOP99.String()
	}
	return o
}

// serveConfig is the runner's configuration of a serving run of m on dev at
// max batch maxBatch.
func (m Machine) serveConfig(s ServingSpec, cat *model.Catalog, mod *model.Model, dev engine.Device, maxBatch int, opts engine.Options) runner.ServeConfig {
	p := s.Policy
	p.MaxBatch = maxBatch
	return runner.ServeConfig{
		Registry: m.Registry, Catalog: cat, Model: mod.Name, Device: dev.String(), GPUs: m.gpuCount(dev),
		Arrival: s.Arrival, Policy: p, Instances: s.Instances, Options: opts, Cores: m.UsableCPUs().N,
		Seed: opts.Seed, SLOP99: s.SLOP99, Window: m.Window,
	}
}

// gpuCount is how many GPUs cuda:all spreads instances over (0 for
// another device or when none answers).
func (m Machine) gpuCount(dev engine.Device) int {
	if !dev.All {
		return 0
	}
	g := m.openGPUsFor(dev.String())
	defer g.close()
	idx, _ := g.indexes(dev)
	return len(idx)
}

// CheckServing refuses serving settings that cannot run with the model:
// a max batch or a preferred size the model cannot run at (a fixed-batch
// export), or a policy that does not hold together.
func CheckServing(s ServingSpec, mod *model.Model, maxBatch int) error {
	p := s.Policy
	p.MaxBatch = maxBatch
	if p.RequestSize == 0 {
		p.RequestSize = 1
	}
	if err := p.Validate(); err != nil {
		return usage("%v", err)
	}
	for _, b := range p.PreparedSizes() {
		if err := mod.CheckBatch(b); err != nil {
			return usage("serving %s prepares batch %d: %v", mod.Name, b, err)
		}
	}
	if s.Instances < 0 || s.Instances > runner.MaxInstances {
		return usage("--instances %d: from 1 to %d", s.Instances, runner.MaxInstances)
	}
	return nil
}
