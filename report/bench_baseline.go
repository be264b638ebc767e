package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
)

// BenchBaselineRow is one model, device and batch size measured by both
// benches: its samples/s then and now.
type BenchBaselineRow struct {
	Model  string `json:"model"`
	Device string `json:"device"`
	Batch  int    `json:"batch"`
	// SamplesPerSec compares the two rows' samples/s; its noise is the
	// larger of their window spreads.
	SamplesPerSec Change `json:"samples_per_sec"`
}

// benchCell keys a bench row by what was measured.
type benchCell struct {
	model, device string
	batch         int
}

func cellOf(r Row) benchCell { return benchCell{r.Model, r.Device, r.Batch} }

// LoadBenchBaseline reads an earlier bench's JSON document (what `infertop
// bench --format json` writes). A sweep's or a compare's JSON, or a
// document without rows, is refused with a message saying so.
func LoadBenchBaseline(path string) (Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Result{}, fmt.Errorf("cannot read %s: %v", path, err)
	}
	const how = "write one with `infertop bench --format json`"
	switch docKind(b) {
	case "":
		return Result{}, fmt.Errorf("%s is not an infertop JSON document (%s)", path, how)
	case "sweep", "compare":
		return Result{}, fmt.Errorf("%s is a %s's JSON, not a bench's (%s; a %s's goes to `infertop %s --baseline`)", path, docKind(b), how, docKind(b), docKind(b))
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return Result{}, fmt.Errorf("%s is not a bench's JSON: %v (%s)", path, err, how)
	}
	if len(res.Rows) == 0 {
		return Result{}, fmt.Errorf("%s holds no rows (%s)", path, how)
	}
	return res, nil
}

// CheckBenchBaseline refuses a baseline that measured none of the models,
// devices and batch sizes this bench measures (want lists them).
func CheckBenchBaseline(old Result, want []Row) error {
	have := map[benchCell]bool{}
	var held []string
	for _, r := range old.Rows {
		have[cellOf(r)] = true
		held = append(held, fmt.Sprintf("%s on %s at batch %d", r.Model, r.Device, r.Batch))
	}
	for _, r := range want {
		if have[cellOf(r)] {
			return nil
		}
	}
	return fmt.Errorf("no model, device and batch size in common with this bench (the baseline measured %s)", strings.Join(held, ", "))
}

// BenchBaselineRows pairs the rows both benches measured, in cur's order.
func BenchBaselineRows(old, cur []Row) []BenchBaselineRow {
	byCell := map[benchCell]Row{}
	for _, r := range old {
		byCell[cellOf(r)] = r
	}
	rows := []BenchBaselineRow{}
	for _, r := range cur {
		o, ok := byCell[cellOf(r)]
		if !ok || o.SamplesPerSec <= 0 || r.Error != "" {
			continue
		}
		rows = append(rows, BenchBaselineRow{Model: r.Model, Device: r.Device, Batch: r.Batch,
			SamplesPerSec: newChange(o.SamplesPerSec, r.SamplesPerSec, o.Stability.WindowSpread, r.Stability.WindowSpread)})
	}
	return rows
}

// writeBenchBaselineTable prints one line per row both benches measured,
// with the ratio new/old and a flag for changes beyond the noise.
func writeBenchBaselineTable(w io.Writer, rows []BenchBaselineRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "\nbaseline: no row in common with this bench")
		return err
	}
	fmt.Fprintln(w, "\nAgainst the baseline (samples/s new/old; flagged when beyond the noise, the larger window spread):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MODEL\tDEVICE\tBATCH\tOLD SAMPLES/S\tNEW SAMPLES/S\tRATIO\tNOISE ±%\t\t")
	for _, r := range rows {
		c := r.SamplesPerSec
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t×%.3f\t%.1f\t%s\t\n", r.Model, r.Device, r.Batch, units.Rate(c.Old, 3), units.Rate(c.New, 3),
			c.Ratio, 100*c.Noise, c.Flag("faster", "SLOWER"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the baseline table: %w", err)
	}
	return nil
}
