package cli

import (
	"context"
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
	"infertop/sweep"
)

// compareDeps are what compare takes from the machine; tests replace them.
type compareDeps struct {
	registry *engine.Registry
	cpuinfo  string
	// now is the windower's clock (nil: time.Now).
	now func() time.Time
	// openNVML opens the GPUs' energy counters when a side runs on CUDA
	// (nil: none); visible is CUDA_VISIBLE_DEVICES, which maps cuda:N to its GPU.
	openNVML func() (*gpuinfo.Monitor, error)
	visible  string
	// openRAPL opens the CPU packages' energy counters when a side runs on
	// the CPU (nil: none).
	openRAPL func() (*hostinfo.RAPL, error)
}

func runCompare(ctx context.Context, env Env, args []string) int {
	return compareMain(ctx, env, args, compareDeps{registry: newRegistry(), cpuinfo: "/proc/cpuinfo",
		openNVML: func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) },
		visible:  os.Getenv("CUDA_VISIBLE_DEVICES"), openRAPL: openRAPL})
}

type comparePlan struct {
	preset         *presets.Preset
	cfg            sweep.CompareConfig
	warmup, window time.Duration
	format         string
	out, plot      *os.File
	plotFormat     string
	// baseline is the earlier compare given with --baseline (nil without).
	baseline     *report.CompareDoc
	baselinePath string
	observe      observeFlags
}

func compareMain(ctx context.Context, env Env, args []string, deps compareDeps) int {
	plan, code, ok := parseCompare(env, args, deps)
	if !ok {
		return code
	}
	defer closeFiles(plan.out, plan.plot)
	start := time.Now()
	opts := map[string]any{"preset": plan.preset.Name, "a": plan.cfg.A.String(), "b": plan.cfg.B.String(), "batches": plan.cfg.Batches,
		"pairs": plan.cfg.Pairs, "window": plan.window.String(), "warmup": plan.warmup.String()}
	if plan.baselinePath != "" {
		opts["baseline"] = plan.baselinePath
	}
	obs, stopObs, code, ok := observeCompare(ctx, env, plan, opts)
	if !ok {
		return code
	}
	defer stopObs()
	w, err := sweep.NewExecWindower(deps.registry, plan.preset, plan.cfg.A, plan.cfg.B, presets.DefaultSeed)
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop compare: %v\n", err)
		obs.ended(sweep.CompareResult{}, err)
		return ExitFailure
	}
	defer w.Close()
	w.Warmup, w.WindowLen = plan.warmup, plan.window
	var closeEnergy func()
	w.Energy, closeEnergy = devicesEnergy(deps.openNVML, []string{plan.cfg.A.Device, plan.cfg.B.Device}, deps.visible)
	w.Energy = withCPUEnergy(w.Energy, deps.openRAPL, []string{plan.cfg.A.Device, plan.cfg.B.Device})
	defer closeEnergy()
	if deps.now != nil {
		w.Now = deps.now
	}
	fmt.Fprintf(env.Stderr, "racing %s: A = %s, B = %s, in alternating windows of ≥ %v\n", plan.preset.Name, plan.cfg.A, plan.cfg.B, plan.window)
	shown := map[int]int{} // pairs already printed per batch
	notes := 0
	plan.cfg.Progress = func(r sweep.CompareResult) {
		for ; notes < len(r.Notes); notes++ {
			fmt.Fprintf(env.Stderr, "  note: %s\n", r.Notes[notes])
		}
		if len(r.Points) == 0 {
			return
		}
		if p := r.Points[len(r.Points)-1]; p.Pairs > shown[p.Batch] {
			shown[p.Batch] = p.Pairs
			fmt.Fprintf(env.Stderr, "  batch %d: B/A ×%.3f (pairs ×%.3f–×%.3f, %d pairs)\n", p.Batch, p.SpeedUp, p.Lo, p.Hi, p.Pairs)
		}
	}
	obs.hook(&plan.cfg)
	res, runErr := sweep.Compare(ctx, plan.cfg, obs.windower(w))
	obs.ended(res, runErr)
	doc := report.CompareDoc{Meta: report.NewMeta(Version, engine.Info{Device: plan.cfg.A.Device + "," + plan.cfg.B.Device},
		plan.preset.Name, opts, start, deps.cpuinfo), Compare: res}
	if plan.baseline != nil {
		doc.Baseline = report.CompareBaselineRows(plan.baseline.Compare, res)
	}
	code = writeCompareOutputs(env, plan, doc)
	switch {
	case runErr != nil:
		fmt.Fprintf(env.Stderr, "infertop compare: %v\n", runErr)
		return ExitFailure
	case res.Interrupted:
		fmt.Fprintf(env.Stderr, "infertop compare: interrupted; wrote the %d compared batch size(s)\n", len(res.Points))
		return ExitInterrupted
	}
	return code
}

