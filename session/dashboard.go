package session

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/internal/units"
	"infertop/model"
	"infertop/presets"
	"infertop/record"
	"infertop/report"
	"infertop/runner"
	"infertop/sweep"
)

// DashboardSpec is what the live dashboard runs and shows.
type DashboardSpec struct {
	// Catalog holds the models the picker offers (nil: the presets); Model
	// names the one the dashboard starts on.
	Catalog *model.Catalog
	Model   string
	// Dims are the --dim bindings, for the files the picker's "open a file…" opens.
	Dims map[string]int
	// Device is the device to start on ("": cuda:0 when this build has CUDA
	// and a GPU is visible, else cpu).
	Device string
	// Batch is the batch to start with (0: the model's).
	Batch int
	// Threads and Precision are the engine's options, for the run and for
	// the s sweep and the c race (Precision on GPUs only: a run or sweep on
	// the CPU computes in float32).
	Threads   int
	Precision engine.Precision
	// Serving, when set, starts the dashboard in serving mode with these
	// settings (the --arrival flags); o switches either way.
	Serving *ServingSpec
	// FakeGPUs shows that many simulated GPUs instead of asking NVML.
	FakeGPUs int
	// Interval is the GPU telemetry's; Warmup the run's least warm-up.
	Interval, Warmup time.Duration
	// SLOP99 is the p99 objective the s sweep recommends against (0: the knee).
	SLOP99 time.Duration
	// Outputs are the metrics endpoint and the recording.
	Outputs Outputs
	// ExportDir is where the e key writes the run ("": the working directory).
	ExportDir string
}

// Dashboard is the live dashboard's session: its run (the runner, whose
// Pause, Resume, Reset, SetBatch, SetModel and SetDevice are the
// dashboard's controls), the GPU and host telemetry, the energy meters and
// the outputs. It is what the dashboard asks for anything that is not
// drawing (ui.Session): whether a batch fits, the s sweep, the c race and
// the e export. OpenDashboard starts it; Close stops and waits for all of it.
type Dashboard struct {
	// Feeds for the screen: the runner's snapshots (Initial first), the GPU
	// samples (nil without NVML, NVMLError then says why) and the host's.
	Initial   runner.Snapshot
	Snapshots <-chan runner.Snapshot
	Samples   <-chan gpuinfo.Sample
	NVMLError string
	Host      <-chan hostinfo.Stat
	// Devices is the device picker's list.
	Devices []record.Device
	// Serving names where the run is published ("metrics URL"), or "".
	Serving string

	m      Machine
	spec   DashboardSpec
	gpus   gpus
	obs    *Observer
	rec    *record.Recorder // the recording, or nil
	energy runner.EnergyMeter
	cancel context.CancelFunc
	gpuS   *gpuinfo.Sampler
	hostS  *hostinfo.Sampler
	// latest is the newest GPU sample, which CheckBatch reads.
	latest atomic.Pointer[gpuinfo.Sample]
	// runs is the current run (closed loop or serving) and its switches.
	runs runs
}

// OpenDashboard opens the GPUs (or simulated ones), picks the device, and
// starts the runner, the samplers and the outputs. A device that cannot be
// given with a reduced precision, a taken address or a recording that cannot be written
// is a *UsageError.
func (m Machine) OpenDashboard(ctx context.Context, spec DashboardSpec) (*Dashboard, error) {
	if spec.Catalog == nil {
		spec.Catalog = presets.NewModels(presets.DefaultSeed)
	}
	g := m.openFake(spec.FakeGPUs)
	d := &Dashboard{m: m, spec: spec, gpus: g, Devices: m.deviceList(g)}
	if d.spec.Device == "" {
		d.spec.Device = defaultDevice(d.Devices)
	}
	if p := spec.Precision; p != engine.FP32 && d.spec.Device == cpuDevice {
		// Only a default device is decided here; a given one was checked with the flags.
		g.close()
		return nil, usage("--precision %s needs a GPU, and none can run here, so the dashboard would start on the CPU; give --device cuda:N or leave --precision %s out (the CPU computes in fp32)", p, p)
	}
	d.energy = dashboardEnergy(m, g, d.Devices)
	ctx, d.cancel = context.WithCancel(ctx)
	d.runs = runs{ctx: ctx, out: make(chan runner.Snapshot, 1), swap: make(chan (<-chan runner.Snapshot))}
	var first *current
	if spec.Serving != nil {
		if err := d.startServing(ctx); err != nil {
			d.cancel()
			g.close()
			return nil, err
		}
		first = d.runs.cur.Load()
	} else {
		r, err := d.newRunner(spec.Model, d.spec.Device, spec.Batch, 0)
		if err != nil {
			d.cancel()
			g.close()
			return nil, err
		}
		first = &current{r: r}
		d.runs.cur.Store(first)
	}
	d.Initial = first.latestSnap()
	if err := d.start(ctx, first); err != nil {
		d.cancel()
		d.wait()
		_ = d.obs.Close() // nil before the outputs opened
		g.close()
		return nil, err
	}
	return d, nil
}

