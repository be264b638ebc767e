package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/report"
	"infertop/runner"
	"infertop/sweep"
)

// sweepDeps are what sweep takes from the machine; tests replace them.
type sweepDeps struct {
	registry *engine.Registry
	hostMem  func() (hostinfo.Memory, error)
	rss      func() int64
	cpuinfo  string
	// openNVML opens NVML for a CUDA sweep: one session gives every point
	// the used memory and the energy of the device's GPUs, and the sweep
	// their total memory as its limit (nil: no NVML figures); visible is
	// CUDA_VISIBLE_DEVICES, which maps cuda:N to its GPU.
	openNVML func() (*gpuinfo.Monitor, error)
	visible  string
	// openRAPL opens the CPU packages' energy counters for a CPU sweep's
	// points (nil: none).
	openRAPL func() (*hostinfo.RAPL, error)
}

func runSweep(ctx context.Context, env Env, args []string) int {
	return sweepMain(ctx, env, args, sweepDeps{
		registry: newRegistry(),
		hostMem:  func() (hostinfo.Memory, error) { return hostinfo.ReadMemory("/") },
		rss:      hostinfo.RSS,
		cpuinfo:  "/proc/cpuinfo",
		openNVML: func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) },
		visible:  os.Getenv("CUDA_VISIBLE_DEVICES"),
		openRAPL: openRAPL,
	})
}

// sweepPlan is a validated sweep command line.
type sweepPlan struct {
	preset       *presets.Preset
	device       engine.Device
	cfg          sweep.Config
	prober       *sweep.RunnerProber
	memSource    string
	format       string
	out, plot    *os.File
	plotFormat   string
	baseline     *sweep.Result
	batchesLabel string
	observe      observeFlags
	closeNVML    func()
}

func sweepMain(ctx context.Context, env Env, args []string, deps sweepDeps) int {
	plan, code, ok := parseSweep(env, args, deps)
	if !ok {
		return code
	}
	defer closeFiles(plan.out, plan.plot)
	if plan.closeNVML != nil {
		defer plan.closeNVML()
	}
	start := time.Now()
	info := engine.Info{Device: plan.device.String()}
	obs, stopObs, code, ok := observeHeadless(ctx, env, "sweep", plan.observe, map[string]any{"preset": plan.preset.Name,
		"device": plan.device.String(), "batches": plan.batchesLabel})
	if !ok {
		return code
	}
	defer stopObs()
	plan.prober.OnSnapshot = func(s runner.Snapshot) {
		obs.snapshot(s)
		if s.Info.Engine != "" {
			info = s.Info
		}
	}
	fmt.Fprintf(env.Stderr, "sweeping %s on %s (%s)\n", plan.preset.Name, plan.device, plan.batchesLabel)
	printed := 0
	plan.cfg.Progress = func(r sweep.Result, status string) {
		for ; printed < len(r.Points); printed++ {
			fmt.Fprintf(env.Stderr, "  %s\n", pointLine(r.Points[printed]))
		}
		if status != "" {
			fmt.Fprintf(env.Stderr, "%s…\n", status)
		}
	}
	res, runErr := sweep.Run(ctx, plan.cfg, plan.prober)
	opts := map[string]any{"batches": plan.batchesLabel, "slo_p99": plan.cfg.SLOP99.String(), "threads": plan.prober.Options.Threads,
		"tf32": plan.prober.Options.TF32, "warmup": plan.prober.Warmup.String(), "window": plan.prober.Window.String(), "max_time": plan.prober.MaxTime.String(),
		"mem_limit": plan.cfg.MemLimit, "mem_source": plan.memSource}
	doc := report.SweepDoc{Meta: report.NewMeta(Version, info, plan.preset.Name, opts, start, deps.cpuinfo), Sweep: res}
	if plan.baseline != nil {
		doc.Baseline = report.CompareToBaseline(*plan.baseline, res)
	}
	code = writeSweepOutputs(env, plan, doc)
	switch {
	case runErr != nil:
		fmt.Fprintf(env.Stderr, "infertop sweep: %v\n", runErr)
		return ExitFailure
	case res.Interrupted():
		fmt.Fprintf(env.Stderr, "infertop sweep: interrupted; wrote the %d measured batch size(s)\n", len(res.Points))
		return ExitInterrupted
	}
	return code
}

