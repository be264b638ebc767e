package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"infertop/model"
	"infertop/report"
	"infertop/runner"
	"infertop/session"
	"infertop/ui"
)

// resultEnv names a file the dashboard writes its final snapshot's figures to
// on exit (used by scripts/tui-overhead.sh to compare with `infertop bench`).
const resultEnv = "INFERTOP_DASHBOARD_RESULT"

// dashboardDeps are what runDashboard reaches outside the process; tests replace them.
type dashboardDeps struct {
	machine    session.Machine
	isTerminal func(w io.Writer) bool
}

func runDashboard(ctx context.Context, env Env, args []string) int {
	return dashboardMain(ctx, env, args, dashboardDeps{machine: session.NewMachine(), isTerminal: isTerminal})
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func dashboardMain(ctx context.Context, env Env, args []string, deps dashboardDeps) int {
	fs := newFlags(env, "dashboard", "[dashboard] [--preset mlp] [--model FILE.onnx]... [--dim NAME=N]... [--device cpu|cuda:N|cuda:all] [--precision fp32|tf32|fp16|bf16] [--batch N] [--threads N] [--fake-gpus N] [--interval 500ms] [--warmup 1s] [--arrival poisson:RATE [--max-delay 2ms] [--preferred-batch 8,16] [--instances K]] [--metrics-addr :9464] [--record FILE]"+
		modelUsage("dashboard", "--model resnet50.onnx --model bert.onnx --dim seq=128   (starts on resnet50.onnx; p switches)")+servingUsage+
		"\nIn the dashboard, o switches between batches back to back and serving mode; --batch is then the max batch.")
	var s session.DashboardSpec
	preset := fs.String("preset", "mlp", "model preset to start on (see \"infertop presets\"); with --model, the first file is started on unless --preset is given")
	models := addModelFlags(fs, "an ONNX model for the p picker, `FILE.onnx` (repeatable; the first is started on unless --preset is given)")
	fs.StringVar(&s.Device, "device", "", "device: cpu, cuda:N or cuda:all (default cuda:0 when this build has CUDA and a GPU is visible, else cpu)")
	batch := fs.String("batch", "", "batch size, 1 to 16777216 (default: the model's)")
	fs.IntVar(&s.Threads, "threads", 0, "CPU compute threads (default: all cores)")
	precision := addPrecisionFlags(fs, "GPU runs, and the s sweep and c race on a GPU; the header shows it with the relative error of a batch against the CPU's float32")
	fs.IntVar(&s.FakeGPUs, "fake-gpus", 0, "show N simulated GPUs (labelled FAKE) instead of asking NVML")
	fs.DurationVar(&s.Interval, "interval", session.DefaultInterval, "GPU telemetry interval (minimum 100ms)")
	fs.DurationVar(&s.Warmup, "warmup", runner.DefaultWarmup, "least warm-up time before measuring")
	fs.DurationVar(&s.SLOP99, "slo-p99", 0, "p99 objective for the s sweep, e.g. 20ms: it then recommends the fastest batch that meets it (default: the knee); in serving mode goodput counts the requests answered within it")
	serving := addServingFlags(fs)
	outputs := outputFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	s.Outputs = *outputs
	var err error
	if s.Batch, err = parseBatchFlag(*batch, true); err != nil {
		return usageErr(env, "dashboard", "%v", err)
	}
	if err := checkDashboardFlags(&s, precision, deps.machine); err != nil {
		return usageErr(env, "dashboard", "%v", err)
	}
	if err := session.CheckOutputs(s.Outputs); err != nil {
		return usageErr(env, "dashboard", "%v", err)
	}
	if err := deps.machine.CheckBLAS(); err != nil { // the CPU runs, and the d key reaches it
		return usageErr(env, "dashboard", "%v", err)
	}
	start, err := dashboardModel(fs, models, *preset, s.Batch)
	if err != nil {
		return usageErr(env, "dashboard", "%v", err)
	}
	s.Catalog, s.Model, s.Dims = start.cat, start.m.Name, dimsOf(models)
	if s.Serving, err = serving.spec(fs, ""); err != nil {
		return usageErr(env, "dashboard", "%v", err)
	}
	if s.Serving != nil {
		s.Serving.SLOP99 = s.SLOP99
		if err := session.CheckServing(*s.Serving, start.m, cmp.Or(s.Batch, start.m.DefaultBatch)); err != nil {
			return usageErr(env, "dashboard", "%v", err)
		}
	}
	if !deps.isTerminal(env.Stdout) {
		fmt.Fprintln(env.Stderr, "infertop: the dashboard needs a terminal, and standard output is not one; for scripts use `infertop bench` (see `infertop bench --help`)")
		return ExitUsage
	}
	d, err := deps.machine.OpenDashboard(ctx, s)
	if err != nil {
		var ue *session.UsageError
		if errors.As(err, &ue) {
			return usageErr(env, "dashboard", "%v", err)
		}
		fmt.Fprintf(env.Stderr, "infertop: %v\n", err)
		return ExitFailure
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dash := ui.New(ui.Options{
		Session: d, Snapshots: d.Snapshots, RunnerDone: d.Done(), Initial: d.Initial,
		Samples: d.Samples, NVMLError: d.NVMLError, Host: d.Host,
		Catalog: s.Catalog, Files: d, Devices: d.Devices, MaxBatch: maxBatch, Serving: d.Serving,
		NoColor: os.Getenv("NO_COLOR") != "", Dark: true,
	}).WithBatchTuning(ctx)
	_, runErr := tea.NewProgram(dash, tea.WithContext(ctx), tea.WithFPS(10), tea.WithOutput(env.Stdout)).Run()
	dash.StopTuning()
	if !closed(env, "dashboard", d.Close()) {
		return ExitFailure
	}
	if path := os.Getenv(resultEnv); path != "" {
		if err := report.WriteDashboardResult(path, d.Latest()); err != nil {
			fmt.Fprintf(env.Stderr, "infertop: %v\n", err)
			return ExitFailure
		}
	}
	switch {
	case errors.Is(runErr, tea.ErrProgramKilled) || errors.Is(runErr, tea.ErrInterrupted):
		return ExitInterrupted
	case runErr != nil:
		fmt.Fprintf(env.Stderr, "infertop: dashboard: %v\n", runErr)
		return ExitFailure
	}
	return ExitOK
}

// dashboardStart is the catalog of a dashboard and the model it starts on.
type dashboardStart struct {
	cat *model.Catalog
	m   *model.Model
}

// dashboardModel opens the catalog (the presets and every --model file) and
// picks the model to start on: the first file, unless --preset is given
// (or no file is), which must be able to run at batch (0: its default).
func dashboardModel(fs *flag.FlagSet, mf *modelFlags, preset string, batch int) (dashboardStart, error) {
	cat, err := mf.catalog()
	if err != nil {
		return dashboardStart{}, err
	}
	var m *model.Model
	if len(mf.files) > 0 && !flagSet(fs, "preset") {
		m, err = cat.Get(mf.files[0])
	} else {
		m, err = session.Preset(cat, preset)
	}
	if err != nil {
		return dashboardStart{}, err
	}
	if batch == 0 {
		batch = m.DefaultBatch
	}
	if err := session.CheckModel(m, []int{batch}); err != nil {
		return dashboardStart{}, err
	}
	return dashboardStart{cat, m}, nil
}

// checkDashboardFlags checks the flags and sets s.Precision; a device
// left to default is checked against the precision when it is decided
// (session.OpenDashboard).
func checkDashboardFlags(s *session.DashboardSpec, precision precisionFlags, m session.Machine) error {
	var err error
	if s.Precision, _, err = precision.value(); err != nil {
		return err
	}
	if s.Device != "" {
		d, err := parseDevice(s.Device)
		if err != nil {
			return err
		}
		if s.Precision, err = precision.on(d); err != nil {
			return err
		}
	}
	switch {
	case checkThreads(s.Threads, m) != nil:
		return checkThreads(s.Threads, m)
	case s.FakeGPUs < 0 || s.FakeGPUs > session.MaxFakeGPUs:
		return fmt.Errorf("--fake-gpus %d is out of range (0 to %d)", s.FakeGPUs, session.MaxFakeGPUs)
	case s.Interval < session.MinInterval:
		return fmt.Errorf("--interval %v is too short (the minimum is %v)", s.Interval, session.MinInterval)
	case s.Warmup < 0:
		return fmt.Errorf("--warmup %v is negative", s.Warmup)
	case s.SLOP99 < 0:
		return fmt.Errorf("--slo-p99 %v is negative (accepted: a positive duration such as 20ms)", s.SLOP99)
	}
	return nil
}
