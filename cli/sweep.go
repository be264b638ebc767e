package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/internal/atomicfile"
	"infertop/report"
	"infertop/runner"
	"infertop/serve"
	"infertop/session"
	"infertop/sweep"
)

func runSweep(ctx context.Context, env Env, args []string) int {
	return sweepMain(ctx, env, args, session.NewMachine())
}

// sweepPlan is a validated sweep command line.
type sweepPlan struct {
	spec         session.SweepSpec
	format       string
	out, plot    *atomicfile.File
	plotFormat   string
	baseline     *sweep.Result
	batchesLabel string
	outputs      session.Outputs
	// dims are the --dim bindings, for the report's options.
	dims map[string]int
	// serve is set for a serving search (--arrival poisson or constant).
	serve *serveSweepPlan
}

func sweepMain(ctx context.Context, env Env, args []string, m session.Machine) (code int) {
	plan, code, ok := parseSweep(env, args, m)
	if !ok {
		return code
	}
	if plan.serve != nil {
		return serveSweepMain(ctx, env, plan.serve, m)
	}
	defer abortFiles(plan.out, plan.plot)
	sw, err := m.NewSweep(plan.spec)
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop sweep: %v\n", err)
		return ExitFailure
	}
	defer sw.Close()
	if sw.Note != "" {
		fmt.Fprintf(env.Stderr, "infertop sweep: %s\n", sw.Note)
	}
	start := time.Now()
	info := engine.Info{Device: plan.spec.Device.String()}
	obs, err := m.Observe(ctx, "sweep", plan.outputs, map[string]any{"model": plan.spec.Model,
		"device": plan.spec.Device.String(), "batches": plan.batchesLabel})
	if err != nil {
		return failed(env, "sweep", err)
	}
	serving(env, "sweep", obs.Metrics)
	defer func() {
		if !closed(env, "sweep", obs.Close()) && code == ExitOK {
			code = ExitFailure
		}
	}()
	sw.Prober.OnSnapshot = func(s runner.Snapshot) {
		obs.Snapshot(s)
		if s.Info.Engine != "" {
			info = s.Info
		}
	}
	fmt.Fprintf(env.Stderr, "sweeping %s on %s (%s)\n", plan.spec.Model, plan.spec.Device, plan.batchesLabel)
	for _, n := range sw.Config.Notes {
		fmt.Fprintf(env.Stderr, "  note: %s\n", n)
	}
	printed := 0
	sw.Config.Progress = func(r sweep.Result, status string) {
		for ; printed < len(r.Points); printed++ {
			fmt.Fprintf(env.Stderr, "  %s\n", report.SweepPointLine(r.Points[printed]))
		}
		if status != "" {
			fmt.Fprintf(env.Stderr, "%s…\n", status)
		}
	}
	res, runErr := sw.Run(ctx)
	p := sw.Prober
	opts := map[string]any{"batches": plan.batchesLabel, "slo_p99": sw.Config.SLOP99.String(), "threads": p.Options.Threads,
		"precision": p.Options.Precision.String(), "warmup": p.Warmup.String(), "window": p.Window.String(), "max_time": p.MaxTime.String(),
		"mem_limit": sw.Config.MemLimit, "mem_source": sw.MemSource}
	if len(plan.dims) > 0 {
		opts["dims"] = plan.dims
	}
	doc := report.SweepDoc{Meta: report.NewMeta(Version, info, plan.spec.Model, opts, start, m.CPUInfo), Sweep: res}
	if plan.baseline != nil {
		doc.Baseline = report.CompareToBaseline(*plan.baseline, res)
	}
	code = writeReport(env, "sweep", plan.out, func(w io.Writer) error { return report.WriteSweep(w, plan.format, doc) },
		plan.plot, len(doc.Sweep.Points) > 0, func() error {
			title := fmt.Sprintf("%s on %s", plan.spec.Model, plan.spec.Device)
			return report.WriteSweepPlot(plan.plot, plan.plotFormat, title, doc.Sweep, plan.baseline)
		})
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

