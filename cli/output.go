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
