package sweep

import (
	"context"
	"fmt"
	"time"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/model"
	"infertop/runner"
)

// DefaultMaxTime caps one batch's measurement when it does not become stable.
const DefaultMaxTime = 10 * time.Second

// RunnerProber measures each batch with a fresh runner: warm-up, then windows
// until both stability rules hold (or MaxTime, flagged unstable).
type RunnerProber struct {
	Registry *engine.Registry
	Catalog  *model.Catalog
	// Model names the catalog's model to measure.
	Model   string
	Device  string
	Options engine.Options
	// Warmup and Window are passed to the runner (0: its defaults).
	Warmup, Window time.Duration
	// MaxTime caps the measured time of one batch (default DefaultMaxTime).
	MaxTime time.Duration
	// EstimateLimit, when positive, refuses a batch whose memory estimate
	// (runner.MemoryEstimate) is above it without opening anything (the
	// CPU's out-of-memory edge).
	EstimateLimit int64
	// RSS reads the process's resident set in bytes (nil: not recorded).
	RSS func() int64
	// DeviceUsed reads NVML's used memory on the run's GPUs in bytes (nil: not recorded).
	DeviceUsed func() int64
	// OnSnapshot, when set, sees every snapshot (progress lines, live views).
	OnSnapshot func(runner.Snapshot)
	// Energy, when set, is passed to each runner (runner.Config.Energy): it
	// reads the energy counters of what Device runs on (its GPUs, or the CPU
	// packages), for each point's energy per sample (nil: none).
	Energy runner.EnergyMeter

	// lastRun is the last run id a probe's runner used: the next one goes on
	// from it, so run ids never repeat within one sweep.
	lastRun uint64
}

// estimate checks batch's memory estimate against EstimateLimit and returns
// the estimate (0 without a limit).
func (p *RunnerProber) estimate(batch int) (int64, error) {
	if p.EstimateLimit <= 0 {
		return 0, nil
	}
	m, err := p.Catalog.Get(p.Model)
	if err != nil {
		return 0, err
	}
	need, err := runner.MemoryEstimate(m, batch)
	if err != nil {
		return 0, err
	}
	if need > p.EstimateLimit {
		return need, &engine.OOMError{Device: p.Device, Batch: batch, Need: need, Available: p.EstimateLimit}
	}
	return need, nil
}

// Fits checks the estimate (when a limit is set) and otherwise prepares the
// batch on a fresh executor and closes it.
func (p *RunnerProber) Fits(_ context.Context, batch int) error {
	if p.EstimateLimit > 0 {
		_, err := p.estimate(batch)
		return err
	}
	m, err := p.Catalog.Get(p.Model)
	if err != nil {
		return err
	}
	ex, err := p.Registry.Open(p.Device, m, p.Options)
	if err != nil {
		return err
	}
	defer ex.Close()
	return ex.Prepare(batch)
}

// Measure runs batch until stable or MaxTime and returns its point. An
// executor that does not fit returns an error wrapping engine.ErrOutOfMemory.
func (p *RunnerProber) Measure(ctx context.Context, batch int) (pt Point, err error) {
	est, err := p.estimate(batch)
	if err != nil {
		return Point{}, err
	}
	defer func() { pt.EstimateBytes = est }()
	maxTime := p.MaxTime
	if maxTime <= 0 {
		maxTime = DefaultMaxTime
	}
	r, err := runner.New(runner.Config{Registry: p.Registry, Catalog: p.Catalog, Model: p.Model, Device: p.Device,
		Batch: batch, Warmup: p.Warmup, Window: p.Window, MaxMeasure: maxTime, Options: p.Options, FirstRunID: p.lastRun,
		Energy: p.Energy})
	if err != nil {
		return Point{}, err
	}
	if err := r.Start(ctx); err != nil {
		return Point{}, err
	}
	defer func() {
		r.Stop()
		p.lastRun = max(p.lastRun, r.Latest().RunID)
	}()
	for {
		select {
		case s := <-r.Snapshots():
			if p.OnSnapshot != nil {
				p.OnSnapshot(s)
			}
			switch s.State {
			case runner.Stable:
				r.Stop()
				return p.point(r.Latest()), nil
			case runner.Error:
				r.Stop()
				return Point{}, snapshotError(s)
			}
		case <-r.Done():
			s := r.Latest()
			if s.Err != "" {
				return Point{}, snapshotError(s)
			}
			return p.point(s), nil
		}
	}
}

// snapshotError turns a failed run into an error; an out-of-memory event
// makes it wrap engine.ErrOutOfMemory.
func snapshotError(s runner.Snapshot) error {
	for _, e := range s.Events {
		if e.Kind == runner.EventOutOfMemory {
			return fmt.Errorf("%s: %w", s.Err, engine.ErrOutOfMemory)
		}
	}
	return fmt.Errorf("%s", s.Err)
}

func (p *RunnerProber) point(s runner.Snapshot) Point {
	pt := PointFromSnapshot(s)
	if p.RSS != nil {
		pt.RSSBytes = p.RSS()
	}
	if p.DeviceUsed != nil {
		pt.DeviceUsedBytes = p.DeviceUsed()
	}
	return pt
}

// PointFromSnapshot takes a run's figures from its final snapshot.
func PointFromSnapshot(s runner.Snapshot) Point {
	pt := Point{Batch: s.Batch, SamplesPerSec: s.Overall.SamplesPerSec, P50MS: units.MS(s.Latency.P50), P99MS: units.MS(s.Latency.P99),
		GFLOPS: s.GFLOPS, EngineBytes: s.Memory.HostBytes, Stable: s.Stability.Both(),
		Noise: s.Stability.ThroughputSpread, Batches: s.Overall.Batches, Energy: s.OverallEnergy}
	for _, b := range s.Memory.DeviceBytes {
		pt.EngineBytes += b
	}
	return pt
}