// newRunner opens (but does not start) a closed-loop run of model on
// device at batch, its run ids counting on from firstRunID.
func (d *Dashboard) newRunner(model, device string, batch int, firstRunID uint64) (*runner.Runner, error) {
	return runner.New(runner.Config{
		Registry: d.m.Registry, Catalog: d.spec.Catalog, Model: model, Device: device, Batch: batch,
		Warmup: d.spec.Warmup, Options: d.options(), Energy: d.energy, FirstRunID: firstRunID,
		Check: cpuCheck(d.m.Registry), // a GPU's batch against the CPU's float32, for the header
	})
}

// options are the engine's options of every run of the dashboard.
func (d *Dashboard) options() engine.Options {
	return engine.Options{Threads: d.spec.Threads, Seed: presets.DefaultSeed, Precision: d.spec.Precision}
}

// startServing checks and builds the first run when the dashboard starts
// in serving mode; the server starts with the others in start.
func (d *Dashboard) startServing(ctx context.Context) error {
	s := d.spec
	mod, err := s.Catalog.Get(s.Model)
	if err != nil {
		return err
	}
	batch := s.Batch
	if batch == 0 {
		batch = mod.DefaultBatch
	}
	if err := CheckServing(*s.Serving, mod, batch); err != nil {
		return err
	}
	dev, err := engine.ParseDevice(d.spec.Device)
	if err != nil {
		return err
	}
	cfg := d.m.serveConfig(*s.Serving, s.Catalog, mod, dev, batch, d.options())
	cfg.Warmup = s.Warmup
	cfg.Check = cpuCheck(d.m.Registry) // as a closed-loop run's
	srv, err := runner.NewServer(cfg)
	if err != nil {
		return err
	}
	d.runs.lastServing = s.Serving
	d.runs.cur.Store(&current{srv: srv})
	return nil
}

// start starts the samplers, the outputs and the first run.
func (d *Dashboard) start(ctx context.Context, first *current) error {
	samples := (<-chan gpuinfo.Sample)(nil)
	if mon := d.gpus.mon; mon != nil {
		s, err := mon.Start(ctx, gpuinfo.SamplerOptions{Interval: d.spec.Interval})
		if err != nil {
			d.NVMLError = err.Error()
		} else {
			d.gpuS, samples = s, s.Samples()
		}
	} else if d.gpus.err != nil {
		d.NVMLError = d.gpus.err.Error()
	}
	d.hostS = hostinfo.StartSampler(ctx, time.Second, hostinfo.SelfDir)
	s := d.spec
	obs, err := startObserver(s.Outputs, func() record.Header {
		h := d.m.header("dashboard", d.gpus, map[string]any{"model": s.Model, "device": s.Device, "batch": s.Batch,
			"threads": s.Threads, "precision": s.Precision.String(), "fake_gpus": s.FakeGPUs, "interval": s.Interval.String(), "warmup": s.Warmup.String()})
		h.Devices = d.Devices
		return h
	}, runRegistry)
	if err != nil {
		return err
	}
	d.obs, d.rec = obs, obs.rec
	if url, _ := obs.Metrics(); url != "" {
		d.Serving = "metrics " + url
	}
	// Every GPU sample passes through the session, which keeps the newest
	// for CheckBatch; snapshots and host readings only when observed.
	d.Samples = tee(ctx, &obs.wg, samples, func(smp gpuinfo.Sample) { d.latest.Store(&smp); obs.sample(smp) })
	d.runs.forward(ctx, &obs.wg, first.snapshots())
	d.Snapshots, d.Host = d.runs.out, d.hostS.C()
	if obs.active() {
		obs.Snapshot(d.Initial)
		d.Snapshots = tee(ctx, &obs.wg, d.Snapshots, obs.Snapshot)
		d.Host = tee(ctx, &obs.wg, d.Host, obs.host)
	}
	if first.srv != nil {
		return first.srv.Start(ctx)
	}
	return first.r.Start(ctx)
}