// useNVML opens one NVML session for a sweep on CUDA device d: the prober
// reads the used memory and the energy of d's GPUs at every point, and their
// total memory is the sweep's limit unless --mem-limit set one. It returns
// the session's closer; without NVML it says why on stderr and the sweep
// goes on without those figures.
func useNVML(env Env, deps sweepDeps, d engine.Device, cfg *sweep.Config, p *sweep.RunnerProber, memSource *string) func() {
	mon, err := deps.openNVML()
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop sweep: no NVML memory or energy figures: %v\n", err)
		return nil
	}
	used, total, err := deviceMemory(mon, d, deps.visible)
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop sweep: no NVML memory figures: %v\n", err)
	} else {
		p.DeviceUsed = used
		if cfg.MemLimit == 0 {
			cfg.MemLimit, *memSource = total, "NVML memory total of "+d.String()
		}
	}
	p.Energy = cudaEnergy(mon, []engine.Device{d}, deps.visible)
	return func() { _ = mon.Close() }
}

// writeSweepOutputs writes the results and the plot; it returns the exit
// code their writing earns.
func writeSweepOutputs(env Env, plan sweepPlan, doc report.SweepDoc) int {
	return writeReport(env, "sweep", plan.out, func(w io.Writer) error { return writeSweep(w, plan.format, doc) },
		plan.plot, len(doc.Sweep.Points) > 0, func() error {
			title := fmt.Sprintf("%s on %s", plan.preset.Name, plan.device)
			return report.WriteSweepPlot(plan.plot, plan.plotFormat, title, doc.Sweep, plan.baseline)
		})
}

