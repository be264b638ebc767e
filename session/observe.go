package session

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/internal/atomicfile"
	"infertop/internal/latest"
	"infertop/metrics"
	"infertop/record"
	"infertop/runner"
)

// Outputs are where a run is published besides the command's own output:
// the Prometheus endpoint and the recording. Either may be empty.
type Outputs struct {
	// MetricsAddr is the endpoint's address, e.g. ":9464".
	MetricsAddr string
	// Record is the recording's path.
	Record string
}

// CheckOutputs checks the outputs before anything runs or any result file
// is started: a metrics address that is not host:port (or whose host does
// not resolve), a recording whose folder takes no new file. Each is a
// *UsageError. The endpoint itself is opened with the run, where a port
// another program took is refused in the same words.
func CheckOutputs(o Outputs) error {
	if o.MetricsAddr != "" {
		if _, err := net.ResolveTCPAddr("tcp", o.MetricsAddr); err != nil {
			return usage("--metrics-addr: metrics address %s: %v (accepted: host:port or :port, e.g. :9464 or 127.0.0.1:9464)", o.MetricsAddr, err)
		}
	}
	if o.Record != "" {
		f, err := atomicfile.Create(o.Record)
		if err != nil {
			return usage("--record %s cannot be written: %v", o.Record, err)
		}
		f.Abort()
	}
	return nil
}

// any reports whether some output is asked for.
func (o Outputs) any() bool { return o.MetricsAddr != "" || o.Record != "" }

// Observer hands a run's snapshots and telemetry to the metrics endpoint and
// the recording; either may be off, and a nil Observer observes nothing.
// Its methods never block on a scrape; the recording waits only for its file.
type Observer struct {
	feed *metrics.Feed
	srv  *metrics.Server
	rec  *record.Recorder
	wg   sync.WaitGroup // the tee goroutines and the GPU samplers' readers
}

// runRegistry serves a runner's snapshots and the GPU samples.
func runRegistry(feed *metrics.Feed) prometheus.Gatherer { return metrics.NewRegistry(feed) }

// startObserver opens the endpoint and the recording out asks for, serving
// the registry gather builds over the observer's feed (which receives the
// GPU samples). A taken or invalid address, or a recording path that
// cannot be created, is a UsageError: nothing has run yet.
func startObserver(out Outputs, header func() record.Header, gather func(*metrics.Feed) prometheus.Gatherer) (*Observer, error) {
	o := &Observer{}
	if out.MetricsAddr != "" {
		o.feed = metrics.NewFeed()
		srv, err := metrics.Listen(out.MetricsAddr, gather(o.feed))
		if err != nil {
			return nil, usage("--metrics-addr: %v", err)
		}
		o.srv = srv
	}
	if out.Record != "" {
		rec, err := record.Create(out.Record, header())
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			_ = o.Close()
			return nil, usage("--record %s cannot be written: %v", out.Record, err)
		}
		o.rec = rec
	}
	return o, nil
}

// Metrics returns the endpoint's URL and the address it listens on, or ""
// without one.
func (o *Observer) Metrics() (url, addr string) {
	if o == nil || o.srv == nil {
		return "", ""
	}
	return o.srv.URL(), o.srv.Addr()
}

// Snapshot passes one runner snapshot on.
func (o *Observer) Snapshot(s runner.Snapshot) {
	if o == nil {
		return
	}
	if o.feed != nil {
		o.feed.ObserveSnapshot(s)
	}
	if o.rec != nil {
		o.rec.Snapshot(s)
	}
}

// sample passes one GPU sample on.
func (o *Observer) sample(s gpuinfo.Sample) {
	if o == nil {
		return
	}
	if o.feed != nil {
		o.feed.ObserveSample(s)
	}
	if o.rec != nil {
		o.rec.Sample(s)
	}
}

// host records one host reading.
func (o *Observer) host(h hostinfo.Stat) {
	if o != nil && o.rec != nil {
		o.rec.Host(h)
	}
}

// active reports whether anything observes the run.
func (o *Observer) active() bool { return o != nil && (o.feed != nil || o.rec != nil) }

