package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/internal/units"
	"infertop/presets"
	"infertop/report"
	"infertop/runner"
)

// exportTimesCap is how many per-batch latencies --export-times keeps per batch size.
const exportTimesCap = 1 << 22

// benchDeps are what bench takes from the machine; tests replace them.
type benchDeps struct {
	registry *engine.Registry
	hostMem  func() (hostinfo.Memory, error)
	cpuinfo  string
	// window is the runner's measurement window (0: the runner's default, 1 s).
	window time.Duration
	// openNVML opens the GPUs' energy counters for a CUDA run (nil: none);
	// visible is CUDA_VISIBLE_DEVICES, which maps cuda:N to its GPU.
	openNVML func() (*gpuinfo.Monitor, error)
	visible  string
	// openRAPL opens the CPU packages' energy counters for a CPU run (nil: none).
	openRAPL func() (*hostinfo.RAPL, error)
}

func runBench(ctx context.Context, env Env, args []string) int {
	return bench(ctx, env, args, benchDeps{
		registry: newRegistry(),
		hostMem:  func() (hostinfo.Memory, error) { return hostinfo.ReadMemory("/") },
		cpuinfo:  "/proc/cpuinfo",
		openNVML: func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) },
		visible:  os.Getenv("CUDA_VISIBLE_DEVICES"),
		openRAPL: openRAPL,
	})
}

// benchPlan is a validated command line.
type benchPlan struct {
	preset           *presets.Preset
	device           string
	batches          []int
	warmup, duration time.Duration
	opts             engine.Options
	format           string
	out, times       *os.File
	soak             time.Duration
	observe          observeFlags
	// obs receives every snapshot (--metrics-addr, --record); set by bench.
	obs *observer
	// energy reads the device's energy counters for the runner (nil: none); set by bench.
	energy runner.EnergyMeter
}

// bench measures each batch size in turn and writes one row per batch.
func bench(ctx context.Context, env Env, args []string, deps benchDeps) int {
	plan, code, ok := parseBench(env, args, deps)
	if !ok {
		return code
	}
	defer closeFiles(plan.out, plan.times)
	start := time.Now()
	stopObs, code, ok := observeBench(ctx, env, &plan)
	if !ok {
		return code
	}
	defer stopObs()
	var closeEnergy func()
	plan.energy, closeEnergy = devicesEnergy(deps.openNVML, []string{plan.device}, deps.visible)
	plan.energy = withCPUEnergy(plan.energy, deps.openRAPL, []string{plan.device})
	defer closeEnergy()
	prog := newProgress(env.Stderr)
	var (
		rows   []report.Row
		times  []report.Times
		info   = engine.Info{Device: plan.device}
		failed bool
	)
	var lastRun uint64 // run ids go on counting from one batch size's runner to the next
	for _, b := range plan.batches {
		snap, lat, err := measureBatch(ctx, plan, b, lastRun, deps, prog)
		if err != nil {
			fmt.Fprintf(env.Stderr, "infertop bench: %v\n", err)
			return ExitFailure
		}
		lastRun = max(lastRun, snap.RunID)
		if ctx.Err() != nil {
			break // the interrupted batch is not a finished row
		}
		if snap.Info.Engine != "" && info.Engine == "" {
			info = snap.Info
		}
		failed = failed || snap.Err != ""
		rows = append(rows, report.FromSnapshot(snap))
		if plan.times != nil {
			times = append(times, report.NewTimes(snap.Preset, snap.Device, b, lat, snap.LatenciesDropped))
		}
	}
	prog.clear()
	opts := map[string]any{"batches": plan.batches, "warmup": plan.warmup.String(), "duration": plan.duration.String(),
		"threads": plan.opts.Threads, "resident": plan.opts.DataResident, "tf32": plan.opts.TF32, "seed": plan.opts.Seed}
	res := report.Result{Meta: report.NewMeta(Version, info, plan.preset.Name, opts, start, deps.cpuinfo), Rows: rows}
	var w io.Writer = env.Stdout
	if plan.out != nil {
		w = plan.out
	}
	if err := report.Write(w, plan.format, res); err != nil {
		fmt.Fprintf(env.Stderr, "infertop bench: %v\n", err)
		return ExitFailure
	}
	if plan.times != nil {
		if err := report.WriteTimes(plan.times, times); err != nil {
			fmt.Fprintf(env.Stderr, "infertop bench: --export-times: %v\n", err)
			return ExitFailure
		}
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(env.Stderr, "infertop bench: interrupted; wrote the %d finished row(s)\n", len(rows))
		return ExitInterrupted
	case failed:
		return ExitFailure
	}
	return ExitOK
}

