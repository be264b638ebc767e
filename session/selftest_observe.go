package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/metrics"
	"infertop/presets"
	"infertop/record"
	"infertop/runner"
)

// firstSampleWait bounds how long a selftest on a GPU waits for the first
// GPU sample before its first case, so that even a short selftest records
// the GPUs' state.
const firstSampleWait = 2 * time.Second

// selftestPlan is what a selftest runs.
type selftestPlan struct {
	device  engine.Device
	base    string
	presets []*presets.Preset
	batches []int
	// tf32 allows the device TF32 tensor cores (engine.Options.TF32).
	tf32 bool
}

// tolerance is the largest accepted max|out−base| / max|base|: looser with
// TF32.
func (p selftestPlan) tolerance() float64 {
	if p.tf32 {
		return selftestToleranceTF32
	}
	return selftestTolerance
}

// selftestObserver reports a selftest to the metrics endpoint and the
// recording: each case's verdict as it finishes, the summary, and on a GPU
// the GPUs' telemetry meanwhile. A selftest measures no throughput, so it
// hands neither any runner snapshot.
type selftestObserver struct {
	obs  *observer
	st   *metrics.Selftest // nil without --metrics-addr
	done func() bool
}

// observeSelftest starts what --metrics-addr and --record ask for. A taken
// or invalid address, or a recording path that cannot be created, is a usage
// error (exit 2) before any case runs. Without either flag the observer
// reports nothing.
func observeSelftest(ctx context.Context, env Env, f observeFlags, openNVML func() (*gpuinfo.Monitor, error),
	plan selftestPlan) (*selftestObserver, int, bool) {
	so := &selftestObserver{obs: &observer{}, done: func() bool { return true }}
	if f.metricsAddr == "" && f.record == "" {
		return so, 0, true
	}
	// NVML describes the machine in the recording's header and, on a GPU,
	// samples the GPUs; a CPU selftest that is only scraped needs neither.
	var mon *gpuinfo.Monitor
	var nvmlErr error
	if f.record != "" || plan.device.Kind != engine.CPU {
		mon, nvmlErr = openNVML()
	}
	closeMon := func() {
		if mon != nil {
			_ = mon.Close()
		}
	}
	if f.metricsAddr != "" {
		so.st = metrics.NewSelftest(plan.device.String(), plan.base, plan.tolerance(), len(plan.presets)*len(plan.batches))
	}
	o, code, ok := startObserverWith(env, "selftest", f, func() record.Header {
		return recordHeader("selftest", mon, nvmlErr, plan.options())
	}, func(feed *metrics.Feed) prometheus.Gatherer { return metrics.NewSelftestRegistry(feed, so.st) })
	if !ok {
		closeMon()
		return nil, code, false
	}
	so.obs = o
	ctx, cancel := context.WithCancel(ctx)
	if plan.device.Kind != engine.CPU {
		so.sampleGPUs(ctx, env, mon)
	}
	so.done = func() bool {
		cancel()
		ok := o.close(env, "selftest")
		closeMon()
		return ok
	}
	return so, 0, true
}

// options are the recording header's options.
func (p selftestPlan) options() map[string]any {
	names := make([]string, 0, len(p.presets))
	for _, q := range p.presets {
		names = append(names, q.Name)
	}
	return map[string]any{"device": p.device.String(), "baseline": p.base, "presets": names,
		"batches": p.batches, "tolerance": p.tolerance(), "tf32": p.tf32}
}

// sampleGPUs feeds the GPUs' telemetry to the observer until ctx ends, and
// waits (up to firstSampleWait) for the first sample. Without NVML it does nothing.
func (so *selftestObserver) sampleGPUs(ctx context.Context, env Env, mon *gpuinfo.Monitor) {
	if mon == nil {
		return
	}
	s, err := mon.Start(ctx, gpuinfo.SamplerOptions{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop selftest: no GPU telemetry: %v\n", err)
		return
	}
	first := make(chan struct{})
	so.obs.wg.Add(1)
	go func() {
		defer so.obs.wg.Done()
		seen := false
		for smp := range s.Samples() {
			so.obs.sample(smp)
			if !seen {
				seen = true
				close(first)
			}
		}
		if !seen {
			close(first)
		}
	}()
	t := time.NewTimer(firstSampleWait)
	defer t.Stop()
	select {
	case <-first:
	case <-t.C:
	}
}

// caseDone reports one finished case.
func (so *selftestObserver) caseDone(r caseResult) {
	if so.st != nil {
		so.st.ObserveCase(metrics.SelftestCase{Preset: r.preset, Batch: r.batch, Pass: r.pass,
			Compared: r.compared, MaxRelErr: r.rel, Took: r.took})
	}
	if so.obs.rec != nil {
		so.obs.rec.Case(r.record())
	}
}

// event records an event that is not a case (the summary, an interruption).
func (so *selftestObserver) event(kind runner.EventKind, text string) {
	if so.obs.rec != nil {
		so.obs.rec.Event(runner.Event{Kind: kind, Text: text})
	}
}

// stop ends the telemetry, the endpoint and the recording; it returns false
// when the recording is incomplete (the reason is on stderr).
func (so *selftestObserver) stop() bool { return so.done() }

// record is the case as a recording carries it.
func (r caseResult) record() record.Case {
	c := record.Case{Preset: r.preset, Batch: r.batch, Device: r.device, Baseline: r.baseLabel, Pass: r.pass,
		Compared: r.compared, MaxRelErr: r.rel, Tolerance: r.tol, Took: r.took, BaselineTook: r.baseTook}
	if r.err != nil {
		c.Error = r.err.Error()
	}
	return c
}
