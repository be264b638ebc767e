package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/sweep"
)

// SweepDoc is the JSON document `infertop sweep --format json` writes and
// --baseline reads back.
type SweepDoc struct {
	Meta  Meta         `json:"meta"`
	Sweep sweep.Result `json:"sweep"`
	// Baseline compares the sweep with an earlier one (absent without --baseline).
	Baseline []BaselineRow `json:"baseline,omitempty"`
}

// CompareDoc is the JSON document `infertop compare --format json` writes
// and `infertop compare --baseline` reads back.
type CompareDoc struct {
	Meta    Meta                `json:"meta"`
	Compare sweep.CompareResult `json:"compare"`
	// Baseline compares the race with an earlier one (absent without --baseline).
	Baseline []CompareBaselineRow `json:"baseline,omitempty"`
}

// BaselineRow is one batch size measured in both runs.
type BaselineRow struct {
	Batch int `json:"batch"`
	// Old and New are samples/s; Ratio is New / Old.
	Old   float64 `json:"old_samples_per_sec"`
	New   float64 `json:"new_samples_per_sec"`
	Ratio float64 `json:"ratio"`
	// OldP99MS and NewP99MS are the p99 latencies in ms.
	OldP99MS float64 `json:"old_p99_ms"`
	NewP99MS float64 `json:"new_p99_ms"`
	// Noise is the larger of the two runs' window spreads (the stability
	// threshold when neither measured one); Flagged says |Ratio − 1| > Noise.
	Noise   float64 `json:"noise"`
	Flagged bool    `json:"flagged"`
}

// LoadBaseline reads an earlier sweep's JSON document.
func LoadBaseline(path string) (sweep.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return sweep.Result{}, fmt.Errorf("reading baseline: %w", err)
	}
	if docKind(b) == "compare" {
		return sweep.Result{}, fmt.Errorf("baseline %s is a compare's JSON, not a sweep's (write one with `infertop sweep --format json`; a compare's goes to `infertop compare --baseline`)", path)
	}
	var doc SweepDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return sweep.Result{}, fmt.Errorf("baseline %s is not a sweep's JSON: %w", path, err)
	}
	if len(doc.Sweep.Points) == 0 {
		return sweep.Result{}, fmt.Errorf("baseline %s holds no sweep points (write one with `infertop sweep --format json`)", path)
	}
	return doc.Sweep, nil
}

// CompareToBaseline pairs the batch sizes both runs measured, in cur's order.
func CompareToBaseline(old, cur sweep.Result) []BaselineRow {
	byBatch := map[int]sweep.Point{}
	for _, p := range old.Points {
		byBatch[p.Batch] = p
	}
	rows := []BaselineRow{}
	for _, p := range cur.Points {
		o, ok := byBatch[p.Batch]
		if !ok || o.SamplesPerSec <= 0 {
			continue
		}
		c := newChange(o.SamplesPerSec, p.SamplesPerSec, o.Noise, p.Noise)
		rows = append(rows, BaselineRow{Batch: p.Batch, Old: c.Old, New: c.New, Ratio: c.Ratio,
			OldP99MS: o.P99MS, NewP99MS: p.P99MS, Noise: c.Noise, Flagged: c.Flagged})
	}
	return rows
}

// WriteBaselineTable prints one line per batch with the ratio and a flag for
// changes beyond the noise.
func WriteBaselineTable(w io.Writer, rows []BaselineRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "baseline: no batch size in common with this sweep")
		return err
	}
	fmt.Fprintln(w, "Against the baseline (throughput ratio new/old; flagged when beyond the noise of the stable windows):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "BATCH\tOLD SAMPLES/S\tNEW SAMPLES/S\tRATIO\tNOISE ±%\tOLD P99 ms\tNEW P99 ms\t\t")
	for _, r := range rows {
		flag := Change{Ratio: r.Ratio, Flagged: r.Flagged}.Flag("faster", "SLOWER")
		fmt.Fprintf(tw, "%d\t%s\t%s\t×%.3f\t%.1f\t%s\t%s\t%s\t\n", r.Batch, units.Rate(r.Old, 3), units.Rate(r.New, 3), r.Ratio, 100*r.Noise,
			units.Rate(r.OldP99MS, 3), units.Rate(r.NewP99MS, 3), flag)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the baseline table: %w", err)
	}
	return nil
}
