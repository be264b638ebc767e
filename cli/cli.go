// Package cli is infertop's command line and nothing else: flags, usage,
// error messages and exit codes, one file per command. Each command checks
// its flags, asks session (the application layer) for the work, and prints
// through report (every table, JSON and CSV) or runs the ui; main.go only
// calls Main.
//
// It never imports an engine's implementation (engine/cpu, engine/cuda,
// engine/reference, internal/blas, internal/peakcache), gpuinfo, hostinfo,
// metrics or onnx: what they offer a command, session offers (it opens the
// --model files). It uses engine only for device names, and model for the
// models session opened.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"infertop/session"
)

// Exit codes, as the Go habits of the project fix them. A command ended by
// a signal exits 128 + the signal's number, as shells expect: 130 after
// SIGINT (ExitInterrupted, what a command returns when its context ends),
// 143 after SIGTERM, 129 after SIGHUP.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// Env is what every command receives.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	return []command{
		{"dashboard", "the live dashboard (the default when no command is given)", runDashboard},
		{"bench", "measure presets or ONNX files (--model) headless and print a table, JSON or CSV", runBench},
		{"sweep", "find the best batch size: throughput, p99 and memory against batch size", runSweep},
		{"compare", "race two configurations (cpu vs cuda:0, or two thread counts) in alternating windows", runCompare},
		{"inspect", "describe a model without running it: shapes, FLOPs, memory, what each node compiles to", runInspect},
		{"infer", "run one batch of a model and write its outputs as .npy files, to check them against another framework", runInfer},
		{"presets", "list the built-in model presets (files run with --model FILE.onnx)", runPresets},
		{"devices", "list GPUs (NVML telemetry) and the devices this build can run", runDevices},
		{"selftest", "check a device's outputs against the CPU engine", runSelftest},
		{"calibrate", "measure a device's sgemm peak again (what \"% of peak\" divides by) and cache it", runCalibrate},
		{"replay", "play a recording made with --record back in the dashboard, read-only", runReplay},
		{"version", "print the version", runVersion},
	}
}

// Version is the program's version, printed by "infertop version" and written into reports.
const Version = session.Version

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := Env{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	ctx, stop := interruptible(ctx, stderr)
	defer stop()
	// No command, or flags first ("infertop --preset linear"), opens the dashboard.
	name := "dashboard"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-h" || args[0] == "--help") {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "--help":
		usage(stdout)
		return ExitOK
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") && name == "dashboard" {
		name, args = "version", args[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return exitCode(ctx, c.run(ctx, env, args))
		}
	}
	fmt.Fprintf(stderr, "infertop: unknown command %q (see infertop --help)\n", name)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "infertop profiles model inference live on the CPU and on NVIDIA GPUs.")
	fmt.Fprintln(w, "\nUsage: infertop <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"infertop <command> --help\" for a command's flags.")
	fmt.Fprintln(w, "\nEnvironment:")
	for _, e := range append(session.Environment(), session.EnvVar{Name: "NO_COLOR", Doc: "any value: the dashboard draws without colour"}) {
		fmt.Fprintf(w, "  %-22s %s\n", e.Name, e.Doc)
	}
}

// signalled is the cause of a context that a signal ended.
type signalled struct{ sig syscall.Signal }

func (s signalled) Error() string { return "interrupted by " + s.sig.String() }

// code is the exit status after the signal: 128 + its number.
func (s signalled) code() int { return 128 + int(s.sig) }

// interruptSignals end a command as Ctrl-C does: SIGHUP is a closed
// terminal, and like SIGTERM it must leave the results and the terminal as
// an interrupt does, not kill the process where it stands.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// interruptible cancels ctx, with the signal as its cause, on the first
// SIGINT, SIGTERM or SIGHUP, and exits at once on the second.
func interruptible(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, interruptSignals...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sig:
			cancel(signalled{sigNum(s)})
		case <-done:
			return
		}
		select {
		case s := <-sig:
			fmt.Fprintln(stderr, "infertop: interrupted twice, exiting now")
			os.Exit(signalled{sigNum(s)}.code())
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(sig); close(done); cancel(nil) }
}

func sigNum(s os.Signal) syscall.Signal {
	if n, ok := s.(syscall.Signal); ok {
		return n
	}
	return syscall.SIGINT
}

// exitCode is the process's exit status for a command that returned code:
// after a signal, 128 + the signal's number, whether the command saw the
// interruption (ExitInterrupted) or finished as it came (the dashboard's
// program quits on SIGTERM by itself); a failure or a usage error stands.
func exitCode(ctx context.Context, code int) int {
	var s signalled
	if (code == ExitOK || code == ExitInterrupted) && errors.As(context.Cause(ctx), &s) {
		return s.code()
	}
	return code
}

// newFlags returns a flag set whose errors go to stderr and that does not exit.
func newFlags(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: infertop %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns (code, false) when the command should stop:
// 0 after --help, 2 after a usage error (one line says why).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if code, ok := parseOnly(fs, args); !ok {
		return code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "infertop %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, false
	}
	return 0, true
}

// parseOnly parses args and leaves the arguments after the flags to the
// caller. --help prints the command's usage; an unknown flag or a bad value
// prints one line that points at --help, not the whole usage.
func parseOnly(fs *flag.FlagSet, args []string) (int, bool) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return ExitOK, false
	case err != nil:
		fmt.Fprintf(out, "infertop %s: %v (see infertop %s --help)\n", fs.Name(), err, fs.Name())
		return ExitUsage, false
	}
	return 0, true
}

// usageErr prints a one-line usage error and returns ExitUsage.
func usageErr(env Env, cmd string, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "infertop %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return ExitUsage
}

// failed prints err and returns its exit code: ExitUsage for a
// *session.UsageError (the person changes the command line), else ExitFailure.
func failed(env Env, cmd string, err error) int {
	fmt.Fprintf(env.Stderr, "infertop %s: %v\n", cmd, err)
	var ue *session.UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

// closed prints what closing a run's outputs failed at, one line each, and
// reports whether the recording is complete (a *session.RecordingError says
// it is not).
func closed(env Env, cmd string, err error) bool {
	if err == nil {
		return true
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	ok := true
	for _, e := range errs {
		fmt.Fprintf(env.Stderr, "infertop %s: %v\n", cmd, e)
		var re *session.RecordingError
		ok = ok && !errors.As(e, &re)
	}
	return ok
}

// outputFlags registers --metrics-addr and --record, the flags every
// measuring command shares.
func outputFlags(fs *flag.FlagSet) *session.Outputs {
	var o session.Outputs
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address, e.g. :9464 (every interface) or 127.0.0.1:9464 (this machine only)")
	fs.StringVar(&o.Record, "record", "", "record the run (snapshots, GPU samples, events) to this JSON Lines `FILE` for \"infertop replay\"")
	return &o
}

// serving prints where the endpoint of a run's outputs listens.
func serving(env Env, cmd string, metrics func() (url, addr string)) {
	if url, addr := metrics(); url != "" {
		fmt.Fprintf(env.Stderr, "infertop %s: metrics on %s (listening on %s)\n", cmd, url, addr)
	}
}

func runVersion(_ context.Context, env Env, _ []string) int {
	fmt.Fprintf(env.Stdout, "infertop %s\n", Version)
	return ExitOK
}
