package cli

import (
	"context"
	"fmt"

	"infertop/session"
)

func runCalibrate(ctx context.Context, env Env, args []string) int {
	return calibrateMain(ctx, env, args, session.NewMachine())
}

// calibrateMain measures a device's sgemm peak again through its engine
// (engine.Options.Recalibrate) and reports the figure the engine now caches.
func calibrateMain(_ context.Context, env Env, args []string, m session.Machine) int {
	fs := newFlags(env, "calibrate", "calibrate [--device cpu|cuda:N|cuda:all] [--threads N] [--precision fp32|tf32|fp16|bf16]\n\n"+
		"Measures the device's float32 sgemm peak again and replaces the cached figure that every\n"+
		"\"% of peak\" divides by (CPU: per machine, BLAS and thread count; GPU: per card and cuBLAS,\n"+
		"and with --precision tf32, fp16 or bf16 that tensor-core rate, which bench --precision divides\n"+
		"by): the best of seven\n"+
		"timed rounds, cached only when the rounds agree within 10 % and the machine was quiet\n"+
		"(exit 1 otherwise, with why). Run it on a quiet machine when a run says the peak is stale.")
	device := fs.String("device", "cpu", "the device to calibrate: cpu, cuda:N or cuda:all")
	threads := fs.Int("threads", 0, "CPU threads the peak is for, as bench and the dashboard take them (0 = all cores)")
	precision := addPrecisionFlags(fs, "GPU: the precision whose rate to measure (the peak bench --precision divides by) instead of float32's")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dev, err := runnableDevice(m, *device)
	if err != nil {
		return usageErr(env, "calibrate", "%v", err)
	}
	if err := checkThreads(*threads, m); err != nil {
		return usageErr(env, "calibrate", "%v", err)
	}
	prec, err := precision.on(dev)
	if err != nil {
		return usageErr(env, "calibrate", "%v", err)
	}
	fmt.Fprintf(env.Stderr, "measuring the sgemm peak of %s…\n", dev)
	c, err := m.Calibrate(dev, *threads, prec)
	if c.CloseErr != nil {
		fmt.Fprintf(env.Stderr, "infertop calibrate: %v\n", c.CloseErr)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "infertop calibrate: %v\n", err)
		return ExitFailure
	}
	info := c.Info
	with := ""
	switch {
	case info.Threads == 1:
		with = " with 1 thread"
	case info.Threads > 1:
		with = fmt.Sprintf(" with %d threads", info.Threads)
	}
	how := info.Peak
	notCached := how.NotCached
	how.NotCached = ""
	about := info.Engine + "; " + info.Detail
	if h := how.String(); h != "" {
		about = h + "; " + about
	}
	fmt.Fprintf(env.Stdout, "%s%s: sgemm peak %.4g GFLOP/s (%s)", info.Device, with, info.PeakGFLOPS, about)
	if notCached != "" {
		fmt.Fprintln(env.Stdout)
		fmt.Fprintf(env.Stderr, "infertop calibrate: the figure is not cached: %s; runs measure the peak again until one is (run calibrate on a quiet machine)\n", notCached)
		return ExitFailure
	}
	fmt.Fprintln(env.Stdout, ", cached for later runs")
	return ExitOK
}
