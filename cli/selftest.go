package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"infertop/engine"
	"infertop/presets"
	"infertop/runner"
	"infertop/session"
)

func runSelftest(ctx context.Context, env Env, args []string) int {
	return selftest(ctx, env, args, session.NewMachine())
}

// selftest runs every preset at a few batch sizes on a device and compares
// the outputs with a baseline (session.Selftest). --metrics-addr and
// --record report each case's verdict as it finishes (and, on a GPU, the
// GPUs' telemetry meanwhile).
func selftest(ctx context.Context, env Env, args []string, m session.Machine) int {
	def := "cpu"
	if session.CUDABuild {
		def = "cuda:0"
	}
	fs := newFlags(env, "selftest", "selftest [--device cuda:N|cuda:all|cpu] [--presets a,b] [--batches 1,7,64] [--tf32] [--metrics-addr :9464] [--record FILE]")
	device := fs.String("device", def, "device to test: cuda:N, cuda:all or cpu")
	tf32 := fs.Bool("tf32", false, "GPU: allow TF32 tensor cores, and accept a relative error up to 1e-2 instead of 1e-3")
	only := fs.String("presets", "", "comma-separated presets to test (default: all)")
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
	st, err := m.NewSelftest(dev, ps, batches, *tf32)
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

// runCases runs and reports every case, and the verdict over all of them.
func runCases(ctx context.Context, env Env, st *session.Selftest, obs *session.SelftestObserver) int {
	with := ""
	if st.TF32 {
		with = " with TF32"
	}
	fmt.Fprintf(env.Stdout, "selftest %s%s against %s, tolerance %.0e (max|out−base| / max|base|)\n", st.Device, with, st.Base, st.Tolerance())
	total := st.Cases()
	done, failed := 0, 0
	engineLine := ""
	for _, p := range st.Presets {
		for _, b := range st.Batches {
			if ctx.Err() != nil {
				fmt.Fprintln(env.Stderr, "infertop selftest: interrupted")
				obs.Event(runner.EventWarning, fmt.Sprintf("interrupted after %d of %d cases: the selftest is incomplete", done, total))
				return ExitInterrupted
			}
			r := st.Check(p, b)
			if r.Engine != "" && r.Engine != engineLine {
				// Which libraries the device's engine loaded (cuBLAS, cuDNN), once.
				engineLine = r.Engine
				fmt.Fprintf(env.Stdout, "engine: %s\n", r.Engine)
			}
			fmt.Fprintln(env.Stdout, r)
			obs.CaseDone(r)
			done++
			if !r.Pass {
				failed++
			}
		}
	}
	if failed > 0 {
		msg := fmt.Sprintf("FAIL: %d of %d cases", failed, total)
		fmt.Fprintln(env.Stdout, msg)
		obs.Event(runner.EventError, msg)
		return ExitFailure
	}
	msg := fmt.Sprintf("PASS: all %d cases", total)
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
