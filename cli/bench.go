package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"infertop/engine"
	"infertop/internal/atomicfile"
	"infertop/model"
	"infertop/report"
	"infertop/runner"
	"infertop/session"
)

func runBench(ctx context.Context, env Env, args []string) int {
	return bench(ctx, env, args, session.NewMachine())
}

// benchPlan is a validated command line.
type benchPlan struct {
	spec       session.BenchSpec
	format     string
	out, times *atomicfile.File
	// profile is the --export-profile file (nil without).
	profile *atomicfile.File
	soak    time.Duration
	outputs session.Outputs
	// dims are the --dim bindings, for the report's options.
	dims map[string]int
	// baseline is the earlier bench given with --baseline (nil without).
	baseline     *report.Result
	baselinePath string
}

// bench measures each model at each batch size in turn and writes one row
// per model and batch. A result file or a recording that could not be
// written whole makes the exit status a failure.
func bench(ctx context.Context, env Env, args []string, m session.Machine) (code int) {
	plan, code, ok := parseBench(env, args, m)
	if !ok {
		return code
	}
	defer abortFiles(plan.out, plan.times, plan.profile)
	start := time.Now()
	b, err := m.OpenBench(ctx, plan.spec, plan.outputs)
	if err != nil {
		return failed(env, "bench", err)
	}
	serving(env, "bench", b.Observer().Metrics)
	defer func() {
		if !closed(env, "bench", b.Close()) && code == ExitOK {
			code = ExitFailure
		}
	}()
	prog := newProgress(env.Stderr)
	soak := newSoakReporter(env.Stderr, plan.soak, m.RSS)
	var (
		rows   []report.Row
		times  []report.Times
		info   = engine.Info{Device: plan.spec.Device.String()}
		broken bool // some batch size failed
	)
measure:
	for _, mod := range plan.spec.Models {
		for _, batch := range plan.spec.BatchesOf(mod) {
			snap, lat, err := b.Measure(ctx, mod, batch, func(s runner.Snapshot) {
				prog.show(s, plan.spec.Duration)
				soak.maybe(s)
			})
			if err != nil {
				fmt.Fprintf(env.Stderr, "infertop bench: %v\n", err)
				return ExitFailure
			}
			if ctx.Err() != nil {
				break measure // the interrupted batch is not a finished row
			}
			if snap.Info.Engine != "" && info.Engine == "" {
				info = snap.Info
			}
			broken = broken || snap.Err != ""
			row := report.FromSnapshot(snap)
			row.NoteMeasured(plan.spec.Duration)
			rows = append(rows, row)
			if plan.times != nil {
				times = append(times, report.NewTimes(snap.Model, snap.Device, batch, lat, snap.LatenciesDropped))
			}
		}
	}
	prog.clear()
	s := plan.spec
	opts := map[string]any{"batches": s.Batches, "warmup": s.Warmup.String(), "duration": s.Duration.String(),
		"threads": s.Threads, "resident": s.Resident, "precision": s.Precision.String(), "seed": s.Options().Seed}
	if len(plan.dims) > 0 {
		opts["dims"] = plan.dims
	}
	if plan.baselinePath != "" {
		opts["baseline"] = plan.baselinePath
	}
	if s.ProfileEvery > 0 {
		opts["profile_every"] = s.ProfileEvery
	}
	res := report.Result{Meta: report.NewMeta(Version, info, s.ModelNames(), opts, start, m.CPUInfo), Rows: rows}
	if plan.baseline != nil {
		res.Baseline = report.BenchBaselineRows(plan.baseline.Rows, rows)
	}
	var w io.Writer = env.Stdout
	if plan.out != nil {
		w = plan.out
	}
	if err := report.Write(w, plan.format, res); err != nil {
		fmt.Fprintf(env.Stderr, "infertop bench: %v\n", err)
		return ExitFailure
	}
	if !commit(env, "bench", "output", plan.out) {
		return ExitFailure
	}
	if plan.times != nil {
		if err := report.WriteTimes(plan.times, times); err != nil {
			fmt.Fprintf(env.Stderr, "infertop bench: --export-times: %v\n", err)
			return ExitFailure
		}
		if !commit(env, "bench", "export-times", plan.times) {
			return ExitFailure
		}
	}
	if plan.profile != nil {
		if err := report.WriteProfileExport(plan.profile, report.NewProfileExport(res.Meta, rows)); err != nil {
			fmt.Fprintf(env.Stderr, "infertop bench: --export-profile: %v\n", err)
			return ExitFailure
		}
		if !commit(env, "bench", "export-profile", plan.profile) {
			return ExitFailure
		}
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(env.Stderr, "infertop bench: interrupted; wrote the %d finished row(s)\n", len(rows))
		return ExitInterrupted
	case broken:
		return ExitFailure
	}
	return ExitOK
}