// writeCompareOutputs writes the results and the plot; it returns the exit
// code their writing earns.
func writeCompareOutputs(env Env, plan comparePlan, doc report.CompareDoc) int {
	return writeReport(env, "compare", plan.out, func(w io.Writer) error { return writeCompare(w, plan.format, doc, plan.baseline) },
		plan.plot, len(doc.Compare.Points) > 0, func() error {
			var base *sweep.CompareResult
			if plan.baseline != nil {
				base = &plan.baseline.Compare
			}
			return report.WriteCompareBaselinePlot(plan.plot, plan.plotFormat, doc.Compare, base)
		})
}

func parseCompare(env Env, args []string, deps compareDeps) (comparePlan, int, bool) {
	fs := newFlags(env, "compare", "compare [--preset P] [--devices cpu,cuda:0] [--threads 1,0] [--tf32 off,on] [--batch N | --batches 1,8,64] [--format table|json|csv] [--plot FILE.svg|FILE.png] [--baseline OLD.json] [--metrics-addr ADDR] [--record FILE]")
	presetName := fs.String("preset", "mlp", "model preset (see \"infertop presets\")")
	devices := fs.String("devices", "cpu,cuda:0", "the two devices, A,B (the same device twice with two --threads)")
	threads := fs.String("threads", "0", "CPU threads for A,B, or one count for both (0 = all cores)")
	tf32 := fs.String("tf32", "off", "GPU TF32 tensor cores for A,B, or one setting for both: on or off (race float32 against TF32: --devices cuda:0,cuda:0 --tf32 off,on)")
	batch := fs.Int("batch", 0, "batch size (default: the preset's)")
	batchList := fs.String("batches", "", "increasing batch sizes to race; the output names the crossover batch")
	pairs := fs.Int("pairs", sweep.DefaultPairs, "window pairs per batch (alternating A B, B A)")
	window := fs.String("window", "1s", "least length of one window")
	warmup := fs.String("warmup", "1s", "warm-up of each side at each batch")
	format := fs.String("format", "table", "output format: table, json or csv")
	output := fs.String("output", "", "write the results to this file instead of stdout")
	plotPath := fs.String("plot", "", "draw the speed-up and both throughputs against batch size (the baseline's dashed) to FILE.svg or FILE.png")
	baseline := fs.String("baseline", "", "the `OLD.json` an earlier compare --format json wrote: print and draw the change per batch (speed-up and each side's samples/s, new/old, flagged beyond the noise)")
	var plan comparePlan
	plan.observe.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return comparePlan{}, code, false
	}
	fail := func(format string, a ...any) (comparePlan, int, bool) {
		return comparePlan{}, usageErr(env, "compare", format, a...), false
	}
	var err error
	if plan.format = strings.ToLower(*format); !isFormat(plan.format) {
		return fail("unknown format %q (valid: %s)", *format, strings.Join(report.Formats(), ", "))
	}
	if plan.preset, err = presets.NewCatalog().Get(*presetName); err != nil {
		return fail("%v", err)
	}
	sides, err := parseSides(*devices, *threads, *tf32, deps.registry)
	if err != nil {
		return fail("%v", err)
	}
	plan.cfg = sweep.CompareConfig{Preset: plan.preset.Name, A: sides[0], B: sides[1], Pairs: *pairs}
	if plan.cfg.A == plan.cfg.B {
		return fail("the two configurations are identical (%s); give two devices (--devices cpu,cuda:0), two thread counts (--threads 1,0) or, on a GPU, --tf32 off,on", sides[0])
	}
	switch {
	case flagSet(fs, "batches") && *batch != 0:
		return fail("give --batch or --batches, not both")
	case flagSet(fs, "batches"):
		if plan.cfg.Batches, err = parseIncreasing(*batchList); err != nil {
			return fail("--batches: %v", err)
		}
	case *batch < 0 || *batch > maxBatch:
		return fail("--batch %d is out of range (accepted: 1 to %d)", *batch, maxBatch)
	case *batch == 0:
		plan.cfg.Batches = []int{plan.preset.DefaultBatch}
	default:
		plan.cfg.Batches = []int{*batch}
	}
	if *pairs < 1 || *pairs > 1000 {
		return fail("--pairs %d is out of range (accepted: 1 to 1000)", *pairs)
	}
	if plan.window, err = parseDuration("window", *window, true); err != nil {
		return fail("%v", err)
	}
	if plan.warmup, err = parseDuration("warmup", *warmup, false); err != nil {
		return fail("%v", err)
	}
	if *baseline != "" {
		old, err := report.LoadCompareBaseline(*baseline)
		if err != nil {
			return fail("--baseline: %v", err)
		}
		if err := report.CheckCompareBaseline(old.Compare, plan.preset.Name, plan.cfg.A, plan.cfg.B, plan.cfg.Batches); err != nil {
			return fail("--baseline %s: %v", *baseline, err)
		}
		plan.baseline, plan.baselinePath = &old, *baseline
	}
	if plan.out, plan.plot, plan.plotFormat, err = openReportFiles(*output, *plotPath); err != nil {
		return fail("%v", err)
	}
	return plan, 0, true
}

