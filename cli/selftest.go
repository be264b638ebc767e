package cli

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/engine/reference"
	"infertop/gpuinfo"
	"infertop/internal/units"
	"infertop/presets"
	"infertop/runner"
)

// selftestTolerance is the largest accepted max|out−base| / max|base|.
const selftestTolerance = 1e-3

// selftestToleranceTF32 replaces it with --tf32: TF32 tensor cores round
// every product's inputs to 10-bit mantissas (2^-11 relative each), which a
// network's layers compound to about 1e-3; a wrong kernel is off by far more.
const selftestToleranceTF32 = 1e-2

// selftestDeps are what selftest takes from the machine; tests replace them.
type selftestDeps struct {
	registry *engine.Registry
	// openNVML opens the GPU telemetry that --metrics-addr and --record report.
	openNVML func() (*gpuinfo.Monitor, error)
}

func runSelftest(ctx context.Context, env Env, args []string) int {
	return selftest(ctx, env, args, selftestDeps{registry: newRegistry(),
		openNVML: func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) }})
}

// selftest runs every preset at a few batch sizes on a device and compares the
// outputs with a baseline on the same deterministic input: the CPU engine for a
// GPU (the plain-Go reference when this build has no CPU engine), the reference
// for the CPU engine itself. --metrics-addr and --record report each case's
// verdict as it finishes (and, on a GPU, the GPUs' telemetry meanwhile).
func selftest(ctx context.Context, env Env, args []string, deps selftestDeps) int {
	reg := deps.registry
	def := "cpu"
	if cudaBuild {
		def = "cuda:0"
	}
	fs := newFlags(env, "selftest", "selftest [--device cuda:N|cuda:all|cpu] [--presets a,b] [--batches 1,7,64] [--tf32] [--metrics-addr :9464] [--record FILE]")
	device := fs.String("device", def, "device to test: cuda:N, cuda:all or cpu")
	tf32 := fs.Bool("tf32", false, "GPU: allow TF32 tensor cores, and accept a relative error up to 1e-2 instead of 1e-3")
	only := fs.String("presets", "", "comma-separated presets to test (default: all)")
	batchList := fs.String("batches", "1,7,64", "comma-separated batch sizes")
	var obsFlags observeFlags
	obsFlags.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dev, err := engine.ParseDevice(*device)
	if err != nil {
		return usageErr(env, "selftest", "%v", err)
	}
	batches, err := parseBatches(*batchList)
	if err != nil {
		return usageErr(env, "selftest", "%v", err)
	}
	if err := checkTF32(dev, *tf32); err != nil {
		return usageErr(env, "selftest", "%v", err)
	}
	cat := presets.NewCatalog()
	ps := cat.All()
	if *only != "" {
		ps = nil
		for _, n := range strings.Split(*only, ",") {
			p, err := cat.Get(n)
			if err != nil {
				return usageErr(env, "selftest", "%v", err)
			}
			ps = append(ps, p)
		}
	}
	if !reg.Has(dev.Kind) {
		fmt.Fprintf(env.Stderr, "infertop selftest: device %s is not available in this build: %s\n", dev, reg.Why(dev.Kind))
		return ExitFailure
	}
	base := "reference"
	if dev.Kind != engine.CPU {
		if reg.Has(engine.CPU) {
			base = "cpu"
		} else {
			fmt.Fprintln(env.Stdout, "note: this build has no CPU engine; comparing with the plain-Go reference instead")
		}
	}
	plan := selftestPlan{device: dev, base: base, presets: ps, batches: batches, tf32: *tf32}
	obs, code, ok := observeSelftest(ctx, env, obsFlags, deps.openNVML, plan)
	if !ok {
		return code
	}
	code = runCases(ctx, env, reg, obs, plan)
	if !obs.stop() && code == ExitOK {
		return ExitFailure
	}
	return code
}

// runCases runs and reports every case, and the verdict over all of them.
func runCases(ctx context.Context, env Env, reg *engine.Registry, obs *selftestObserver, plan selftestPlan) int {
	with := ""
	if plan.tf32 {
		with = " with TF32"
	}
	fmt.Fprintf(env.Stdout, "selftest %s%s against %s, tolerance %.0e (max|out−base| / max|base|)\n", plan.device, with, plan.base, plan.tolerance())
	ps, batches := plan.presets, plan.batches
	total := len(ps) * len(batches)
	done, failed := 0, 0
	engineLine := ""
	for _, p := range ps {
		for _, b := range batches {
			if ctx.Err() != nil {
				fmt.Fprintln(env.Stderr, "infertop selftest: interrupted")
				obs.event(runner.EventWarning, fmt.Sprintf("interrupted after %d of %d cases: the selftest is incomplete", done, total))
				return ExitInterrupted
			}
			r := checkCase(reg, plan, p, b)
			if r.engine != "" && r.engine != engineLine {
				// Which libraries the device's engine loaded (cuBLAS, cuDNN), once.
				engineLine = r.engine
				fmt.Fprintf(env.Stdout, "engine: %s\n", r.engine)
			}
			fmt.Fprintln(env.Stdout, r)
			obs.caseDone(r)
			done++
			if !r.pass {
				failed++
			}
		}
	}
	if failed > 0 {
		msg := fmt.Sprintf("FAIL: %d of %d cases", failed, total)
		fmt.Fprintln(env.Stdout, msg)
		obs.event(runner.EventError, msg)
		return ExitFailure
	}
	msg := fmt.Sprintf("PASS: all %d cases", total)
	fmt.Fprintln(env.Stdout, msg)
	obs.event(runner.EventDone, msg)
	return ExitOK
}