// parseBench reads and checks the flags; nothing is measured or allocated for
// the model before every check has passed.
func parseBench(env Env, args []string, m session.Machine) (benchPlan, int, bool) {
	fs := newFlags(env, "bench", "bench [--preset P] [--model FILE.onnx]... [--dim NAME=N]... [--device cpu|cuda:N|cuda:all] [--precision fp32|tf32|fp16|bf16] [--batch 1,32,256] [--duration 5s] [--format table|json|csv] [--profile] [--export-profile FILE.json] [--arrival poisson:RATE [--max-delay 2ms] [--preferred-batch 8,16] [--instances K] [--slo-p99 20ms]] [--metrics-addr :9464] [--record FILE]"+
		modelUsage("bench", "--model bert.onnx --dim seq=128 --batch 1,8,64   (--preset mlp --model bert.onnx measures both)")+servingUsage+
		"\nIn serving mode each --batch is a max batch, measured in turn: e.g. --preset mlp --arrival poisson:2000 --batch 8,32 --max-delay 1ms --slo-p99 20ms")
	presetName := fs.String("preset", "mlp", "model preset (see \"infertop presets\"); with --model, measured only when given")
	models := addModelFlags(fs, "an ONNX model to measure, `FILE.onnx` (repeatable: each in turn, after --preset when given)")
	deviceName := fs.String("device", "cpu", "device: cpu, cuda:N or cuda:all")
	batchList := fs.String("batch", "", "comma-separated batch sizes (default: each model's default batch)")
	fs.StringVar(batchList, "batches", "", "the same as --batch, as sweep, compare and selftest name it")
	warmup := fs.String("warmup", "1s", "least warm-up time per batch size; warm-up also lasts 3 batches and until throughput settles, at most the longer of --warmup and 5 batches more (5s at most); the events say when it went on past --warmup")
	duration := fs.String("duration", "5s", "measuring time per batch size after warm-up (at least the three windows the stability rule compares)")
	threads := fs.Int("threads", 0, "CPU compute threads (0 = all cores)")
	resident := fs.Bool("resident", false, "GPU: keep the input on the device (latency then excludes the copies)")
	precision := addPrecisionFlags(fs, "")
	format := fs.String("format", "table", "output format: table, json or csv")
	output := fs.String("output", "", "write the results to this file instead of stdout")
	exportTimes := fs.String("export-times", "", "write every measured batch's latency in ms to this JSON file")
	profile := fs.Bool("profile", false, "time each step of the engine's plan in one batch in --profile-every (left out of every measured figure) and show where a batch's time goes under each batch; --format json carries it")
	profileEvery := fs.Int("profile-every", runner.DefaultProfileEvery, "with --profile or --export-profile: one batch in `N` is a profiling batch (at least 2)")
	exportProfile := fs.String("export-profile", "", "write the step profile to this `FILE.json`, one record per step per batch size (turns --profile on; see docs/profile.md)")
	baseline := fs.String("baseline", "", "the `OLD.json` an earlier bench --format json wrote: print each row's samples/s against it (new/old, flagged beyond the noise)")
	soak := fs.Duration("soak-report", 0, "print Go heap and RSS on stderr at this interval (used by scripts/soak.sh)")
	servingF := addServingFlags(fs)
	slo := fs.String("slo-p99", "", "serving: the p99 objective, e.g. 20ms: goodput counts the requests answered within it")
	outputs := outputFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return benchPlan{}, code, false
	}
	fail := func(format string, a ...any) (benchPlan, int, bool) {
		return benchPlan{}, usageErr(env, "bench", format, a...), false
	}
	plan := benchPlan{soak: *soak, outputs: *outputs}
	s := &plan.spec
	var err error
	if plan.format = strings.ToLower(*format); !isFormat(plan.format) {
		return fail("unknown format %q (valid: %s)", *format, strings.Join(report.Formats(), ", "))
	}
	if s.Catalog, s.Models, plan.dims, err = benchModels(fs, models, *presetName); err != nil {
		return fail("%v", err)
	}
	if s.Device, err = runnableDevice(m, *deviceName); err != nil {
		return fail("%v", err)
	}
	if len(s.Models) == 1 {
		s.Batches = []int{s.Models[0].DefaultBatch}
	}
	if flagSet(fs, "batch") && flagSet(fs, "batches") {
		return fail("give --batch or --batches, not both (they are the same list)")
	}
	if *batchList != "" {
		if s.Batches, err = parseBatchList(*batchList); err != nil {
			return fail("--batch: %v", err)
		}
	}
	for _, mod := range s.Models {
		if err := session.CheckModel(mod, s.BatchesOf(mod)); err != nil {
			return fail("%v", err)
		}
	}
	if s.Warmup, err = parseDuration("warmup", *warmup, false); err != nil {
		return fail("%v", err)
	}
	if s.Duration, err = parseDuration("duration", *duration, true); err != nil {
		return fail("%v", err)
	}
	if err := checkThreads(*threads, m); err != nil {
		return fail("%v", err)
	}
	if s.Precision, err = precision.on(s.Device); err != nil {
		return fail("%v", err)
	}
	s.Threads, s.Resident = *threads, *resident
	if s.ProfileEvery, err = profilePeriod(fs, *profile || *exportProfile != "", *profileEvery); err != nil {
		return fail("%v", err)
	}
	if *profile && *exportProfile == "" && plan.format == "csv" {
		return fail("--profile with --format csv: a CSV line per batch size has no room for a profile (use --format table or json, or --export-profile FILE.json)")
	}
	if s.Serving, err = servingF.spec(fs, *slo); err != nil {
		return fail("%v", err)
	}
	if err := checkBenchServing(s, *slo != "", *exportTimes != ""); err != nil {
		return fail("%v", err)
	}
	if *baseline != "" {
		old, err := report.LoadBenchBaseline(*baseline)
		if err != nil {
			return fail("--baseline: %v", err)
		}
		if err := report.CheckBenchBaseline(old, plannedRows(*s)); err != nil {
			return fail("--baseline %s: %v", *baseline, err)
		}
		plan.baseline, plan.baselinePath = &old, *baseline
	}
	if err := m.CheckFits(*s); err != nil {
		return benchPlan{}, failed(env, "bench", err), false
	}
	if err := distinctPaths(pathFlag{"output", *output}, pathFlag{"export-times", *exportTimes}, pathFlag{"export-profile", *exportProfile},
		pathFlag{"record", outputs.Record}); err != nil {
		return fail("%v", err)
	}
	if err := session.CheckOutputs(*outputs); err != nil {
		return fail("%v", err)
	}
	if plan.out, err = create("output", *output); err != nil {
		return fail("%v", err)
	}
	if plan.times, err = create("export-times", *exportTimes); err != nil {
		abortFiles(plan.out)
		return fail("%v", err)
	}
	if plan.profile, err = create("export-profile", *exportProfile); err != nil {
		abortFiles(plan.out, plan.times)
		return fail("%v", err)
	}
	s.KeepLatencies = plan.times != nil
	return plan, 0, true
}

