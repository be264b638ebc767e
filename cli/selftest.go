package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
	"infertop/session"
)

func runSelftest(ctx context.Context, env Env, args []string) int {
	return selftest(ctx, env, args, session.NewMachine())
}

// selftest runs every preset (and every --model file) at a few batch sizes
// on a device and compares the outputs with a baseline (session.Selftest).
// The results go to stdout; stderr says which case runs, how long the run
// has taken and about how long is left (caseProgress). --metrics-addr and
// --record report each case's verdict as it finishes (and, on a GPU, the
// GPUs' telemetry meanwhile).
func selftest(ctx context.Context, env Env, args []string, m session.Machine) int {
	def := "cpu"
	if session.CUDABuild {
		def = "cuda:0"
	}
	fs := newFlags(env, "selftest", "selftest [--device cuda:N|cuda:all|cpu] [--presets a,b|none] [--model FILE.onnx]... [--dim NAME=N]... [--batches 1,7,64] [--precision fp32|tf32|fp16|bf16] [--metrics-addr :9464] [--record FILE]"+
		modelUsage("selftest", "--device cuda:0 --presets none --model bert.onnx --dim seq=128"))
	device := fs.String("device", def, "device to test: cuda:N, cuda:all or cpu")
	precision := addPrecisionFlags(fs, fmt.Sprintf("the precision the device computes in, checked against float32 within its tolerance (fp32 %.0e, tf32 and fp16 %.0e, bf16 %.0e)",
		engine.FP32.Tolerance(), engine.FP16.Tolerance(), engine.BF16.Tolerance()))
	only := fs.String("presets", "", "comma-separated presets to test (default: all; none: only the --model files)")
	models := addModelFlags(fs, "an ONNX model to test too, `FILE.onnx` (repeatable; one exported with a fixed batch is tested at that batch)")
	batchList := fs.String("batches", "1,7,64", "comma-separated batch sizes")
	outputs := outputFlags(fs)
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
	prec, err := precision.on(dev)
	if err != nil {
		return usageErr(env, "selftest", "%v", err)
	}
	ms, err := selftestModels(models, *only)
	if err != nil {
		return usageErr(env, "selftest", "%v", err)
	}
	if err := session.CheckOutputs(*outputs); err != nil {
		return usageErr(env, "selftest", "%v", err)
	}
	if err := m.CheckBLAS(); err != nil { // the outputs are checked against the CPU engine's
		return usageErr(env, "selftest", "%v", err)
	}
	st, err := m.NewSelftest(dev, ms, batches, prec)
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop selftest: %v\n", err)
		return ExitFailure
	}
	if st.Note != "" {
		fmt.Fprintf(env.Stdout, "note: %s\n", st.Note)
	}
	obs, err := m.ObserveSelftest(ctx, *outputs, st)
	if err != nil {
		return failed(env, "selftest", err)
	}
	serving(env, "selftest", obs.Metrics)
	if obs.NoTelemetry != "" {
		fmt.Fprintf(env.Stderr, "infertop selftest: no GPU telemetry: %s\n", obs.NoTelemetry)
	}
	code := runCases(ctx, env, st, obs)
	if !closed(env, "selftest", obs.Close()) && code == ExitOK {
		return ExitFailure
	}
	return code
}

// selftestModels are the models a selftest checks: the presets --presets
// names (all by default, none with "none"), then every --model file.
func selftestModels(mf *modelFlags, only string) ([]*model.Model, error) {
	cat, err := mf.catalog()
	if err != nil {
		return nil, err
	}
	names := presets.NewModels(presets.DefaultSeed).Names()
	switch strings.TrimSpace(only) {
	case "":
	case "none":
		names = nil
	default:
		names = strings.Split(only, ",")
	}
	var ms []*model.Model
	for _, n := range names {
		p, err := session.Preset(cat, n)
		if err != nil {
			return nil, fmt.Errorf("--presets: %w", err)
		}
		ms = append(ms, p)
	}
	for _, f := range mf.files {
		m, err := cat.Get(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("--presets none leaves nothing to test: give --model FILE.onnx, or name presets")
	}
	return ms, nil
}

// runCases runs and reports every case, and the verdict over all of them.
// A model the device's engine refuses is reported once, with what it
// lacks, and its batches are neither passed nor failed.
func runCases(ctx context.Context, env Env, st *session.Selftest, obs *session.SelftestObserver) int {
	fmt.Fprintf(env.Stdout, "selftest %s in %s against %s, tolerance %.0e (max|out−base| / max|base|)\n", st.Device, st.Precision, st.Base, st.Tolerance())
	total := st.Cases()
	prog := newCaseProgress(env.Stderr, st, time.Now)
	done, failed, refusedCases := 0, 0, 0
	var refused []string
	engineLine := ""
	for _, m := range st.Models {
		for _, b := range st.BatchesOf(m) {
			if ctx.Err() != nil {
				fmt.Fprintln(env.Stderr, "infertop selftest: interrupted")
				obs.Event(runner.EventWarning, fmt.Sprintf("interrupted after %d of %d cases: the selftest is incomplete", done, total))
				return ExitInterrupted
			}
			prog.begin(m.Name, b)
			r := st.Check(m, b)
			if r.Engine != "" && r.Engine != engineLine {
				// Which libraries the device's engine loaded (cuBLAS, cuDNN), once.
				engineLine = r.Engine
				fmt.Fprintf(env.Stdout, "engine: %s\n", r.Engine)
			}
			if r.Refused {
				prog.refused(m.Name, len(st.BatchesOf(m)))
				r.Batch = 0 // every batch
				fmt.Fprintln(env.Stdout, r)
				obs.CaseDone(r)
				refused = append(refused, m.Name)
				refusedCases += len(st.BatchesOf(m))
				done += len(st.BatchesOf(m))
				break
			}
			prog.end(m.Name, b, r.Pass)
			fmt.Fprintln(env.Stdout, r)
			obs.CaseDone(r)
			done++
			if !r.Pass {
				failed++
			}
		}
	}
	ran := total - refusedCases
	also := ""
	if len(refused) > 0 {
		also = fmt.Sprintf("; %d refused: %s cannot run %s", refusedCases, st.Device, strings.Join(refused, ", "))
	}
	switch {
	case failed > 0:
		msg := fmt.Sprintf("FAIL: %d of %d cases%s", failed, ran, also)
		fmt.Fprintln(env.Stdout, msg)
		obs.Event(runner.EventError, msg)
		return ExitFailure
	case ran == 0:
		msg := fmt.Sprintf("FAIL: no case ran%s", also)
		fmt.Fprintln(env.Stdout, msg)
		obs.Event(runner.EventError, msg)
		return ExitFailure
	}
	msg := fmt.Sprintf("PASS: all %d cases%s", ran, also)
	fmt.Fprintln(env.Stdout, msg)
	obs.Event(runner.EventDone, msg)
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
