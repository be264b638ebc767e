package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/record"
	"infertop/runner"
	"infertop/ui"
)

// resultEnv names a file the dashboard writes its final snapshot's figures to
// on exit (used by scripts/tui-overhead.sh to compare with `infertop bench`).
const resultEnv = "INFERTOP_DASHBOARD_RESULT"

// dashboardDeps are what runDashboard reaches outside the process; tests replace them.
type dashboardDeps struct {
	isTerminal func(w io.Writer) bool
	openNVML   func() (*gpuinfo.Monitor, error)
	visible    string
	// openRAPL opens the CPU packages' energy counters (nil: none).
	openRAPL func() (*hostinfo.RAPL, error)
}

type dashboardFlags struct {
	preset, device   string
	batch, threads   int
	tf32             bool
	fake             int
	interval, warmup time.Duration
	slo              time.Duration
	obs              observeFlags
}

func runDashboard(ctx context.Context, env Env, args []string) int {
	return dashboardMain(ctx, env, args, dashboardDeps{
		isTerminal: func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && term.IsTerminal(f.Fd())
		},
		openNVML: func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) },
		visible:  os.Getenv("CUDA_VISIBLE_DEVICES"),
		openRAPL: openRAPL,
	})
}

func dashboardMain(ctx context.Context, env Env, args []string, deps dashboardDeps) int {
	fs := newFlags(env, "dashboard", "[dashboard] [--preset mlp] [--device cpu|cuda:N|cuda:all] [--batch N] [--threads N] [--fake-gpus N] [--interval 500ms] [--warmup 1s] [--metrics-addr :9464] [--record FILE]")
	var f dashboardFlags
	fs.StringVar(&f.preset, "preset", "mlp", "model preset (see \"infertop presets\")")
	fs.StringVar(&f.device, "device", "", "device: cpu, cuda:N or cuda:all (default cuda:0 when this build has CUDA and a GPU is visible, else cpu)")
	fs.IntVar(&f.batch, "batch", 0, "batch size (default: the preset's)")
	fs.IntVar(&f.threads, "threads", 0, "CPU compute threads (default: all cores)")
	fs.BoolVar(&f.tf32, "tf32", false, "GPU runs (and the s sweep and c race on a GPU): allow TF32 tensor cores (PyTorch's allow_tf32); default full float32")
	fs.IntVar(&f.fake, "fake-gpus", 0, "show N simulated GPUs (labelled FAKE) instead of asking NVML")
	fs.DurationVar(&f.interval, "interval", gpuinfo.DefaultInterval, "GPU telemetry interval (minimum 100ms)")
	fs.DurationVar(&f.warmup, "warmup", runner.DefaultWarmup, "least warm-up time before measuring")
	fs.DurationVar(&f.slo, "slo-p99", 0, "p99 objective for the s sweep, e.g. 20ms: it then recommends the fastest batch that meets it (default: the knee)")
	f.obs.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cat := presets.NewCatalog()
	if err := checkDashboardFlags(f, cat); err != nil {
		return usageErr(env, "dashboard", "%v", err)
	}
	if !deps.isTerminal(env.Stdout) {
		fmt.Fprintln(env.Stderr, "infertop: the dashboard needs a terminal, and standard output is not one; for scripts use `infertop bench` (see `infertop bench --help`)")
		return ExitUsage
	}
	open := deps.openNVML
	if f.fake > 0 {
		open = func() (*gpuinfo.Monitor, error) { return gpuinfo.OpenFake(f.fake, gpuinfo.FakeOptions{}) }
	}
	mon, nvmlErr := open()
	reg := newRegistry()
	devices := dashboardDevices(reg, mon, nvmlErr, deps.visible)
	if f.device == "" {
		f.device = defaultDevice(devices)
	}
	if f.tf32 && f.device == "cpu" {
		// Only a default device is decided here; a given one was checked with the flags.
		if mon != nil {
			_ = mon.Close()
		}
		return usageErr(env, "dashboard", "--tf32 needs a GPU, and none can run here, so the dashboard would start on the CPU; give --device cuda:N or leave --tf32 out")
	}
	energy := dashboardEnergy(mon, devices, deps.openRAPL)
	return runDashboardProgram(ctx, env, f, cat, reg, mon, nvmlErr, devices, deps.visible, energy)
}

