package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/metrics"
	"infertop/record"
	"infertop/runner"
	"infertop/ui"
)

// observer hands the run's snapshots and the telemetry to the metrics endpoint
// (--metrics-addr) and the recording (--record); either may be off, and a nil
// observer observes nothing. Its methods never block on a scrape; the
// recording waits only for its file.
type observer struct {
	feed *metrics.Feed
	srv  *metrics.Server
	rec  *record.Recorder
	wg   sync.WaitGroup // the tee goroutines
}

// observeFlags are the flags every measuring command shares.
type observeFlags struct {
	metricsAddr, record string
}

func (o *observeFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address, e.g. :9464 (every interface) or 127.0.0.1:9464 (this machine only)")
	fs.StringVar(&o.record, "record", "", "record the run (snapshots, GPU samples, events) to this JSON Lines `FILE` for \"infertop replay\"")
}

// startObserver opens the endpoint and the recording the flags ask for and
// prints the endpoint's address. It fails with ExitUsage for an address that
// is taken or invalid, or a recording path that cannot be created: the person
// must change the flag, and nothing has run yet.
func startObserver(env Env, cmd string, f observeFlags, header func() record.Header) (*observer, int, bool) {
	return startObserverWith(env, cmd, f, header, runRegistry)
}

// runRegistry serves a runner's snapshots and the GPU samples.
func runRegistry(feed *metrics.Feed) prometheus.Gatherer { return metrics.NewRegistry(feed) }

// startObserverWith is startObserver serving the registry gather builds over
// the observer's feed (which receives the GPU samples).
func startObserverWith(env Env, cmd string, f observeFlags, header func() record.Header, gather func(*metrics.Feed) prometheus.Gatherer) (*observer, int, bool) {
	o := &observer{}
	if f.metricsAddr != "" {
		o.feed = metrics.NewFeed()
		srv, err := metrics.Listen(f.metricsAddr, gather(o.feed))
		if err != nil {
			return nil, usageErr(env, cmd, "--metrics-addr: %v", err), false
		}
		o.srv = srv
		fmt.Fprintf(env.Stderr, "infertop %s: metrics on %s (listening on %s)\n", cmd, srv.URL(), srv.Addr())
	}
	if f.record != "" {
		rec, err := record.Create(f.record, header())
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			o.close(env, cmd)
			return nil, usageErr(env, cmd, "--record %s cannot be written: %v", f.record, err), false
		}
		o.rec = rec
	}
	return o, 0, true
}

// snapshot passes one snapshot on.
func (o *observer) snapshot(s runner.Snapshot) {
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
func (o *observer) sample(s gpuinfo.Sample) {
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
func (o *observer) host(h any) {
	if o == nil {
		return
	}
	if o.rec != nil {
		o.rec.Host(h)
	}
}

// active reports whether anything observes the run.
func (o *observer) active() bool { return o != nil && (o.feed != nil || o.rec != nil) }

// close waits for the tees (their context must have ended), stops the
// endpoint and closes the recording; it reports failures on stderr and
// returns false when the recording is incomplete.
func (o *observer) close(env Env, cmd string) bool {
	o.wg.Wait()
	ok := true
	if o.srv != nil {
		if err := o.srv.Close(); err != nil {
			fmt.Fprintf(env.Stderr, "infertop %s: %v\n", cmd, err)
		}
		o.srv = nil
	}
	if o.rec != nil {
		if err := o.rec.Close(); err != nil {
			fmt.Fprintf(env.Stderr, "infertop %s: --record: %v\n", cmd, err)
			ok = false
		}
		o.rec = nil
	}
	return ok
}

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
				offerLatest(out, v)
			}
		}
	}()
	return out
}

