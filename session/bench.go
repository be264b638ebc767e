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
	// Threads, Resident and TF32 are the engine's options (engine.Options).
	Threads        int
	Resident, TF32 bool
	// KeepLatencies keeps every batch's latency for export.
	KeepLatencies bool
	// ProfileEvery, when positive, times each step in one batch in
	// ProfileEvery, left out of the measured figures (runner.Config.ProfileEvery).
	ProfileEvery int
}

// Options are the engine's options of the bench.
func (s BenchSpec) Options() engine.Options {
	return engine.Options{Threads: s.Threads, Seed: presets.DefaultSeed, DataResident: s.Resident, TF32: s.TF32}
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
		"threads": s.Threads, "resident": s.Resident, "tf32": s.TF32, "profile_every": s.ProfileEvery})
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
	for {
		select {
		case snap := <-r.Snapshots():
			b.obs.Snapshot(snap)
			show(snap)
			if snap.State == runner.Error {
				r.Stop() // an executor that failed to open or run ends this batch size
				b.obs.Snapshot(r.Latest())
				return r.Latest(), nil, nil
			}
		case <-r.Done():
			b.obs.Snapshot(r.Latest())
			return r.Latest(), r.Latencies(), nil
		}
	}
}

// Close ends the energy counters' NVML session and the outputs (see Observer.Close).
func (b *Bench) Close() error {
	b.gpus.close()
	return b.obs.Close()
}