func checkDashboardFlags(f dashboardFlags, cat *presets.Catalog) error {
	if _, err := cat.Get(f.preset); err != nil {
		return fmt.Errorf("--preset: %w", err)
	}
	if f.device != "" {
		d, err := parseDevice(f.device)
		if err != nil {
			return err
		}
		if err := checkTF32(d, f.tf32); err != nil {
			return err
		}
	}
	switch {
	case f.batch < 0 || f.batch > maxBatch:
		return fmt.Errorf("--batch %d is out of range (accepted: 1 to %d, or 0 for the preset's default)", f.batch, maxBatch)
	case checkThreads(f.threads) != nil:
		return checkThreads(f.threads)
	case f.fake < 0 || f.fake > gpuinfo.MaxFakeGPUs:
		return fmt.Errorf("--fake-gpus %d is out of range (0 to %d)", f.fake, gpuinfo.MaxFakeGPUs)
	case f.interval < gpuinfo.MinInterval:
		return fmt.Errorf("--interval %v is too short (the minimum is %v)", f.interval, gpuinfo.MinInterval)
	case f.warmup < 0:
		return fmt.Errorf("--warmup %v is negative", f.warmup)
	case f.slo < 0:
		return fmt.Errorf("--slo-p99 %v is negative (accepted: a positive duration such as 20ms)", f.slo)
	}
	return nil
}

// runDashboardProgram starts the runner, the samplers and the program, and
// stops and waits for all of them when the program ends.
func runDashboardProgram(ctx context.Context, env Env, f dashboardFlags, cat *presets.Catalog, reg *engine.Registry,
	mon *gpuinfo.Monitor, nvmlErr error, devices []ui.DeviceChoice, visible string, energy runner.EnergyMeter) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r, err := runner.New(runner.Config{
		Registry: reg, Catalog: cat, Preset: f.preset, Device: f.device, Batch: f.batch,
		Warmup: f.warmup, Options: engine.Options{Threads: f.threads, TF32: f.tf32}, Energy: energy,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop: %v\n", err)
		return ExitFailure
	}
	opts := ui.Options{
		Control: r, Snapshots: r.Snapshots(), RunnerDone: r.Done(), Initial: r.Latest(),
		Catalog: cat, Devices: devices, MaxBatch: maxBatch, Dark: true,
		NoColor: os.Getenv("NO_COLOR") != "",
		HostAvailable: func() (int64, error) {
			hm, err := hostinfo.ReadMemory("/")
			return hm.Available, err
		},
	}
	var sampler *gpuinfo.Sampler
	if mon != nil {
		defer mon.Close()
		if sampler, err = mon.Start(ctx, gpuinfo.SamplerOptions{Interval: f.interval}); err != nil {
			opts.NVMLError = err.Error()
		} else {
			opts.Samples = sampler.Samples()
		}
	} else if nvmlErr != nil {
		opts.NVMLError = nvmlErr.Error()
	}
	host := hostinfo.StartSampler(ctx, time.Second, hostinfo.SelfDir)
	opts.Host = host.C()
	obs, code, ok := startObserver(env, "dashboard", f.obs, func() record.Header {
		h := recordHeader("dashboard", mon, nvmlErr, map[string]any{"preset": f.preset, "device": f.device, "batch": f.batch,
			"threads": f.threads, "tf32": f.tf32, "fake_gpus": f.fake, "interval": f.interval.String(), "warmup": f.warmup.String()})
		h.Devices = recordDevices(devices)
		return h
	})
	if !ok {
		return code
	}
	defer func() { cancel(); obs.close(env, "dashboard") }()
	if obs.srv != nil {
		opts.Serving = "metrics " + obs.srv.URL()
	}
	obs.wrapDashboard(ctx, &opts)
	if err := r.Start(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "infertop: %v\n", err)
		return ExitFailure
	}
	model := ui.New(opts).WithBatchTuning(ctx, dashboardTuning(tuningSetup{reg: reg, cat: cat, threads: f.threads, tf32: f.tf32, slo: f.slo,
		devices: devices, gpuMem: monitorMemory(mon, nvmlErr, visible), energy: energy, rec: obs.rec}))
	_, runErr := tea.NewProgram(model, tea.WithContext(ctx), tea.WithFPS(10), tea.WithOutput(env.Stdout)).Run()
	model.StopTuning()
	// Stop everything and wait for it: the runner closes its executor, the
	// samplers end with the context.
	r.Stop()
	cancel()
	if sampler != nil {
		sampler.Wait()
	}
	host.Wait()
	if !obs.close(env, "dashboard") {
		return ExitFailure
	}
	if path := os.Getenv(resultEnv); path != "" {
		if err := writeDashboardResult(path, r.Latest()); err != nil {
			fmt.Fprintf(env.Stderr, "infertop: %v\n", err)
			return ExitFailure
		}
	}
	switch {
	case errors.Is(runErr, tea.ErrProgramKilled) || errors.Is(runErr, tea.ErrInterrupted):
		return ExitInterrupted
	case runErr != nil:
		fmt.Fprintf(env.Stderr, "infertop: dashboard: %v\n", runErr)
		return ExitFailure
	}
	return ExitOK
}