func parseBatches(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("batch %q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// caseResult is one preset × batch outcome.
type caseResult struct {
	preset    string
	batch     int
	pass      bool
	err       error
	compared  bool // rel was computed
	rel       float64
	took      time.Duration
	device    string
	baseTook  time.Duration
	baseLabel string
	tol       float64
	// engine is the device's engine and its detail; plan how it computed
	// this batch (engine.Info.Plan), when that depends on the batch.
	engine, plan string
}

func (r caseResult) String() string {
	head := fmt.Sprintf("%-4s %-12s batch %4d", map[bool]string{true: "PASS", false: "FAIL"}[r.pass], r.preset, r.batch)
	if r.err != nil {
		return head + "  " + r.err.Error()
	}
	s := fmt.Sprintf("%s  max rel err %.2e  %s %s  (%s %s)", head, r.rel, r.device, units.Millis(r.took), r.baseLabel, units.Millis(r.baseTook))
	if r.plan != "" {
		s += "  [" + r.plan + "]"
	}
	return s
}

func checkCase(reg *engine.Registry, plan selftestPlan, p *presets.Preset, batch int) caseResult {
	base := plan.base
	res := caseResult{preset: p.Name, batch: batch, device: plan.device.String(), baseLabel: base, tol: plan.tolerance()}
	in := make([]float32, batch*p.InputSize())
	p.FillInput(in, presets.DefaultSeed)
	out, took, info, err := runOnce(reg, plan.device.String(), engine.Options{Seed: presets.DefaultSeed, TF32: plan.tf32}, p, batch, in)
	if err != nil {
		res.err = err
		return res
	}
	res.took, res.plan = took, info.Plan
	if info.Detail != "" {
		res.engine = info.Engine + " · " + info.Detail
	}
	var want []float32
	if base == "cpu" {
		want, res.baseTook, _, err = runOnce(reg, "cpu", engine.Options{Seed: presets.DefaultSeed}, p, batch, in)
		if err != nil {
			res.err = fmt.Errorf("baseline cpu: %w", err)
			return res
		}
	} else {
		start := time.Now()
		want = reference.Forward(p, p.Weights(presets.DefaultSeed), in, batch)
		res.baseTook = time.Since(start)
	}
	res.rel, err = relErr(out, want)
	res.err, res.compared = err, err == nil
	res.pass = err == nil && res.rel <= plan.tolerance()
	if err == nil && !res.pass {
		res.err = fmt.Errorf("max rel err %.2e exceeds %.0e", res.rel, plan.tolerance())
	}
	return res
}

// runOnce opens device for p, runs the batch twice (the first run warms up) into
// NaN-poisoned outputs and returns the second output, its wall time and
// what the engine says of itself and of the prepared batch.
func runOnce(reg *engine.Registry, device string, opts engine.Options, p *presets.Preset, batch int, in []float32) ([]float32, time.Duration, engine.Info, error) {
	ex, err := reg.Open(device, p, opts)
	if err != nil {
		return nil, 0, engine.Info{}, err
	}
	out, took, err := runPrepared(ex, batch, p.OutputSize(), in)
	info := ex.Info()
	if cerr := ex.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return out, took, info, err
}

func runPrepared(ex engine.Executor, batch, outSize int, in []float32) ([]float32, time.Duration, error) {
	if err := ex.Prepare(batch); err != nil {
		return nil, 0, fmt.Errorf("prepare: %w", err)
	}
	out := make([]float32, batch*outSize)
	var took time.Duration
	for range 2 {
		nan := float32(math.NaN())
		for i := range out {
			out[i] = nan
		}
		start := time.Now()
		if _, err := ex.Run(in, out); err != nil {
			return nil, 0, fmt.Errorf("run: %w", err)
		}
		took = time.Since(start)
	}
	return out, took, nil
}

// relErr is max|got−want| / max|want|; a NaN or Inf in got, or a length
// mismatch, is an error (NaN poison left in place means an element was never written).
func relErr(got, want []float32) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("output has %d values, baseline %d", len(got), len(want))
	}
	var diff, scale float64
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return 0, fmt.Errorf("output[%d] = %v (not written or not finite)", i, got[i])
		}
		diff = max(diff, math.Abs(g-w))
		scale = max(scale, math.Abs(w))
	}
	if scale == 0 {
		return diff, nil
	}
	return diff / scale, nil
}
