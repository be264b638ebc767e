package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"infertop/internal/atomicfile"
	"infertop/report"
	"infertop/session"
)

// writeReport writes the results to out (stdout when nil) with write, then,
// when plot is open and there is something to draw, the plot with draw,
// each into a temporary file renamed into place once complete; it returns
// the exit code their writing earns. A file not written leaves what was at
// its path as it was.
func writeReport(env Env, cmd string, out *atomicfile.File, write func(io.Writer) error, plot *atomicfile.File, hasPoints bool, draw func() error) int {
	var w io.Writer = env.Stdout
	if out != nil {
		w = out
	}
	code := ExitOK
	if err := write(w); err != nil {
		fmt.Fprintf(env.Stderr, "infertop %s: %v\n", cmd, err)
		out.Abort()
		code = ExitFailure
	} else if !commit(env, cmd, "output", out) {
		code = ExitFailure
	}
	if plot != nil && hasPoints {
		if err := draw(); err != nil {
			fmt.Fprintf(env.Stderr, "infertop %s: --plot: %v\n", cmd, err)
			plot.Abort()
			return ExitFailure
		}
		if !commit(env, cmd, "plot", plot) {
			return ExitFailure
		}
		fmt.Fprintf(env.Stderr, "plot written to %s\n", plot.Name())
	}
	return code
}

// commit puts a written result file in place (nil: nothing to do) and
// reports whether it is there.
func commit(env Env, cmd, flag string, f *atomicfile.File) bool {
	if f == nil {
		return true
	}
	if err := f.Commit(); err != nil {
		fmt.Fprintf(env.Stderr, "infertop %s: --%s: %v\n", cmd, flag, err)
		return false
	}
	return true
}

// openReportFiles checks the outputs (one file for two of them, a bad
// metrics address, a recording that cannot be written) and then starts
// --output (nil for stdout) and --plot (nil when not asked for), before
// anything is measured, so that a bad output fails first.
func openReportFiles(output, plotPath string, o session.Outputs) (out, plot *atomicfile.File, plotFormat string, err error) {
	if err := distinctPaths(pathFlag{"output", output}, pathFlag{"plot", plotPath}, pathFlag{"record", o.Record}); err != nil {
		return nil, nil, "", err
	}
	if err := session.CheckOutputs(o); err != nil {
		return nil, nil, "", err
	}
	if out, err = create("output", output); err != nil {
		return nil, nil, "", err
	}
	if plotPath != "" {
		if plot, plotFormat, err = report.CreatePlot(plotPath); err != nil {
			abortFiles(out)
			return nil, nil, "", fmt.Errorf("--plot: %w", err)
		}
	}
	return out, plot, plotFormat, nil
}

// create starts a result file before anything is measured, so that a path
// that cannot be written fails at once; "" means none. What is at the path
// stays until the result is complete (internal/atomicfile).
func create(flag, path string) (*atomicfile.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--%s %s cannot be written: %v", flag, path, err)
	}
	return f, nil
}

// abortFiles drops result files not committed (after a commit, nothing).
func abortFiles(fs ...*atomicfile.File) {
	for _, f := range fs {
		f.Abort()
	}
}

// pathFlag is a flag that names a file the command writes.
type pathFlag struct{ flag, path string }

// distinctPaths refuses one file for two of a command's outputs (--output
// and --record, say): one would overwrite the other.
func distinctPaths(outs ...pathFlag) error {
	for i, a := range outs {
		for _, b := range outs[i+1:] {
			if a.path != "" && b.path != "" && samePath(a.path, b.path) {
				return fmt.Errorf("--%s and --%s name the same file %s (give each output a file of its own)", a.flag, b.flag, b.path)
			}
		}
	}
	return nil
}

// samePath reports whether two paths name one file: the same absolute path,
// or, when both exist, the same file by another name (a link).
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return errors.Join(err1, err2) == nil && os.SameFile(sa, sb)
}

// isFormat reports whether f is one of report's output formats.
func isFormat(f string) bool {
	for _, v := range report.Formats() {
		if f == v {
			return true
		}
	}
	return false
}
