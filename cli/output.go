package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"infertop/report"
)

// writeReport writes the results to out (stdout when nil) with write, then,
// when plot is open and there is something to draw, the plot with draw; it
// returns the exit code their writing earns. A failed plot ends it, since
// the results are already written.
func writeReport(env Env, cmd string, out *os.File, write func(io.Writer) error, plot *os.File, hasPoints bool, draw func() error) int {
	var w io.Writer = env.Stdout
	if out != nil {
		w = out
	}
	code := ExitOK
	if err := write(w); err != nil {
		fmt.Fprintf(env.Stderr, "infertop %s: %v\n", cmd, err)
		code = ExitFailure
	}
	if plot != nil && hasPoints {
		if err := draw(); err != nil {
			fmt.Fprintf(env.Stderr, "infertop %s: --plot: %v\n", cmd, err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stderr, "plot written to %s\n", plot.Name())
	}
	return code
}

// openReportFiles opens --output (nil for stdout) and --plot (nil when not
// asked for) before anything is measured, so an unwritable path fails first.
func openReportFiles(output, plotPath string) (out, plot *os.File, plotFormat string, err error) {
	if out, err = create("output", output); err != nil {
		return nil, nil, "", err
	}
	if plotPath != "" {
		if plot, plotFormat, err = report.CreatePlot(plotPath); err != nil {
			closeFiles(out)
			return nil, nil, "", fmt.Errorf("--plot: %w", err)
		}
	}
	return out, plot, plotFormat, nil
}

// create opens a result file before anything is measured, so that a path that
// cannot be written fails at once; "" means none.
func create(flag, path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("--%s %s cannot be written: %v", flag, path, err)
	}
	return f, nil
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			_ = f.Close()
		}
	}
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