// offerLatest puts v in the one-slot channel, replacing an unread value.
func offerLatest[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// recordHeader describes this build and machine for a recording.
func recordHeader(cmd string, mon *gpuinfo.Monitor, nvmlErr error, opts map[string]any) record.Header {
	host, _ := os.Hostname()
	h := record.Header{
		Command: cmd, Options: opts,
		Build: record.Build{Version: Version, Go: runtime.Version(), CUDA: cudaBuild},
		Machine: record.Machine{Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH,
			CPUModel: hostinfo.CPUModel(hostinfo.CPUInfo), CPUs: runtime.NumCPU()},
	}
	if mon != nil {
		h.Machine.GPUs, h.Machine.Driver = mon.Devices(), mon.DriverVersion()
	} else if nvmlErr != nil {
		h.Machine.NVMLError = nvmlErr.Error()
	}
	return h
}

// wrapDashboard routes the dashboard's feeds through the observer, starting
// with the snapshot the dashboard shows first.
func (o *observer) wrapDashboard(ctx context.Context, opts *ui.Options) {
	if !o.active() {
		return
	}
	o.snapshot(opts.Initial)
	opts.Snapshots = tee(ctx, &o.wg, opts.Snapshots, o.snapshot)
	opts.Samples = tee(ctx, &o.wg, opts.Samples, o.sample)
	opts.Host = tee(ctx, &o.wg, opts.Host, func(h hostinfo.Stat) { o.host(h) })
}

// sampleGPUs feeds the observer from a GPU sampler of its own (for the
// headless commands); without NVML it does nothing. The sampler ends with ctx.
func (o *observer) sampleGPUs(ctx context.Context, mon *gpuinfo.Monitor) {
	if mon == nil || !o.active() {
		return
	}
	s, err := mon.Start(ctx, gpuinfo.SamplerOptions{})
	if err != nil {
		return
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for smp := range s.Samples() {
			o.sample(smp)
		}
	}()
}

// recordDevices turns the dashboard's device list into the recording's.
func recordDevices(ds []ui.DeviceChoice) []record.Device {
	out := make([]record.Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, record.Device{Name: d.Name, Detail: d.Detail, BusID: d.BusID,
			GPUIndexes: append([]int(nil), d.GPUIndexes...), Available: d.Available, Why: d.Why})
	}
	return out
}

// observeBench starts the observer bench's flags ask for; the returned func stops it.
func observeBench(ctx context.Context, env Env, plan *benchPlan) (func(), int, bool) {
	obs, stop, code, ok := observeHeadless(ctx, env, "bench", plan.observe, map[string]any{"preset": plan.preset.Name,
		"device": plan.device, "batches": plan.batches, "warmup": plan.warmup.String(), "duration": plan.duration.String(),
		"threads": plan.opts.Threads, "resident": plan.opts.DataResident, "tf32": plan.opts.TF32})
	plan.obs = obs
	return stop, code, ok
}

// observeHeadless starts the observer a headless command's flags ask for,
// with GPU telemetry when NVML answers; the returned func stops it. With
// neither flag it returns an observer that observes nothing.
func observeHeadless(ctx context.Context, env Env, cmd string, f observeFlags, opts map[string]any) (*observer, func(), int, bool) {
	return observeHeadlessWith(ctx, env, cmd, f, opts, runRegistry)
}

// observeHeadlessWith is observeHeadless serving the registry gather builds.
func observeHeadlessWith(ctx context.Context, env Env, cmd string, f observeFlags, opts map[string]any,
	gather func(*metrics.Feed) prometheus.Gatherer) (*observer, func(), int, bool) {
	if f.metricsAddr == "" && f.record == "" {
		return &observer{}, func() {}, 0, true
	}
	mon, nvmlErr := gpuinfo.Open(gpuinfo.Options{})
	obs, code, ok := startObserverWith(env, cmd, f, func() record.Header { return recordHeader(cmd, mon, nvmlErr, opts) }, gather)
	if !ok {
		if mon != nil {
			_ = mon.Close()
		}
		return nil, nil, code, false
	}
	ctx, cancel := context.WithCancel(ctx)
	obs.sampleGPUs(ctx, mon)
	return obs, func() {
		cancel()
		obs.close(env, cmd)
		if mon != nil {
			_ = mon.Close()
		}
	}, 0, true
}
