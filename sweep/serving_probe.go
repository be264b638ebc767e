package sweep

import (
	"context"
	"fmt"
	"time"

	"infertop/runner"
	"infertop/serve"
)

// ServerProber runs each point of a serving search on a fresh
// runner.Server: Base with the point's policy, instances and arrival.
// A real run ends once the window rule holds, once it is saturated (after
// the windows the window rule compares), or at MaxTime; a simulated one
// (Base.Simulate) always measures MaxTime, so that its result depends on
// nothing but its seed.
type ServerProber struct {
	// Base is every point's configuration: the model and device (or a
	// Simulation), the policy's request size, preferred sizes and queue
	// limit, the seed, the SLO, the warm-up and the window.
	Base runner.ServeConfig
	// MaxTime caps one point's measured time (default DefaultMaxTime).
	MaxTime time.Duration
	// OnSnapshot, when set, sees the snapshots of every point's run
	// (progress, metrics, the recording); a simulated run's last only.
	OnSnapshot func(runner.Snapshot)

	// lastRun is the last run id a point used: the next goes on from it,
	// so run ids never repeat within one search.
	lastRun uint64
}

// Serve implements ServeProber.
func (p *ServerProber) Serve(ctx context.Context, s ServeSetting, a serve.Arrival) (runner.Snapshot, error) {
	cfg := p.Base
	cfg.Arrival, cfg.Policy, cfg.Instances = a, s.Policy(p.Base.Policy), s.Instances
	cfg.MaxMeasure, cfg.FirstRunID = p.MaxTime, p.lastRun
	if cfg.MaxMeasure <= 0 {
		cfg.MaxMeasure = DefaultMaxTime
	}
	srv, err := runner.NewServer(cfg)
	if err != nil {
		return runner.Snapshot{}, err
	}
	if err := srv.Start(ctx); err != nil {
		return runner.Snapshot{}, err
	}
	defer func() { p.lastRun = max(p.lastRun, srv.Latest().RunID) }()
	if cfg.Simulate == nil {
		p.watch(srv)
	} else {
		srv.Wait()
	}
	srv.Stop()
	last := srv.Latest()
	if p.OnSnapshot != nil {
		p.OnSnapshot(last)
	}
	if err := ctx.Err(); err != nil {
		return last, err
	}
	if last.Err != "" {
		return last, fmt.Errorf("%s", last.Err)
	}
	return last, nil
}

// watch passes srv's snapshots on until the point can end: stable,
// saturated, failed, or the run over.
func (p *ServerProber) watch(srv *runner.Server) {
	for {
		select {
		case s := <-srv.Snapshots():
			if p.OnSnapshot != nil {
				p.OnSnapshot(s)
			}
			if pointOver(s) {
				return
			}
		case <-srv.Done():
			return
		}
	}
}

// pointOver says a running point has measured enough: the window rule
// holds, the run is saturated over the windows the rule compares, or it
// failed.
func pointOver(s runner.Snapshot) bool {
	switch {
	case s.State == runner.Stable, s.State == runner.Error:
		return true
	case s.Serving != nil && s.Serving.Saturated:
		return len(s.Serving.Windows) >= runner.StabilityWindows
	}
	return false
}
