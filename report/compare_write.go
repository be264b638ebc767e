package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/sweep"
)

// compareCSVHeader is the first line of compare's CSV; with a baseline the
// baselineCSVHeader columns follow.
var (
	compareCSVHeader = []string{"batch", "a", "b", "a_samples_per_sec", "b_samples_per_sec", "speed_up", "speed_up_lo", "speed_up_hi",
		"pairs", "a_p50_ms", "a_p99_ms", "b_p50_ms", "b_p99_ms"}
	baselineCSVHeader = []string{"old_speed_up", "speed_up_ratio", "speed_up_noise", "speed_up_flagged",
		"old_a_samples_per_sec", "a_ratio", "a_noise", "a_flagged", "old_b_samples_per_sec", "b_ratio", "b_noise", "b_flagged"}
)

// WriteCompare writes a race as an aligned table with sentences, JSON or
// CSV, with the change against the baseline when doc has one.
func WriteCompare(w io.Writer, format string, doc CompareDoc, base *CompareDoc) error {
	switch format {
	case "json":
		return JSON(w, doc)
	case "csv":
		return writeCompareCSV(w, doc, base != nil)
	}
	return writeCompareTable(w, doc, base)
}

func writeCompareCSV(w io.Writer, doc CompareDoc, withBase bool) error {
	res := doc.Compare
	rows := map[int]CompareBaselineRow{}
	for _, r := range doc.Baseline {
		rows[r.Batch] = r
	}
	cw := csv.NewWriter(w)
	header := compareCSVHeader
	if withBase {
		header = append(append([]string(nil), header...), baselineCSVHeader...)
	}
	// Each side's energy per sample comes last, only when some is known.
	energy := sweep.AnyCompareEnergy(res.Points)
	if energy {
		header = append(append([]string(nil), header...), "a_joules_per_sample", "b_joules_per_sample")
	}
	_ = cw.Write(header)
	for _, p := range res.Points {
		rec := []string{strconv.Itoa(p.Batch), res.A.String(), res.B.String(), csvFloat(p.A.SamplesPerSec), csvFloat(p.B.SamplesPerSec),
			csvFloat(p.SpeedUp), csvFloat(p.Lo), csvFloat(p.Hi), strconv.Itoa(p.Pairs), csvFloat(p.A.P50MS), csvFloat(p.A.P99MS), csvFloat(p.B.P50MS), csvFloat(p.B.P99MS)}
		if withBase {
			r, ok := rows[p.Batch]
			for _, c := range []Change{r.SpeedUp, r.A, r.B} {
				if !ok { // a batch the baseline did not race: empty cells
					rec = append(rec, "", "", "", "")
					continue
				}
				rec = append(rec, csvFloat(c.Old), csvFloat(c.Ratio), csvFloat(c.Noise), strconv.FormatBool(c.Flagged))
			}
		}
		if energy {
			rec = append(rec, energyCell(p.A.Energy), energyCell(p.B.Energy))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

func writeCompareTable(w io.Writer, doc CompareDoc, base *CompareDoc) error {
	m, res := doc.Meta, doc.Compare
	fmt.Fprintf(w, "infertop %s · %s · %s\ncompare of %s: A = %s, B = %s (alternating windows)\n\n", m.Version, m.Go, m.CPUModel, m.Model, res.A, res.B)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	energy := sweep.AnyCompareEnergy(res.Points)
	fmt.Fprintf(tw, "BATCH\tA SAMPLES/S\tB SAMPLES/S\tSPEED-UP B/A\tPAIR SPREAD\tA P50 ms\tA P99 ms\tB P50 ms\tB P99 ms\t%sPAIRS\t\n",
		yesNo(energy, "A J/SAMPLE\tB J/SAMPLE\t", ""))
	for _, p := range res.Points {
		joules := ""
		if energy {
			joules = p.A.Energy.PerSampleText() + "\t" + p.B.Energy.PerSampleText() + "\t"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t×%.3f\t×%.3f–×%.3f\t%.3g\t%.3g\t%.3g\t%.3g\t%s%d\t\n", p.Batch, units.Rate(p.A.SamplesPerSec, 4), units.Rate(p.B.SamplesPerSec, 4),
			p.SpeedUp, p.Lo, p.Hi, p.A.P50MS, p.A.P99MS, p.B.P50MS, p.B.P99MS, joules, p.Pairs)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	if res.CrossoverText != "" {
		fmt.Fprintf(w, "\ncrossover: %s\n", res.CrossoverText)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s.\n", n)
	}
	if base != nil {
		fmt.Fprintln(w)
		return WriteCompareBaselineTable(w, base.Meta, res.A, res.B, doc.Baseline)
	}
	return nil
}
