package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/model"
	"infertop/session"
)

// peakExec is an executor that reports a given peak and thread count.
type peakExec struct {
	engine.Executor
	info engine.Info
}

func (e peakExec) Info() engine.Info { return e.info }
func (e peakExec) Close() error      { return nil }

func runCalibrateArgs(reg *engine.Registry, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := calibrateMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, args, session.Machine{Registry: reg})
	return code, out.String(), errb.String()
}

// calibrate opens the engine with Recalibrate set and reports the figure
// it measured; bad flags are usage errors naming what is accepted.
func TestCalibrate(t *testing.T) {
	var got engine.Options
	peak := 142.5
	how := engine.Peak{Runs: 7, Spread: 0.031, Busy: 0.97}
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(_ engine.Device, _ *model.Model, o engine.Options) (engine.Executor, error) {
		got = o
		threads := o.Threads
		if threads == 0 {
			threads = 2 // all cores of this imagined machine
		}
		return peakExec{info: engine.Info{Device: "cpu", Engine: "cpu+openblas", Detail: "OpenBLAS 0.3.21", Threads: threads, PeakGFLOPS: peak, Peak: how}}, nil
	})
	reg.Unavailable(engine.CUDA, "built without CUDA")

	code, out, errs := runCalibrateArgs(reg)
	if code != ExitOK || !got.Recalibrate || got.Threads != 0 ||
		out != "cpu with 2 threads: sgemm peak 142.5 GFLOP/s (best of 7 rounds, spread 3.1 %, 97 % of its threads' time; cpu+openblas; OpenBLAS 0.3.21), cached for later runs\n" {
		t.Errorf("exit %d, options %+v:\n%s%s", code, got, out, errs)
	}
	if code, out, _ = runCalibrateArgs(reg, "--threads", "1"); code != ExitOK || got.Threads != 1 || !strings.HasPrefix(out, "cpu with 1 thread: ") {
		t.Errorf("--threads 1: exit %d, options %+v: %s", code, got, out)
	}
	// A figure from a busy machine is shown but not cached, and calibrate fails.
	how = engine.Peak{Runs: 7, Spread: 0.18, Busy: 0.55, NotCached: "its 7 rounds spread 18 % (limit 10 %); the machine was busy"}
	if code, out, errs = runCalibrateArgs(reg); code != ExitFailure || out != "cpu with 2 threads: sgemm peak 142.5 GFLOP/s (best of 7 rounds, spread 18.0 %, 55 % of its threads' time; cpu+openblas; OpenBLAS 0.3.21)\n" ||
		errs != "measuring the sgemm peak of cpu…\ninfertop calibrate: the figure is not cached: its 7 rounds spread 18 % (limit 10 %); the machine was busy; runs measure the peak again until one is (run calibrate on a quiet machine)\n" {
		t.Errorf("not cached: exit %d:\n%s%s", code, out, errs)
	}
	peak = 0
	if code, _, errs = runCalibrateArgs(reg); code != ExitFailure || !strings.Contains(errs, "cpu: the calibration gave no figure (OpenBLAS 0.3.21)") {
		t.Errorf("no figure: exit %d: %s", code, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--device", "tpu"}, "infertop calibrate: --device: "},
		{[]string{"--device", "cuda:0"}, "device cuda:0 is not available in this build: built without CUDA"},
		{[]string{"--threads", "-2"}, "--threads -2 is negative (accepted: 0 for all cores, or 1 to "},
		{[]string{"--tf32"}, "--tf32 applies to CUDA devices (cuda:N, cuda:all), not cpu"},
		{[]string{"--precision", "fp16"}, "--precision fp16 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only"},
		{[]string{"--precision", "f8"}, `--precision "f8" is not a precision (accepted: fp32|tf32|fp16|bf16)`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		if code, _, errs := runCalibrateArgs(reg, c.args...); code != ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errs, c.want)
		}
	}
}