// parseBench reads and checks the flags; nothing is measured or allocated for
// the model before every check has passed.
func parseBench(env Env, args []string, deps benchDeps) (benchPlan, int, bool) {
	fs := newFlags(env, "bench", "bench [--preset P] [--device cpu|cuda:N|cuda:all] [--batch 1,32,256] [--duration 5s] [--format table|json|csv] [--metrics-addr :9464] [--record FILE]")
	presetName := fs.String("preset", "mlp", "model preset (see \"infertop presets\")")
	deviceName := fs.String("device", "cpu", "device: cpu, cuda:N or cuda:all")
	batchList := fs.String("batch", "", "comma-separated batch sizes (default: the preset's default batch)")
	warmup := fs.String("warmup", "1s", "least warm-up time per batch size; warm-up also lasts until throughput settles")
	duration := fs.String("duration", "5s", "measuring time per batch size after warm-up (at least the three windows the stability rule compares)")
	threads := fs.Int("threads", 0, "CPU compute threads (0 = all cores)")
	resident := fs.Bool("resident", false, "GPU: keep the input on the device (latency then excludes the copies)")
	tf32 := fs.Bool("tf32", false, "GPU: allow TF32 tensor cores for matrix products and convolutions (PyTorch's allow_tf32); default full float32")
	format := fs.String("format", "table", "output format: table, json or csv")
	output := fs.String("output", "", "write the results to this file instead of stdout")
	exportTimes := fs.String("export-times", "", "write every measured batch's latency in ms to this JSON file")
	soak := fs.Duration("soak-report", 0, "print Go heap and RSS on stderr at this interval (used by scripts/soak.sh)")
	var observe observeFlags
	observe.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return benchPlan{}, code, false
	}
	fail := func(format string, a ...any) (benchPlan, int, bool) {
		return benchPlan{}, usageErr(env, "bench", format, a...), false
	}
	var plan benchPlan
	var err error
	if plan.format = strings.ToLower(*format); !isFormat(plan.format) {
		return fail("unknown format %q (valid: %s)", *format, strings.Join(report.Formats(), ", "))
	}
	if plan.preset, err = presets.NewCatalog().Get(*presetName); err != nil {
		return fail("%v", err)
	}
	dev, err := parseDevice(*deviceName)
	if err != nil {
		return fail("%v", err)
	}
	if !deps.registry.Has(dev.Kind) {
		return fail("device %s is not available in this build: %s", dev, deps.registry.Why(dev.Kind))
	}
	plan.device = dev.String()
	plan.batches = []int{plan.preset.DefaultBatch}
	if *batchList != "" {
		if plan.batches, err = parseBatchList(*batchList); err != nil {
			return fail("--batch: %v", err)
		}
	}
	if plan.warmup, err = parseDuration("warmup", *warmup, false); err != nil {
		return fail("%v", err)
	}
	if plan.duration, err = parseDuration("duration", *duration, true); err != nil {
		return fail("%v", err)
	}
	if err := checkThreads(*threads); err != nil {
		return fail("%v", err)
	}
	if err := checkTF32(dev, *tf32); err != nil {
		return fail("%v", err)
	}
	plan.opts = engine.Options{Threads: *threads, DataResident: *resident, TF32: *tf32}
	plan.soak = *soak
	plan.observe = observe
	if dev.Kind == engine.CPU {
		hm, err := deps.hostMem()
		if err != nil {
			fmt.Fprintf(env.Stderr, "infertop bench: %v\n", err)
			return benchPlan{}, ExitFailure, false
		}
		for _, b := range plan.batches {
			if need := plan.preset.EstimateBytes(b); need > hm.Available {
				return fail("batch %d of %s needs an estimated %s, more than the %s available (%s); use a smaller --batch",
					b, plan.preset.Name, units.Bytes(need), units.Bytes(hm.Available), hm.Source)
			}
		}
	}
	if plan.out, err = create("output", *output); err != nil {
		return fail("%v", err)
	}
	if plan.times, err = create("export-times", *exportTimes); err != nil {
		closeFiles(plan.out)
		return fail("%v", err)
	}
	return plan, 0, true
}

func isFormat(f string) bool {
	for _, v := range report.Formats() {
		if f == v {
			return true
		}
	}
	return false
}

// create opens a result file before anything is measured, so that a path that
// cannot be written fails at once; "" means none.
func create(flag, path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("--%s %s cannot be written: %v", flag, path, err)
	}
	return f, nil
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			_ = f.Close()
		}
	}
}

// measureBatch runs one batch size to the end of its measuring time (or until
// ctx ends or the engine fails) and returns the final snapshot and, when
// exporting, every measured latency.
// Its run ids follow lastRun.
func measureBatch(ctx context.Context, plan benchPlan, batch int, lastRun uint64, deps benchDeps, prog *progress) (runner.Snapshot, []time.Duration, error) {
	cfg := runner.Config{
		Registry: deps.registry, Catalog: presets.NewCatalog(), Preset: plan.preset.Name, Device: plan.device,
		Batch: batch, Warmup: plan.warmup, Window: deps.window, MaxMeasure: plan.duration, Options: plan.opts,
		FirstRunID: lastRun, Energy: plan.energy,
	}
	if plan.times != nil {
		cfg.RecordLatencies = exportTimesCap
	}
	r, err := runner.New(cfg)
	if err != nil {
		return runner.Snapshot{}, nil, err
	}
	if err := r.Start(ctx); err != nil {
		return runner.Snapshot{}, nil, err
	}
	defer r.Stop()
	soak := newSoakReporter(prog.w, plan.soak)
	for {
		select {
		case s := <-r.Snapshots():
			plan.obs.snapshot(s)
			prog.show(s, plan.duration)
			soak.maybe(s)
			if s.State == runner.Error {
				r.Stop() // an executor that failed to open or run ends this batch size
				plan.obs.snapshot(r.Latest())
				return r.Latest(), nil, nil
			}
		case <-r.Done():
			plan.obs.snapshot(r.Latest())
			return r.Latest(), r.Latencies(), nil
		}
	}
}