// Close waits for the tees and samplers (their context must have ended),
// stops the endpoint and closes the recording. Its error joins what failed;
// a *RecordingError among them means the recording is incomplete.
func (o *Observer) Close() error {
	if o == nil {
		return nil
	}
	o.wg.Wait()
	var errs []error
	if o.srv != nil {
		if err := o.srv.Close(); err != nil {
			errs = append(errs, err)
		}
		o.srv = nil
	}
	if o.rec != nil {
		if err := o.rec.Close(); err != nil {
			errs = append(errs, &RecordingError{Err: err})
		}
		o.rec = nil
	}
	return errors.Join(errs...)
}

// RecordingError says the recording could not be finished: the command
// that made it fails.
type RecordingError struct{ Err error }

// Error names the output and the reason.
func (e *RecordingError) Error() string { return "--record: " + e.Err.Error() }

// Unwrap returns the reason.
func (e *RecordingError) Unwrap() error { return e.Err }

// tee passes every value from in to sink and on to the returned channel,
// which, like the runner's and the samplers', holds the newest value and
// never makes the sender wait. The goroutine ends when ctx ends or in is
// closed; only the latter closes the returned channel (the runner's snapshot
// channel is never closed, and its readers select on the runner's Done).
func tee[T any](ctx context.Context, wg *sync.WaitGroup, in <-chan T, sink func(T)) <-chan T {
	if in == nil {
		return nil
	}
	out := make(chan T, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case v, ok := <-in:
				if !ok {
					close(out)
					return
				}
				sink(v)
				latest.Offer(out, v)
			}
		}
	}()
	return out
}

// header describes this build and machine for a recording.
func (m Machine) header(cmd string, g gpus, opts map[string]any) record.Header {
	host, _ := os.Hostname()
	h := record.Header{
		Command: cmd, Options: opts,
		Build: record.Build{Version: Version, Go: runtime.Version(), CUDA: CUDABuild},
		Machine: record.Machine{Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH,
			CPUModel: hostinfo.CPUModel(m.cpuInfo()), CPUs: runtime.NumCPU()},
	}
	if g.mon != nil {
		h.Machine.GPUs, h.Machine.Driver = g.mon.Devices(), g.mon.DriverVersion()
	} else if g.err != nil {
		h.Machine.NVMLError = g.err.Error()
	}
	return h
}

// sampleGPUs feeds the observer from a GPU sampler of its own until ctx
// ends, and returns a channel closed at the first sample (or when the
// sampler ends without one). Without NVML it does nothing and returns nil.
func (o *Observer) sampleGPUs(ctx context.Context, mon *gpuinfo.Monitor) (<-chan struct{}, error) {
	if mon == nil || !o.active() {
		return nil, nil
	}
	s, err := mon.Start(ctx, gpuinfo.SamplerOptions{})
	if err != nil {
		return nil, err
	}
	first := make(chan struct{})
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		seen := false
		for smp := range s.Samples() {
			o.sample(smp)
			if !seen {
				seen = true
				close(first)
			}
		}
		if !seen {
			close(first)
		}
	}()
	return first, nil
}

// Headless is the observer of a command without a screen (bench, sweep,
// compare): the outputs, and the GPUs' telemetry when NVML answers.
type Headless struct {
	*Observer
	gpus   gpus
	cancel context.CancelFunc
}

// Observe starts the outputs a headless command asks for, with GPU telemetry
// when NVML answers; opts are the recording's options. With neither output
// it returns a Headless that observes nothing. Close stops it.
func (m Machine) Observe(ctx context.Context, cmd string, out Outputs, opts map[string]any) (*Headless, error) {
	return m.observe(ctx, cmd, out, opts, runRegistry)
}

// observe is Observe serving the registry gather builds.
func (m Machine) observe(ctx context.Context, cmd string, out Outputs, opts map[string]any,
	gather func(*metrics.Feed) prometheus.Gatherer) (*Headless, error) {
	if !out.any() {
		return &Headless{Observer: &Observer{}, cancel: func() {}}, nil
	}
	g := m.openGPUs()
	obs, err := startObserver(out, func() record.Header { return m.header(cmd, g, opts) }, gather)
	if err != nil {
		g.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	_, _ = obs.sampleGPUs(ctx, g.mon) // without a sampler the run goes on unobserved by the GPUs
	return &Headless{Observer: obs, gpus: g, cancel: cancel}, nil
}

// Close stops the telemetry, the endpoint and the recording (see Observer.Close).
func (h *Headless) Close() error {
	h.cancel()
	err := h.Observer.Close()
	h.gpus.close()
	return err
}
