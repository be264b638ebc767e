package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/internal/atomicfile"
	"infertop/report"
	"infertop/session"
	"infertop/sweep"
)

func runCompare(ctx context.Context, env Env, args []string) int {
	return compareMain(ctx, env, args, session.NewMachine())
}

type comparePlan struct {
	spec      session.RaceSpec
	format    string
	out, plot *atomicfile.File
	// baseline is the earlier compare given with --baseline (nil without).
	baseline     *report.CompareDoc
	baselinePath string
	plotFormat   string
	outputs      session.Outputs
	// dims are the --dim bindings, for the report's options.
	dims map[string]int
	// profiles, with --profile, are the two step profiles to diff instead of a race.
	profiles *profilePair
}

func compareMain(ctx context.Context, env Env, args []string, m session.Machine) (code int) {
	plan, code, ok := parseCompare(env, args, m)
	if !ok {
		return code
	}
	defer abortFiles(plan.out, plan.plot)
	if plan.profiles != nil {
		return compareProfiles(env, plan)
	}
	s := &plan.spec
	start := time.Now()
	opts := map[string]any{"model": s.Model.Name, "a": s.A.String(), "b": s.B.String(), "batches": s.Batches,
		"pairs": s.Pairs, "window": s.Window.String(), "warmup": s.Warmup.String()}
	if plan.baselinePath != "" {
		opts["baseline"] = plan.baselinePath
	}
	if len(plan.dims) > 0 {
		opts["dims"] = plan.dims
	}
	obs, err := m.ObserveRace(ctx, s.Model.Name, s.A, s.B, plan.outputs, opts)
	if err != nil {
		return failed(env, "compare", err)
	}
	serving(env, "compare", obs.Metrics)
	defer func() {
		if !closed(env, "compare", obs.Close()) && code == ExitOK {
			code = ExitFailure
		}
	}()
	shown := map[int]int{} // pairs already printed per batch
	notes := 0
	s.Progress = func(r sweep.CompareResult) {
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
	race, err := m.NewRace(*s)
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop compare: %v\n", err)
		obs.Ended(err)
		return ExitFailure
	}
	defer race.Close()
	fmt.Fprintf(env.Stderr, "racing %s: A = %s, B = %s, in alternating windows of ≥ %v\n", s.Model.Name, s.A, s.B, s.Window)
	res, runErr := race.Run(ctx, obs)
	doc := report.CompareDoc{Meta: report.NewMeta(Version, engine.Info{Device: s.A.Device + "," + s.B.Device},
		s.Model.Name, opts, start, m.CPUInfo), Compare: res}
	if plan.baseline != nil {
		doc.Baseline = report.CompareBaselineRows(plan.baseline.Compare, res)
	}
	code = writeReport(env, "compare", plan.out, func(w io.Writer) error { return report.WriteCompare(w, plan.format, doc, plan.baseline) },
		plan.plot, len(doc.Compare.Points) > 0, func() error {
			var base *sweep.CompareResult
			if plan.baseline != nil {
				base = &plan.baseline.Compare
			}
			return report.WriteCompareBaselinePlot(plan.plot, plan.plotFormat, doc.Compare, base)
		})
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

func parseCompare(env Env, args []string, m session.Machine) (comparePlan, int, bool) {
	fs := newFlags(env, "compare", "compare [--preset P | --model FILE.onnx [--dim NAME=N]...] [--devices cpu,cuda:0] [--threads 1,0] [--precision fp32,fp16] [--batch N | --batches 1,8,64] [--format table|json|csv] [--plot FILE.svg|FILE.png] [--baseline OLD.json] [--metrics-addr ADDR] [--record FILE]\n"+
		"       infertop compare --profile [--format table|json] [--output FILE] A.json B.json   (two step profiles, each from bench --export-profile or bench --format json --profile)"+
		modelUsage("compare", "--model bert.onnx --dim seq=128 --devices cpu,cuda:0 --batches 1,8,64"))
	presetName := fs.String("preset", "mlp", "model preset (see \"infertop presets\")")
	models := addModelFlags(fs, "an ONNX model to race instead of a preset, `FILE.onnx`")
	devices := fs.String("devices", "cpu,cuda:0", "the two devices, A,B (the same device twice with two --threads)")
	threads := fs.String("threads", "0", "CPU threads for A,B, or one count for both (0 = all cores)")
	precision := fs.String("precision", "fp32", "the precision of A,B, or one for both (race float32 against half: --devices cuda:0,cuda:0 --precision fp32,fp16). "+precisionHelp+" (accepted: "+engine.PrecisionNames+")")
	tf32 := fs.String("tf32", "off", "the same as --precision with tf32 for on and fp32 for off, one setting for both or one per side: --tf32 off,on is --precision fp32,tf32")
	batch := fs.String("batch", "", "batch size, 1 to 16777216 (default: the model's)")
	batchList := fs.String("batches", "", "increasing batch sizes to race; the output names the crossover batch")
	pairs := fs.Int("pairs", sweep.DefaultPairs, "window pairs per batch (alternating A B, B A)")
	duration := fs.String("duration", "", "least measuring time of each side at each batch size, as bench's --duration: as many window pairs as it takes (instead of --pairs)")
	window := fs.String("window", "1s", "least length of one window")
	warmup := fs.String("warmup", "1s", "warm-up of each side at each batch")
	format := fs.String("format", "table", "output format: table, json or csv")
	output := fs.String("output", "", "write the results to this file instead of stdout")
	plotPath := fs.String("plot", "", "draw the speed-up and both throughputs against batch size (the baseline's dashed) to FILE.svg or FILE.png")
	baseline := fs.String("baseline", "", "the `OLD.json` an earlier compare --format json wrote: print and draw the change per batch (speed-up and each side's samples/s, new/old, flagged beyond the noise)")
	profile := fs.Bool("profile", false, "diff two step profiles, A.json B.json, instead of racing: each step's time in both and B's speed-up (see docs/profile.md)")
	outputs := outputFlags(fs)
	if code, ok := parseOnly(fs, args); !ok {
		return comparePlan{}, code, false
	}
	fail := func(format string, a ...any) (comparePlan, int, bool) {
		return comparePlan{}, usageErr(env, "compare", format, a...), false
	}
	if *profile {
		pp, err := parseProfilePair(fs, *format, *output)
		if err != nil {
			return fail("%v", err)
		}
		return comparePlan{format: strings.ToLower(*format), out: pp.out, profiles: pp}, 0, true
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (two profiles to diff need --profile)", fs.Arg(0))
	}
	plan := comparePlan{outputs: *outputs}
	s := &plan.spec
	var err error
	if plan.format = strings.ToLower(*format); !isFormat(plan.format) {
		return fail("unknown format %q (valid: %s)", *format, strings.Join(report.Formats(), ", "))
	}
	_, mod, err := models.single(fs, *presetName)
	if err != nil {
		return fail("%v", err)
	}
	s.Model = mod
	plan.dims = dimsOf(models)
	precs, given, err := sidePrecisions(fs, *precision, *tf32)
	if err != nil {
		return fail("%v", err)
	}
	sides, err := parseSides(*devices, *threads, precs, given, m)
	if err != nil {
		return fail("%v", err)
	}
	s.A, s.B, s.Pairs = sides[0], sides[1], *pairs
	if s.A == s.B {
		return fail("the two configurations are identical (%s); give two devices (--devices cpu,cuda:0), two thread counts (--threads 1,0) or, on a GPU, two precisions (--precision fp32,fp16)", sides[0])
	}
	switch {
	case flagSet(fs, "batches") && flagSet(fs, "batch"):
		return fail("give --batch or --batches, not both")
	case flagSet(fs, "batches"):
		if s.Batches, err = parseIncreasing(*batchList); err != nil {
			return fail("--batches: %v", err)
		}
	case flagSet(fs, "batch"):
		n, err := parseBatchFlag(*batch, false)
		if err != nil {
			return fail("%v", err)
		}
		s.Batches = []int{n}
	default:
		s.Batches = []int{s.Model.DefaultBatch}
	}
	if err := session.CheckModel(s.Model, s.Batches); err != nil {
		return fail("%v", err)
	}
	if *pairs < 1 || *pairs > maxPairs {
		return fail("--pairs %d is out of range (accepted: 1 to %d)", *pairs, maxPairs)
	}
	if s.Window, err = parseDuration("window", *window, true); err != nil {
		return fail("%v", err)
	}
	if flagSet(fs, "duration") {
		if s.Pairs, err = pairsFor(*duration, s.Window, flagSet(fs, "pairs")); err != nil {
			return fail("%v", err)
		}
	}
	if s.Warmup, err = parseDuration("warmup", *warmup, false); err != nil {
		return fail("%v", err)
	}
	if *baseline != "" {
		old, err := report.LoadCompareBaseline(*baseline)
		if err != nil {
			return fail("--baseline: %v", err)
		}
		if err := report.CheckCompareBaseline(old.Compare, s.Model.Name, s.A, s.B, s.Batches); err != nil {
			return fail("--baseline %s: %v", *baseline, err)
		}
		plan.baseline, plan.baselinePath = &old, *baseline
	}
	if plan.out, plan.plot, plan.plotFormat, err = openReportFiles(*output, *plotPath, *outputs); err != nil {
		return fail("%v", err)
	}
	return plan, 0, true
}

// maxPairs bounds --pairs.
const maxPairs = 1000

// pairsFor turns compare's --duration, each side's measuring time at a
// batch size, into window pairs of window each: a side measures one window
// per pair.
func pairsFor(duration string, window time.Duration, pairsGiven bool) (int, error) {
	if pairsGiven {
		return 0, fmt.Errorf("give --duration or --pairs, not both (--duration sets the pairs: one window of each side per pair)")
	}
	d, err := parseDuration("duration", duration, true)
	if err != nil {
		return 0, err
	}
	n := int((d + window - 1) / window)
	if n > maxPairs {
		return 0, fmt.Errorf("--duration %s is %d windows of %v per side, more than the %d pairs a race measures (accepted: up to %v)", duration, n, window, maxPairs, maxPairs*window)
	}
	return n, nil
}

// parseSides reads "--devices A,B" and "--threads N[,M]" into two sides
// with the precisions precs (given: the flags as the person gave them,
// for messages).
func parseSides(devices, threads string, precs [2]engine.Precision, given [2]string, m session.Machine) ([2]sweep.Side, error) {
	reg := m.Registry
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
	for i := range sides {
		d, err := parseDevice(ds[i])
		if err != nil {
			return sides, err
		}
		if !reg.Has(d.Kind) {
			return sides, fmt.Errorf("device %s is not available in this build: %s (without a GPU, race two thread counts: --devices cpu,cpu --threads 1,0)", d, reg.Why(d.Kind))
		}
		if d.Kind == engine.CPU {
			if err := m.CheckBLAS(); err != nil {
				return sides, err
			}
		}
		n, err := strconv.Atoi(strings.TrimSpace(ts[i]))
		if err != nil {
			return sides, fmt.Errorf("--threads %q: %q is not a count (accepted: 0 for all cores, or a positive count)", threads, ts[i])
		}
		if err := checkThreads(n, m); err != nil {
			return sides, err
		}
		if d.Kind != engine.CPU {
			n = 0 // threads bound CPU engines only
		}
		if err := checkPrecision(d, precs[i], given[i]); err != nil {
			return sides, err
		}
		sides[i] = sweep.Side{Device: d.String(), Threads: n, Precision: precs[i]}
	}
	return sides, nil
}