// parseSides reads "--devices A,B", "--threads N[,M]" and "--tf32 X[,Y]" into two sides.
func parseSides(devices, threads, tf32 string, reg *engine.Registry) ([2]sweep.Side, error) {
	var sides [2]sweep.Side
	ds := strings.Split(devices, ",")
	if len(ds) != 2 {
		return sides, fmt.Errorf("--devices %q must name two devices, e.g. cpu,cuda:0 or cpu,cpu", devices)
	}
	ts := strings.Split(threads, ",")
	if len(ts) == 1 {
		ts = append(ts, ts[0])
	}
	if len(ts) != 2 {
		return sides, fmt.Errorf("--threads %q must be one count or two, e.g. 1,0", threads)
	}
	tfs := strings.Split(tf32, ",")
	if len(tfs) == 1 {
		tfs = append(tfs, tfs[0])
	}
	if len(tfs) != 2 {
		return sides, fmt.Errorf("--tf32 %q must be one setting or two, e.g. off,on", tf32)
	}
	for i := range sides {
		d, err := parseDevice(ds[i])
		if err != nil {
			return sides, err
		}
		if !reg.Has(d.Kind) {
			return sides, fmt.Errorf("device %s is not available in this build: %s (without a GPU, race two thread counts: --devices cpu,cpu --threads 1,0)", d, reg.Why(d.Kind))
		}
		n, err := strconv.Atoi(strings.TrimSpace(ts[i]))
		if err != nil || n < 0 {
			return sides, fmt.Errorf("--threads %q: %q is not a count (accepted: 0 for all cores, or a positive count)", threads, ts[i])
		}
		if d.Kind != engine.CPU {
			n = 0 // threads bound CPU engines only
		}
		var on bool
		switch strings.TrimSpace(tfs[i]) {
		case "on":
			on = true
		case "off":
		default:
			return sides, fmt.Errorf("--tf32 %q: %q is not a setting (accepted: on or off, one for both or one per side)", tf32, tfs[i])
		}
		if err := checkTF32(d, on); err != nil {
			return sides, err
		}
		sides[i] = sweep.Side{Device: d.String(), Threads: n, TF32: on}
	}
	return sides, nil
}