// wait stops the runner and waits for the samplers (their context has ended).
func (d *Dashboard) wait() {
	d.runs.switching.Lock()
	if c := d.runs.cur.Load(); c != nil {
		c.stop()
	}
	d.runs.switching.Unlock()
	if d.gpuS != nil {
		d.gpuS.Wait()
	}
	if d.hostS != nil {
		d.hostS.Wait()
	}
}

// Close stops the runner (which closes its executor), the samplers and the
// outputs, and waits for all of them. Its error is the outputs' (see
// Observer.Close).
func (d *Dashboard) Close() error {
	d.cancel()
	d.wait()
	err := d.obs.Close()
	d.gpus.close()
	return err
}

// CheckBatch says why the model on screen cannot run at batch n: a
// fixed-batch export's own message for another batch, or, for a batch that
// would not fit the device the run is on, its memory estimate
// (runner.MemoryEstimate) above the host's available memory on the CPU
// (plus what the executor holds, which it frees first), or above a GPU's
// free memory in the latest sample (plus what this run holds there).
// Without a reading it accepts and leaves the last word to the engine.
func (d *Dashboard) CheckBatch(n int) error {
	return checkBatch(d.spec.Catalog, d.Latest(), n, d.Devices, d.latest.Load(), d.m.hostMemory)
}

// checkBatch is CheckBatch on the catalog, the run's snapshot s, the device
// list, the latest GPU sample (nil: none) and the host's memory.
func checkBatch(cat *model.Catalog, s runner.Snapshot, n int, devices []record.Device, sample *gpuinfo.Sample, host func() (hostinfo.Memory, error)) error {
	p, err := cat.Get(s.Model)
	if err != nil {
		return nil
	}
	if err := p.CheckBatch(n); err != nil {
		return err
	}
	dev, err := engine.ParseDevice(s.Device)
	if err != nil {
		return nil
	}
	if dev.Kind == engine.CPU {
		hm, err := host()
		if err != nil {
			return nil
		}
		return fitsIn(p, n, n, hm.Available+s.Memory.HostBytes, "host memory")
	}
	// The GPUs the device runs on, each by the name of its own cuda:N (the
	// first single-GPU entry, which cuda:all's GPUs are held under).
	var gpus []int
	name := map[int]string{}
	for _, d := range devices {
		if d.Name == s.Device {
			gpus = d.GPUIndexes
		}
		if len(d.GPUIndexes) == 1 {
			if _, named := name[d.GPUIndexes[0]]; !named {
				name[d.GPUIndexes[0]] = d.Name
			}
		}
	}
	if sample == nil || len(gpus) == 0 {
		return nil
	}
	per := (n + len(gpus) - 1) / len(gpus)
	for _, i := range gpus {
		g, ok := gpuByIndex(*sample, i)
		if !ok || !g.MemoryFreeBytes.OK {
			return nil
		}
		held := s.Memory.DeviceBytes[name[i]]
		if err := fitsIn(p, n, per, int64(g.MemoryFreeBytes.V)+held, fmt.Sprintf("GPU %d", i)); err != nil {
			return err
		}
	}
	return nil
}

func gpuByIndex(s gpuinfo.Sample, i int) (gpuinfo.GPU, bool) {
	for _, g := range s.GPUs {
		if g.Index == i {
			return g, true
		}
	}
	return gpuinfo.GPU{}, false
}

// fitsIn refuses batch when share samples of m need more than avail (an
// estimate that cannot be made accepts: the engine has the last word).
func fitsIn(m *model.Model, batch, share int, avail int64, where string) error {
	need, err := runner.MemoryEstimate(m, share)
	if err != nil {
		return nil
	}
	if need > avail {
		return fmt.Errorf("batch %d needs about %s, only %s free in %s", batch, units.Bytes(need), units.Bytes(avail), where)
	}
	return nil
}

// Export writes the run (the snapshot s on screen) and what the tuning
// views measured to a JSON file, and returns its path.
func (d *Dashboard) Export(s runner.Snapshot, sw *sweep.Result, cmp *sweep.CompareResult) (string, error) {
	return report.WriteRunExport(d.spec.ExportDir, report.NewRunExport(s, sw, cmp))
}