// parseSweep reads and checks the flags; nothing is measured before every check has passed.
func parseSweep(env Env, args []string, deps sweepDeps) (sweepPlan, int, bool) {
	fs := newFlags(env, "sweep", "sweep [--preset P] [--device cpu|cuda:N] [--batches 1,8,64] [--slo-p99 20ms] [--plot FILE.svg|FILE.png] [--format table|json|csv]")
	presetName := fs.String("preset", "mlp", "model preset (see \"infertop presets\")")
	deviceName := fs.String("device", "cpu", "device: cpu, cuda:N or cuda:all")
	batchList := fs.String("batches", "", "increasing comma-separated batch sizes (default: powers of two from 1 until a stop rule holds)")
	maxBatchF := fs.Int("max-batch", maxBatch, "largest power of two to try")
	slo := fs.String("slo-p99", "", "p99 latency objective, e.g. 20ms: recommend the fastest batch that meets it")
	warmup := fs.String("warmup", "1s", "least warm-up time per batch size")
	window := fs.String("window", "1s", "measurement window; a batch is stable when 3 windows agree")
	maxTime := fs.String("max-time", "10s", "measuring time cap per batch size (the point is then flagged unstable)")
	threads := fs.Int("threads", 0, "CPU compute threads (0 = all cores)")
	tf32 := fs.Bool("tf32", false, "GPU: allow TF32 tensor cores for matrix products and convolutions (PyTorch's allow_tf32); default full float32")
	memLimit := fs.String("mem-limit", "", "memory the engine may use, e.g. 512MiB (default on the CPU: the available RAM)")
	format := fs.String("format", "table", "output format: table, json or csv")
	output := fs.String("output", "", "write the results to this file instead of stdout")
	plotPath := fs.String("plot", "", "draw throughput, p99 and memory against batch size to FILE.svg or FILE.png")
	baseline := fs.String("baseline", "", "compare with an earlier sweep's JSON (ratio per batch, flagged beyond the noise)")
	plan := sweepPlan{}
	plan.observe.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return sweepPlan{}, code, false
	}
	fail := func(format string, a ...any) (sweepPlan, int, bool) {
		return sweepPlan{}, usageErr(env, "sweep", format, a...), false
	}
	plan.batchesLabel = "powers of two from 1"
	var err error
	if plan.format = strings.ToLower(*format); !isFormat(plan.format) {
		return fail("unknown format %q (valid: %s)", *format, strings.Join(report.Formats(), ", "))
	}
	if plan.preset, err = presets.NewCatalog().Get(*presetName); err != nil {
		return fail("%v", err)
	}
	if plan.device, err = parseDevice(*deviceName); err != nil {
		return fail("%v", err)
	}
	if !deps.registry.Has(plan.device.Kind) {
		return fail("device %s is not available in this build: %s", plan.device, deps.registry.Why(plan.device.Kind))
	}
	if flagSet(fs, "batches") {
		if plan.cfg.Batches, err = parseIncreasing(*batchList); err != nil {
			return fail("--batches: %v", err)
		}
		plan.batchesLabel = "batches " + *batchList
	}
	if *maxBatchF < 1 || *maxBatchF > maxBatch {
		return fail("--max-batch %d is out of range (accepted: 1 to %d)", *maxBatchF, maxBatch)
	}
	plan.cfg.MaxBatch = *maxBatchF
	if flagSet(fs, "slo-p99") {
		if plan.cfg.SLOP99, err = parseDuration("slo-p99", *slo, true); err != nil {
			return fail("%v", err)
		}
	}
	p := &sweep.RunnerProber{Registry: deps.registry, Catalog: presets.NewCatalog(), Preset: plan.preset.Name, Device: plan.device.String()}
	if p.Warmup, err = parseDuration("warmup", *warmup, false); err != nil {
		return fail("%v", err)
	}
	if p.Window, err = parseDuration("window", *window, true); err != nil {
		return fail("%v", err)
	}
	if p.MaxTime, err = parseDuration("max-time", *maxTime, true); err != nil {
		return fail("%v", err)
	}
	if err := checkThreads(*threads); err != nil {
		return fail("%v", err)
	}
	if err := checkTF32(plan.device, *tf32); err != nil {
		return fail("%v", err)
	}
	p.Options = engine.Options{Threads: *threads, Seed: presets.DefaultSeed, TF32: *tf32}
	if *memLimit != "" {
		if plan.cfg.MemLimit, err = parseBytes(*memLimit); err != nil {
			return fail("--mem-limit: %v", err)
		}
		plan.memSource = "--mem-limit"
	}
	if plan.device.Kind == engine.CPU {
		if plan.cfg.MemLimit == 0 {
			hm, err := deps.hostMem()
			if err != nil {
				fmt.Fprintf(env.Stderr, "infertop sweep: %v\n", err)
				return sweepPlan{}, ExitFailure, false
			}
			plan.cfg.MemLimit, plan.memSource = hm.Available, hm.Source
		}
		p.EstimateLimit, plan.cfg.EstimateEdge, p.RSS = plan.cfg.MemLimit, true, deps.rss
		p.Energy = withCPUEnergy(nil, deps.openRAPL, []string{cpuDevice})
	} else if deps.openNVML != nil {
		plan.closeNVML = useNVML(env, deps, plan.device, &plan.cfg, p, &plan.memSource)
	}
	plan.prober = p
	if *baseline != "" {
		old, err := report.LoadBaseline(*baseline)
		if err != nil {
			return fail("--baseline: %v", err)
		}
		plan.baseline = &old
	}
	if plan.out, plan.plot, plan.plotFormat, err = openReportFiles(*output, *plotPath); err != nil {
		return fail("%v", err)
	}
	return plan, 0, true
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseIncreasing reads a batch list that must increase strictly.
func parseIncreasing(s string) ([]int, error) {
	b, err := parseBatchList(s)
	if err != nil {
		return nil, err
	}
	if err := sweep.CheckBatches(b); err != nil {
		return nil, fmt.Errorf("%v (accepted: strictly increasing sizes, e.g. 1,8,64)", err)
	}
	return b, nil
}

// parseBytes reads a size such as 512MiB, 2GiB, 1.5G or 1048576.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' && r != '.' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1e3, "kib": 1 << 10, "m": 1 << 20, "mb": 1e6, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1e9, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v <= 0 || v*mult > 1<<62 {
		return 0, errors.New("not a positive size (accepted: bytes or a number with KiB, MiB, GiB, e.g. 512MiB)")
	}
	return int64(v * mult), nil
}
