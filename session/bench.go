package session

import (
	"context"
	"strings"
	"time"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
)

// exportTimesCap is how many per-batch latencies a bench keeps per batch
// size when it exports them.
const exportTimesCap = 1 << 22

// BenchSpec is a headless measurement of models on one device, each at each
// batch size in turn.
type BenchSpec struct {
	// Catalog holds the models; Models are those measured, in order.
	Catalog *model.Catalog
	Models  []*model.Model
	Device  engine.Device
	// Batches are measured for every model; nil measures each at its
	// default batch.
	Batches []int
	// Warmup is each batch's least warm-up; Duration its measuring time.
	Warmup, Duration time.Duration
	// Threads, Resident and Precision are the engine's options (engine.Options).
	Threads   int
	Resident  bool
	Precision engine.Precision
	// KeepLatencies keeps every batch's latency for export.
	KeepLatencies bool
	// ProfileEvery, when positive, times each step in one batch in
	// ProfileEvery, left out of the measured figures (runner.Config.ProfileEvery).
	ProfileEvery int
	// Serving, when set, measures serving mode instead of batches back to
	// back: each batch size is then a max batch (runner.Server).
	Serving *ServingSpec
}

// Options are the engine's options of the bench.
func (s BenchSpec) Options() engine.Options {
	return engine.Options{Threads: s.Threads, Seed: presets.DefaultSeed, DataResident: s.Resident, Precision: s.Precision}
}

// BatchesOf are the batch sizes m is measured at.
func (s BenchSpec) BatchesOf(m *model.Model) []int {
	if s.Batches == nil {
		return []int{m.DefaultBatch}
	}
	return s.Batches
}

// ModelNames names the measured models, comma-separated.
func (s BenchSpec) ModelNames() string { return ModelNames(s.Models) }

// ModelNames names models, comma-separated.
func ModelNames(ms []*model.Model) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return strings.Join(names, ",")
}

// CheckFits refuses, on the CPU, a batch whose memory estimate is above the
// host's available memory, before anything is allocated. It returns a
// *UsageError for a batch that does not fit and an error when the host's
// memory cannot be read.
func (m Machine) CheckFits(s BenchSpec) error {
	if s.Device.Kind != engine.CPU {
		return nil
	}
	hm, err := m.hostMemory()
	if err != nil {
		return err
	}
	for _, m := range s.Models {
		for _, b := range s.BatchesOf(m) {
			need, err := runner.MemoryEstimate(m, b)
			if err != nil {
				return &UsageError{Msg: err.Error()}
			}
			if need > hm.Available {
				return usage("batch %d of %s needs an estimated %s, more than the %s available (%s); use a smaller --batch",
					b, m.Name, units.Bytes(need), units.Bytes(hm.Available), hm.Source)
			}
		}
	}
	return nil
}

// Bench is a bench opened on this machine: its observer and its device's
// energy counters. Measure runs one batch size.
type Bench struct {
	spec    BenchSpec
	m       Machine
	obs     *Headless
	energy  runner.EnergyMeter
	gpus    gpus
	lastRun uint64 // run ids go on counting from one batch size's runner to the next
}

// OpenBench starts the outputs out asks for and opens the device's energy
// counters. Close ends both.
func (m Machine) OpenBench(ctx context.Context, s BenchSpec, out Outputs) (*Bench, error) {
	obs, err := m.Observe(ctx, "bench", out, map[string]any{"model": s.ModelNames(),
		"device": s.Device.String(), "batches": s.Batches, "warmup": s.Warmup.String(), "duration": s.Duration.String(),
		"threads": s.Threads, "resident": s.Resident, "precision": s.Precision.String(), "profile_every": s.ProfileEvery})
	if err != nil {
		return nil, err
	}
	b := &Bench{spec: s, m: m, obs: obs, gpus: m.openGPUsFor(s.Device.String())}
	b.energy = m.energyFor(b.gpus, s.Device.String())
	return b, nil
}

// Observer is where the bench's snapshots go.
func (b *Bench) Observer() *Headless { return b.obs }

// Measure runs one model at one batch size to the end of its measuring time
// (or until ctx ends or the engine fails) and returns the final snapshot and,
// when the spec keeps them, every measured latency. show sees every snapshot.
func (b *Bench) Measure(ctx context.Context, m *model.Model, batch int, show func(runner.Snapshot)) (runner.Snapshot, []time.Duration, error) {
	s := b.spec
	if s.Serving != nil {
		snap, err := b.serve(ctx, m, batch, show)
		return snap, nil, err
	}
	cfg := runner.Config{
		Registry: b.m.Registry, Catalog: s.Catalog, Model: m.Name, Device: s.Device.String(),
		Batch: batch, Warmup: s.Warmup, Window: b.m.Window, MaxMeasure: s.Duration, Options: s.Options(),
		FirstRunID: b.lastRun, Energy: b.energy, ProfileEvery: s.ProfileEvery,
	}
	if s.KeepLatencies {
		cfg.RecordLatencies = exportTimesCap
	}
	r, err := runner.New(cfg)
	if err != nil {
		return runner.Snapshot{}, nil, err
	}
	if err := r.Start(ctx); err != nil {
		return runner.Snapshot{}, nil, err
	}
	defer func() {
		r.Stop()
		b.lastRun = max(b.lastRun, r.Latest().RunID)
	}()
	if b.follow(r, show) {
		return r.Latest(), nil, nil
	}
	return r.Latest(), r.Latencies(), nil
}

// aRun is what Runner and Server share, for follow.
type aRun interface {
	Snapshots() <-chan runner.Snapshot
	Done() <-chan struct{}
	Latest() runner.Snapshot
	Stop()
}

// follow hands every snapshot of r to the observer and to show until r
// ends, or stops r at its first error (an executor that failed to open or
// run ends this batch size) and then reports failed.
func (b *Bench) follow(r aRun, show func(runner.Snapshot)) (failed bool) {
	for {
		select {
		case snap := <-r.Snapshots():
			b.obs.Snapshot(snap)
			show(snap)
			if snap.State == runner.Error {
				r.Stop()
				b.obs.Snapshot(r.Latest())
				return true
			}
		case <-r.Done():
			b.obs.Snapshot(r.Latest())
			return false
		}
	}
}

// serve measures serving mode at max batch maxBatch: the server runs
// until its measuring time is over, ctx ends or it fails.
func (b *Bench) serve(ctx context.Context, m *model.Model, maxBatch int, show func(runner.Snapshot)) (runner.Snapshot, error) {
	s := b.spec
	cfg := b.m.serveConfig(*s.Serving, s.Catalog, m, s.Device, maxBatch, s.Options())
	cfg.Warmup, cfg.MaxMeasure, cfg.FirstRunID = s.Warmup, s.Duration, b.lastRun
	srv, err := runner.NewServer(cfg)
	if err != nil {
		return runner.Snapshot{}, err
	}
	if err := srv.Start(ctx); err != nil {
		return runner.Snapshot{}, err
	}
	defer func() {
		srv.Stop()
		b.lastRun = max(b.lastRun, srv.Latest().RunID)
	}()
	b.follow(srv, show)
	return srv.Latest(), nil
}

// Close ends the energy counters' NVML session and the outputs (see Observer.Close).
func (b *Bench) Close() error {
	b.gpus.close()
	return b.obs.Close()
}