// dashboardResult is what the dashboard writes on exit when resultEnv asks.
type dashboardResult struct {
	Preset        string  `json:"preset"`
	Device        string  `json:"device"`
	Batch         int     `json:"batch"`
	State         string  `json:"state"`
	MeasuredSec   float64 `json:"measured_seconds"`
	Samples       int64   `json:"samples"`
	SamplesPerSec float64 `json:"samples_per_second"`
}

func writeDashboardResult(path string, s runner.Snapshot) error {
	b, err := json.MarshalIndent(dashboardResult{
		Preset: s.Preset, Device: s.Device, Batch: s.Batch, State: s.State.String(),
		MeasuredSec: s.Measured.Seconds(), Samples: s.Overall.Samples, SamplesPerSec: s.Overall.SamplesPerSec,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the dashboard result: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the dashboard result: %w", err)
	}
	return nil
}

// dashboardDevices lists the device picker's entries: cpu, each cuda:N the
// monitor sees (in CUDA's PCI bus order) and cuda:all, each available or not
// with the reason.
func dashboardDevices(reg *engine.Registry, mon *gpuinfo.Monitor, nvmlErr error, visible string) []ui.DeviceChoice {
	out := []ui.DeviceChoice{{Name: "cpu", Detail: "host processor", Available: reg.Has(engine.CPU), Why: reg.Why(engine.CPU)}}
	cudaWhy := reg.Why(engine.CUDA)
	if mon == nil {
		why := cudaWhy
		if why == "" && nvmlErr != nil {
			why = "no GPU visible: " + nvmlErr.Error()
		}
		return append(out, ui.DeviceChoice{Name: "cuda:0", Why: why})
	}
	if mon.Fake() {
		cudaWhy = "the GPUs are simulated (--fake-gpus): telemetry only"
	}
	order := mon.CUDAOrder(visible)
	var all []int
	for n, d := range order {
		out = append(out, ui.DeviceChoice{
			Name: fmt.Sprintf("cuda:%d", n), Detail: d.Name + " (" + d.PCIBusID + ")", BusID: d.PCIBusID,
			GPUIndexes: []int{d.Index}, Available: cudaWhy == "", Why: cudaWhy,
		})
		all = append(all, d.Index)
	}
	if len(order) == 0 {
		return append(out, ui.DeviceChoice{Name: "cuda:0", Why: "no GPU visible to CUDA (CUDA_VISIBLE_DEVICES)"})
	}
	return append(out, ui.DeviceChoice{
		Name: "cuda:all", Detail: fmt.Sprintf("data parallel over %d GPUs", len(order)),
		GPUIndexes: all, Available: cudaWhy == "", Why: cudaWhy,
	})
}

// deviceGPUs maps each device's name to the NVML indexes of its GPUs.
func deviceGPUs(devices []ui.DeviceChoice) map[string][]int {
	out := map[string][]int{}
	for _, d := range devices {
		if len(d.GPUIndexes) > 0 {
			out[d.Name] = d.GPUIndexes
		}
	}
	return out
}

// defaultDevice is cuda:0 when this build has CUDA and a real GPU is visible, else cpu.
func defaultDevice(devices []ui.DeviceChoice) string {
	for _, d := range devices {
		if cudaBuild && d.Name == "cuda:0" && d.Available {
			return "cuda:0"
		}
	}
	return "cpu"
}
