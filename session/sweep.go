package session

import (
	"context"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
	"infertop/sweep"
)

// SweepSpec is one batch sweep: what to measure, how, and where to stop.
type SweepSpec struct {
	// Catalog holds the models; Model names the one swept.
	Catalog *model.Catalog
	Model   string
	Device  engine.Device
	// Threads, Precision: the engine's options (engine.Options).
	Threads   int
	Precision engine.Precision
	// Warmup, Window and MaxTime are each batch's measurement (0: defaults).
	Warmup, Window, MaxTime time.Duration
	// Batches, MaxBatch and SLOP99: the sweep's batch sizes and stop rules (sweep.Config).
	Batches  []int
	MaxBatch int
	SLOP99   time.Duration
	// MemLimit bounds the engine's memory (0: the device's, that is the
	// available host memory on the CPU and NVML's total on a GPU).
	MemLimit int64
	// MemSource says where a given MemLimit came from.
	MemSource string
	// OnSnapshot sees every snapshot of every batch's run (nil: none).
	OnSnapshot func(runner.Snapshot)
	// Progress sees the result after every step (sweep.Config.Progress).
	Progress func(sweep.Result, string)
}

// Sweep is a sweep set up on this machine, the same for `infertop sweep`
// and the dashboard's s key: on the CPU the memory limit is the available
// host memory (unless given) and each point carries the process's RSS; on
// a GPU each point carries NVML's used memory on the device's GPUs and the
// limit is their total; each point's energy comes from the device's
// counters. A model exported with a fixed batch is measured at that batch
// only, and the result says so.
type Sweep struct {
	Config sweep.Config
	Prober *sweep.RunnerProber
	// MemSource says where Config.MemLimit came from ("" without a limit).
	MemSource string
	// Note says why a GPU sweep's points carry no NVML figures ("" when they do).
	Note string
	gpus gpus
}

// NewSweep sets up spec with an NVML session of its own on a GPU; Close
// ends it.
func (m Machine) NewSweep(spec SweepSpec) (*Sweep, error) {
	g := gpus{visible: m.Visible, err: errNoNVML}
	if spec.Device.Kind == engine.CUDA {
		g = m.openGPUs()
	}
	return m.newSweep(spec, g)
}

// newSweep sets spec up reading the GPUs through g.
func (m Machine) newSweep(spec SweepSpec, g gpus) (*Sweep, error) {
	mod, err := spec.Catalog.Get(spec.Model)
	if err != nil {
		g.close()
		return nil, err
	}
	d := spec.Device.String()
	s := &Sweep{gpus: g, MemSource: spec.MemSource,
		Config: sweep.Config{Batches: spec.Batches, MaxBatch: spec.MaxBatch, SLOP99: spec.SLOP99, MemLimit: spec.MemLimit,
			Progress: spec.Progress},
		Prober: &sweep.RunnerProber{Registry: m.Registry, Catalog: spec.Catalog, Model: mod.Name, Device: d,
			Options: engine.Options{Threads: spec.Threads, Seed: presets.DefaultSeed, Precision: spec.Precision},
			Warmup:  spec.Warmup, Window: spec.Window, MaxTime: spec.MaxTime, OnSnapshot: spec.OnSnapshot,
			Energy: m.energyFor(g, d)},
	}
	if note := FixedBatchNote(mod); note != "" {
		s.Config.Batches, s.Config.Notes = []int{mod.FixedBatch()}, []string{note}
	}
	if spec.Device.Kind == engine.CPU {
		if s.Config.MemLimit == 0 {
			hm, err := m.hostMemory()
			if err != nil {
				g.close()
				return nil, err
			}
			s.Config.MemLimit, s.MemSource = hm.Available, hm.Source
		}
		s.Prober.EstimateLimit, s.Config.EstimateEdge, s.Prober.RSS = s.Config.MemLimit, true, m.RSS
		return s, nil
	}
	switch used, total, err := g.memory(spec.Device); {
	case g.mon == nil:
		s.Note = "no NVML memory or energy figures: " + err.Error()
	case err != nil:
		s.Note = "no NVML memory figures: " + err.Error()
	default:
		s.Prober.DeviceUsed = used
		if s.Config.MemLimit == 0 {
			s.Config.MemLimit, s.MemSource = total, "NVML memory total of "+d
		}
	}
	return s, nil
}

// Run sweeps until a stop rule holds or ctx ends.
func (s *Sweep) Run(ctx context.Context) (sweep.Result, error) {
	return sweep.Run(ctx, s.Config, s.Prober)
}

// Close ends the sweep's NVML session (not the dashboard's).
func (s *Sweep) Close() { s.gpus.close() }
