package session

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/engine"
	"infertop/metrics"
	"infertop/record"
	"infertop/runner"
)

// firstSampleWait bounds how long a selftest on a GPU waits for the first
// GPU sample before its first case, so that even a short selftest records
// the GPUs' state.
const firstSampleWait = 2 * time.Second

// SelftestObserver reports a selftest to the metrics endpoint and the
// recording: each case's verdict as it finishes, the summary, and on a GPU
// the GPUs' telemetry meanwhile. A selftest measures no throughput, so it
// hands neither any runner snapshot.
type SelftestObserver struct {
	*Observer
	st     *metrics.Selftest // nil without an endpoint
	gpus   gpus
	cancel context.CancelFunc
	// planned is the number of cases planned per model.
	planned map[string]int
	// NoTelemetry says why a selftest on a GPU records no GPU samples ("" when it does).
	NoTelemetry string
}

// ObserveSelftest starts what out asks for. A taken or invalid address, or
// a recording path that cannot be created, is a UsageError before any case
// runs. Without either output the observer reports nothing. Close stops it.
func (m Machine) ObserveSelftest(ctx context.Context, out Outputs, st *Selftest) (*SelftestObserver, error) {
	so := &SelftestObserver{Observer: &Observer{}, cancel: func() {}, planned: map[string]int{}}
	for _, m := range st.Models {
		so.planned[m.Name] = len(st.BatchesOf(m))
	}
	if !out.any() {
		return so, nil
	}
	// NVML describes the machine in the recording's header and, on a GPU,
	// samples the GPUs; a CPU selftest that is only scraped needs neither.
	so.gpus = gpus{err: errNoNVML}
	if out.Record != "" || st.Device.Kind != engine.CPU {
		so.gpus = m.openGPUs()
	}
	if out.MetricsAddr != "" {
		so.st = metrics.NewSelftest(st.Device.String(), st.Precision.String(), st.Base, st.Tolerance(), st.Cases())
	}
	o, err := startObserver(out, func() record.Header { return m.header("selftest", so.gpus, st.Options()) },
		func(feed *metrics.Feed) prometheus.Gatherer { return metrics.NewSelftestRegistry(feed, so.st) })
	if err != nil {
		so.gpus.close()
		return nil, err
	}
	so.Observer = o
	ctx, so.cancel = context.WithCancel(ctx)
	if st.Device.Kind != engine.CPU {
		first, err := o.sampleGPUs(ctx, so.gpus.mon)
		if err != nil {
			so.NoTelemetry = err.Error()
		}
		waitFirst(first)
	}
	return so, nil
}

// waitFirst waits up to firstSampleWait for first to close (nil: not at all).
func waitFirst(first <-chan struct{}) {
	if first == nil {
		return
	}
	t := time.NewTimer(firstSampleWait)
	defer t.Stop()
	select {
	case <-first:
	case <-t.C:
	}
}

// CaseDone reports one finished case, or a refused model (which stands for
// every batch of it the selftest planned).
func (so *SelftestObserver) CaseDone(r Case) {
	if so.st != nil {
		so.st.ObserveCase(metrics.SelftestCase{Model: r.Model, Batch: r.Batch, Pass: r.Pass, Refused: r.Refused, Cases: so.planned[r.Model],
			Compared: r.Compared, MaxRelErr: r.RelErr, Took: r.Took})
	}
	if so.rec != nil {
		so.rec.Case(r.record())
	}
}

// Event records an event that is not a case (the summary, an interruption).
func (so *SelftestObserver) Event(kind runner.EventKind, text string) {
	if so.rec != nil {
		so.rec.Event(runner.Event{Kind: kind, Text: text})
	}
}

// Close ends the telemetry, the endpoint and the recording (see Observer.Close).
func (so *SelftestObserver) Close() error {
	so.cancel()
	err := so.Observer.Close()
	so.gpus.close()
	return err
}

// record is the case as a recording carries it.
func (r Case) record() record.Case {
	c := record.Case{Model: r.Model, Batch: r.Batch, Device: r.Device, Baseline: r.Base, Precision: r.Precision.String(), Pass: r.Pass, Refused: r.Refused,
		Compared: r.Compared, MaxRelErr: r.RelErr, Tolerance: r.Tol, Took: r.Took, BaselineTook: r.BaseTook}
	if r.Err != nil {
		c.Error = r.Err.Error()
	}
	return c
}