// checkBenchServing refuses what serving mode does not measure, and checks
// every max batch against each model.
func checkBenchServing(s *session.BenchSpec, slo, times bool) error {
	if s.Serving == nil {
		if slo {
			return fmt.Errorf("--slo-p99 counts goodput in serving mode: give --arrival poisson:RATE, constant:RATE or clients:N with it")
		}
		return nil
	}
	switch {
	case s.ProfileEvery > 0:
		return fmt.Errorf("--profile times batches run back to back: leave --arrival out to profile")
	case times:
		return fmt.Errorf("--export-times keeps the latency of every batch run back to back; serving mode's per-request percentiles and their parts are in --format json")
	}
	for _, mod := range s.Models {
		for _, b := range s.BatchesOf(mod) {
			if err := session.CheckServing(*s.Serving, mod, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// plannedRows are the rows a bench will measure, with nothing measured yet.
func plannedRows(s session.BenchSpec) []report.Row {
	var rows []report.Row
	for _, m := range s.Models {
		for _, b := range s.BatchesOf(m) {
			rows = append(rows, report.Row{Model: m.Name, Device: s.Device.String(), Batch: b})
		}
	}
	return rows
}

// benchModels are the models a bench measures: the --preset (unless only
// --model files are given), then each file once, in the order given.
func benchModels(fs *flag.FlagSet, mf *modelFlags, preset string) (*model.Catalog, []*model.Model, map[string]int, error) {
	cat, err := mf.catalog()
	if err != nil {
		return nil, nil, nil, err
	}
	var ms []*model.Model
	if len(mf.files) == 0 || flagSet(fs, "preset") {
		p, err := session.Preset(cat, preset)
		if err != nil {
			return nil, nil, nil, err
		}
		ms = append(ms, p)
	}
	for _, f := range mf.files {
		m, err := cat.Get(f)
		if err != nil {
			return nil, nil, nil, err
		}
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	return cat, ms, dimsOf(mf), nil
}

// profilePeriod is the profiling period the flags ask for: 0 without
// --profile or --export-profile, else --profile-every, which must be at
// least 2 and is refused without either of them.
func profilePeriod(fs *flag.FlagSet, on bool, every int) (int, error) {
	switch {
	case !on && flagSet(fs, "profile-every"):
		return 0, fmt.Errorf("--profile-every needs --profile or --export-profile")
	case !on:
		return 0, nil
	case every < 2:
		return 0, fmt.Errorf("--profile-every %d: must be at least 2 (one batch in N is a profiling batch, the others are measured)", every)
	}
	return every, nil
}