// parseSweep reads and checks the flags; nothing is measured before every check has passed.
func parseSweep(env Env, args []string, m session.Machine) (sweepPlan, int, bool) {
	fs := newFlags(env, "sweep", "sweep [--preset P | --model FILE.onnx [--dim NAME=N]...] [--device cpu|cuda:N] [--batches 1,8,64] [--slo-p99 20ms] [--plot FILE.svg|FILE.png] [--format table|json|csv]\n"+
		"       infertop sweep --arrival poisson --slo-p99 20ms [--max-batch 1,8,32] [--max-delay 0,2ms] [--instances 1,2] [...]"+
		modelUsage("sweep", "--model resnet50.onnx --device cuda:0 --slo-p99 20ms   (a file exported with a fixed batch sweeps that batch only)")+serveSearchUsage)
	presetName := fs.String("preset", "mlp", "model preset (see \"infertop presets\")")
	models := addModelFlags(fs, "an ONNX model to sweep instead of a preset, `FILE.onnx`")
	deviceName := fs.String("device", "cpu", "device: cpu, cuda:N or cuda:all")
	batchList := fs.String("batches", "", "increasing comma-separated batch sizes (default: powers of two from 1 until a stop rule holds)")
	maxBatchF := fs.String("max-batch", "", fmt.Sprintf("batch sweep: the largest power of two to try (default %d); serving search: the max batches to try, e.g. 8,16,32 (default %s)", maxBatch, serveMaxBatches))
	slo := fs.String("slo-p99", "", "p99 latency objective, e.g. 20ms: recommend the fastest batch that meets it")
	warmup := fs.String("warmup", "1s", "least warm-up time per batch size (a serving search's default: 500ms per run)")
	window := fs.String("window", "1s", "measurement window; a batch is stable when 3 windows agree (a serving search's default: 500ms)")
	maxTime := fs.String("max-time", "10s", "measuring time cap per batch size (the point is then flagged unstable; a serving search's default: 5s per run)")
	threads := fs.Int("threads", 0, "CPU compute threads (0 = all cores)")
	precision := addPrecisionFlags(fs, "")
	memLimit := fs.String("mem-limit", "", "memory the engine may use, e.g. 512MiB (default on the CPU: the available RAM)")
	format := fs.String("format", "table", "output format: table, json or csv")
	output := fs.String("output", "", "write the results to this file instead of stdout")
	plotPath := fs.String("plot", "", "draw throughput, p99 and memory against batch size to FILE.svg or FILE.png")
	baseline := fs.String("baseline", "", "compare with an earlier sweep's JSON (ratio per batch, flagged beyond the noise)")
	outputs := outputFlags(fs)
	sf := addServeSweepFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return sweepPlan{}, code, false
	}
	fail := func(format string, a ...any) (sweepPlan, int, bool) {
		return sweepPlan{}, usageErr(env, "sweep", format, a...), false
	}
	plan := sweepPlan{outputs: *outputs, batchesLabel: "powers of two from 1"}
	s := &plan.spec
	var err error
	if plan.format = strings.ToLower(*format); !isFormat(plan.format) {
		return fail("unknown format %q (valid: %s)", *format, strings.Join(report.Formats(), ", "))
	}
	cat, mod, err := models.single(fs, *presetName)
	if err != nil {
		return fail("%v", err)
	}
	s.Catalog, s.Model, plan.dims = cat, mod.Name, dimsOf(models)
	if s.Device, err = runnableDevice(m, *deviceName); err != nil {
		return fail("%v", err)
	}
	kind, err := sf.searchArrival()
	if err != nil {
		return fail("%v", err)
	}
	if kind != serve.Closed {
		return parseServeSweepLine(fs, sf, kind, *maxBatchF, mod, plan, sweepCommon{slo: *slo, warmup: *warmup, window: *window,
			maxTime: *maxTime, threads: *threads, precision: precision, output: *output, plot: *plotPath}, m, fail)
	}
	if err := sf.closedOnly(fs); err != nil {
		return fail("%v", err)
	}
	if flagSet(fs, "batches") {
		if s.Batches, err = parseIncreasing(*batchList); err != nil {
			return fail("--batches: %v", err)
		}
		plan.batchesLabel = "batches " + *batchList
		if err := session.CheckModel(mod, s.Batches); err != nil {
			return fail("%v", err)
		}
	} else if fb := mod.FixedBatch(); fb > 0 {
		plan.batchesLabel = fmt.Sprintf("batch %d only: the file's fixed batch", fb)
	}
	if err := session.CheckModel(mod, []int{max(mod.FixedBatch(), 1)}); err != nil {
		return fail("%v", err)
	}
	s.MaxBatch = maxBatch
	if *maxBatchF != "" {
		n, err := strconv.Atoi(strings.TrimSpace(*maxBatchF))
		if err != nil || n < 1 || n > maxBatch {
			return fail("--max-batch %s: a whole number from 1 to %d in a batch sweep (a list such as 8,16,32 with --arrival poisson)", *maxBatchF, maxBatch)
		}
		s.MaxBatch = n
	}
	c := sweepCommon{slo: *slo, warmup: *warmup, window: *window, maxTime: *maxTime, threads: *threads, precision: precision}
	if err := c.apply(fs, s, m); err != nil {
		return fail("%v", err)
	}
	if *memLimit != "" {
		if s.MemLimit, err = parseBytes(*memLimit); err != nil {
			return fail("--mem-limit: %v", err)
		}
		s.MemSource = "--mem-limit"
	}
	if *baseline != "" {
		old, err := report.LoadBaseline(*baseline)
		if err != nil {
			return fail("--baseline: %v", err)
		}
		plan.baseline = &old
	}
	if plan.out, plan.plot, plan.plotFormat, err = openReportFiles(*output, *plotPath, *outputs); err != nil {
		return fail("%v", err)
	}
	return plan, 0, true
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

// sweepCommon are the flags a batch sweep and a serving search read alike.
type sweepCommon struct {
	slo, warmup, window, maxTime string
	threads                      int
	precision                    precisionFlags
	output, plot                 string
}

// apply reads the SLO, the measurement and the engine's options into s.
func (c sweepCommon) apply(fs *flag.FlagSet, s *session.SweepSpec, m session.Machine) error {
	var err error
	if flagSet(fs, "slo-p99") {
		if s.SLOP99, err = parseDuration("slo-p99", c.slo, true); err != nil {
			return err
		}
	}
	if s.Warmup, err = parseDuration("warmup", c.warmup, false); err != nil {
		return err
	}
	if s.Window, err = parseDuration("window", c.window, true); err != nil {
		return err
	}
	if s.MaxTime, err = parseDuration("max-time", c.maxTime, true); err != nil {
		return err
	}
	if err := checkThreads(c.threads, m); err != nil {
		return err
	}
	if s.Precision, err = c.precision.on(s.Device); err != nil {
		return err
	}
	s.Threads = c.threads
	return nil
}
