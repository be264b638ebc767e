package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"infertop/internal/units"
	"infertop/runner"
)

// formats lists the accepted output formats.
var formats = []string{"table", "json", "csv"}

// Formats returns the accepted output formats, for messages.
func Formats() []string { return append([]string(nil), formats...) }

// Write writes res in the named format ("table", "json" or "csv").
func Write(w io.Writer, format string, res Result) error {
	switch format {
	case "table":
		return WriteTable(w, res)
	case "json":
		return WriteJSON(w, res)
	case "csv":
		return WriteCSV(w, res)
	}
	return fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(formats, ", "))
}

// WriteJSON writes res as indented JSON in the documented shape.
func WriteJSON(w io.Writer, res Result) error {
	if res.Rows == nil {
		res.Rows = []Row{}
	}
	return JSON(w, res)
}

// csvHeader is the first line of the CSV output.
var csvHeader = []string{"model", "device", "batch", "samples_per_sec", "batches_per_sec",
	"p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "batches", "samples",
	"stable", "stable_windows", "stable_iqr", "window_spread", "iqr_over_median",
	"gflops", "pct_peak", "engine_bytes", "h2d_ms", "compute_ms", "d2h_ms", "warnings", "error", "precision"}

// WriteCSV writes one header line and one line per row (warnings joined by
// "; "). A joules_per_sample column comes last when some row's energy is
// known, empty where it is not.
func WriteCSV(w io.Writer, res Result) error {
	cw := csv.NewWriter(w)
	energy := anyEnergy(res.Rows)
	header := append([]string(nil), csvHeader...)
	if energy {
		header = append(header, "joules_per_sample")
	}
	serving := servingRows(res.Rows)
	if serving {
		header = append(header, servingCSVHeader...)
	}
	base := map[benchCell]Change{}
	if res.Baseline != nil {
		header = append(header, "old_samples_per_sec", "samples_per_sec_ratio", "samples_per_sec_noise", "samples_per_sec_flagged")
		for _, b := range res.Baseline {
			base[benchCell{b.Model, b.Device, b.Batch}] = b.SamplesPerSec
		}
	}
	_ = cw.Write(header)
	for _, r := range res.Rows {
		l := r.LatencyMS
		rec := []string{r.Model, r.Device, strconv.Itoa(r.Batch), csvFloat(r.SamplesPerSec), csvFloat(r.BatchesPerSec),
			csvFloat(l.P50), csvFloat(l.P90), csvFloat(l.P95), csvFloat(l.P99), csvFloat(l.P999), csvFloat(l.Max),
			strconv.FormatInt(r.Batches, 10), strconv.FormatInt(r.Samples, 10),
			strconv.FormatBool(r.Stable), strconv.FormatBool(r.Stability.Windows), strconv.FormatBool(r.Stability.IQR),
			csvFloat(r.Stability.WindowSpread), csvFloat(r.Stability.IQROverMedian),
			csvFloat(r.GFLOPS), csvFloat(r.PctPeak), strconv.FormatInt(r.EngineBytes, 10),
			csvFloat(r.H2DMS), csvFloat(r.ComputeMS), csvFloat(r.D2HMS), strings.Join(r.Warnings, "; "), r.Error, r.Precision}
		if energy {
			rec = append(rec, energyCell(r.Energy))
		}
		if serving && r.Serving != nil {
			rec = append(rec, servingCSV(r.Serving)...)
		} else if serving {
			rec = append(rec, make([]string, len(servingCSVHeader))...)
		}
		if res.Baseline != nil {
			if c, ok := base[cellOf(r)]; ok {
				rec = append(rec, csvFloat(c.Old), csvFloat(c.Ratio), csvFloat(c.Noise), strconv.FormatBool(c.Flagged))
			} else {
				rec = append(rec, "", "", "", "")
			}
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// WriteTable writes the metadata as a header and the rows as aligned columns,
// then each row's warnings and errors.
func WriteTable(w io.Writer, res Result) error {
	m := res.Meta
	fmt.Fprintf(w, "infertop %s · %s · %s · %d threads", m.Version, m.Go, m.CPUModel, m.Threads)
	if m.Engine != "" {
		fmt.Fprintf(w, " · %s", m.Engine)
	}
	if m.EngineDetail != "" {
		fmt.Fprintf(w, " (%s)", m.EngineDetail)
	}
	fmt.Fprintf(w, "%s\n\n", precisionNote(m))
	if servingRows(res.Rows) {
		return writeServingTable(w, res.Rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// J/SAMPLE shows only when some row's energy is known.
	energy := anyEnergy(res.Rows)
	joulesHead := ""
	if energy {
		joulesHead = "\tJ/SAMPLE"
	}
	fmt.Fprintf(tw, "MODEL\tDEVICE\tBATCH\tSAMPLES/S\tBATCHES/S\tP50 ms\tP90 ms\tP99 ms\tP99.9 ms\tMAX ms\tN\tSTABLE\tGFLOP/S\t%%PEAK\tMEMORY%s\t\n", joulesHead)
	for _, r := range res.Rows {
		l := r.LatencyMS
		pct := "-"
		switch {
		case r.PctPeak > 0 && r.PeakStale:
			pct = fmt.Sprintf("%.1f stale", r.PctPeak)
		case r.PctPeak > 0:
			pct = fmt.Sprintf("%.1f", r.PctPeak)
		}
		joules := ""
		switch {
		case energy && r.Energy.Valid:
			joules = "\t" + units.Rate(r.Energy.JoulesPerSample, 3)
		case energy:
			joules = "\t-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%.2f\t%s\t%s%s\t\n",
			r.Model, r.Device, r.Batch, units.Rate(r.SamplesPerSec, 3), units.Rate(r.BatchesPerSec, 3),
			units.Rate(l.P50, 3), units.Rate(l.P90, 3), units.Rate(l.P99, 3), units.Rate(l.P999, 3), units.Rate(l.Max, 3), r.Batches, stableWord(r), r.GFLOPS, pct,
			units.Bytes(r.EngineBytes), joules)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	for _, r := range res.Rows {
		for _, wn := range r.Warnings {
			fmt.Fprintf(w, "  %s batch %d: %s\n", r.Model, r.Batch, wn)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  %s batch %d: error: %s\n", r.Model, r.Batch, r.Error)
		}
		if r.Plan != "" {
			fmt.Fprintf(w, "  %s batch %d: %s\n", r.Model, r.Batch, r.Plan)
		}
		if r.ComputeMS > 0 {
			fmt.Fprintf(w, "  %s batch %d: H2D %s ms, compute %s ms, D2H %s ms (medians)\n", r.Model, r.Batch, units.Rate(r.H2DMS, 3), units.Rate(r.ComputeMS, 3), units.Rate(r.D2HMS, 3))
		}
	}
	writeEnergyNotes(w, res.Rows)
	for _, r := range res.Rows {
		writeProfile(w, r)
	}
	if res.Baseline != nil {
		return writeBenchBaselineTable(w, res.Baseline)
	}
	return nil
}

// csvFloat is a CSV cell's number: six significant figures (every digit
// before the point where there are more), in plain decimal notation.
func csvFloat(v float64) string { return units.Decimal(v, 6) }

// energyCell is a CSV cell's energy per sample, or empty when unknown.
func energyCell(e runner.Energy) string {
	if !e.Valid {
		return ""
	}
	return csvFloat(e.JoulesPerSample)
}

// JSON writes v as indented JSON, the form every --format json uses, with
// every number in plain decimal notation.
func JSON(w io.Writer, v any) error { return writePlain(w, v, "  ", "JSON") }

// writeEnergyNotes says under the table why the energy per sample is
// unknown, once for each reason, where no figure (or column) shows it.
func writeEnergyNotes(w io.Writer, rows []Row) {
	seen := map[string]bool{}
	for _, r := range rows {
		if n := r.EnergyNote; n != "" && !r.Energy.Valid && r.Error == "" && !seen[r.Device+n] {
			seen[r.Device+n] = true
			fmt.Fprintf(w, "  energy per sample on %s: not measured: %s\n", r.Device, n)
		}
	}
}

// anyEnergy reports whether some row's energy per sample is known.
func anyEnergy(rows []Row) bool {
	for _, r := range rows {
		if r.Energy.Valid {
			return true
		}
	}
	return false
}

func stableWord(r Row) string {
	switch {
	case r.Error != "":
		return "error"
	case r.Stable:
		return "yes"
	case !r.Stability.Windows && !r.Stability.IQR:
		return "no (both)"
	case !r.Stability.Windows:
		return "no (windows)"
	}
	return "no (iqr)"
}

// Times is one batch size's exported per-batch latencies.
type Times struct {
	Model     string    `json:"model"`
	Device    string    `json:"device"`
	Batch     int       `json:"batch"`
	Dropped   int64     `json:"dropped"`
	LatencyMS []float64 `json:"latency_ms"`
}

// NewTimes converts latencies to milliseconds.
func NewTimes(model, device string, batch int, lat []time.Duration, dropped int64) Times {
	t := Times{Model: model, Device: device, Batch: batch, Dropped: dropped, LatencyMS: make([]float64, len(lat))}
	for i, d := range lat {
		t.LatencyMS[i] = units.MS(d)
	}
	return t
}

// WriteTimes writes every measured batch's latency in ms, one entry per batch
// size, in the order the batches ran (like trtexec --exportTimes).
func WriteTimes(w io.Writer, times []Times) error {
	if times == nil {
		times = []Times{}
	}
	return writePlain(w, times, "", "times")
}
