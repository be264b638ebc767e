package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"infertop/report"
)

// writeJSON writes v as indented JSON, the form every command's --format json uses.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

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
