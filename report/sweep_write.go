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

// WriteSweep writes a sweep as an aligned table with sentences, JSON or CSV.
func WriteSweep(w io.Writer, format string, doc SweepDoc) error {
	switch format {
	case "json":
		return JSON(w, doc)
	case "csv":
		return writeSweepCSV(w, doc.Sweep)
	}
	return writeSweepTable(w, doc)
}

// writeSweepCSV writes one line per point; the joules_per_sample column
// comes last, only when some point's energy is known (empty where unknown).
func writeSweepCSV(w io.Writer, res sweep.Result) error {
	cw := csv.NewWriter(w)
	energy := sweep.AnyEnergy(res.Points)
	header := []string{"batch", "samples_per_sec", "p50_ms", "p99_ms", "gflops", "engine_bytes", "rss_bytes",
		"device_used_bytes", "stable", "noise", "recommended"}
	if energy {
		header = append(header, "joules_per_sample")
	}
	_ = cw.Write(header)
	for _, p := range res.Points {
		rec := []string{strconv.Itoa(p.Batch), csvFloat(p.SamplesPerSec), csvFloat(p.P50MS), csvFloat(p.P99MS), csvFloat(p.GFLOPS),
			strconv.FormatInt(p.EngineBytes, 10), strconv.FormatInt(p.RSSBytes, 10),
			strconv.FormatInt(p.DeviceUsedBytes, 10), strconv.FormatBool(p.Stable),
			csvFloat(p.Noise), strconv.FormatBool(p.Batch == res.Rec.Batch)}
		if energy {
			rec = append(rec, energyCell(p.Energy))
		}
		_ = cw.Write(rec)
	}
	return flushCSV(cw)
}

// flushCSV flushes cw and says what writing it failed at.
func flushCSV(cw *csv.Writer) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// writeMachineLine writes a sweep table's first line: the program, the
// machine and the engine, without a newline.
func writeMachineLine(w io.Writer, m Meta) {
	fmt.Fprintf(w, "infertop %s · %s · %s · %d threads", m.Version, m.Go, m.CPUModel, m.Threads)
	if m.Engine != "" {
		fmt.Fprintf(w, " · %s", m.Engine)
	}
	fmt.Fprint(w, precisionNote(m))
}

func writeSweepTable(w io.Writer, doc SweepDoc) error {
	m, res := doc.Meta, doc.Sweep
	writeMachineLine(w, m)
	fmt.Fprintf(w, "\nsweep of %s on %s", m.Model, m.Device)
	if res.SLOMS > 0 {
		fmt.Fprintf(w, " · SLO p99 %g ms", res.SLOMS)
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	energy := sweep.AnyEnergy(res.Points)
	fmt.Fprintf(tw, "BATCH\tSAMPLES/S\tP50 ms\tP99 ms\tGFLOP/S\tENGINE MEM\tRSS / GPU USED\t%sSTABLE\t\n", yesNo(energy, "J/SAMPLE\t", ""))
	for _, p := range res.Points {
		mark := ""
		if p.Batch == res.Rec.Batch {
			mark = "  ← recommended"
		}
		joules := ""
		if energy {
			joules = p.Energy.PerSampleText() + "\t"
		}
		fmt.Fprintf(tw, "%d\t%s\t%.3g\t%.3g\t%.2f\t%s\t%s\t%s%s\t%s\n", p.Batch, units.Rate(p.SamplesPerSec, 4), p.P50MS, p.P99MS,
			p.GFLOPS, units.Bytes(p.EngineBytes), p.UsedMemory(), joules, yesNo(p.Stable, "yes", "no (time cap)"), mark)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	fmt.Fprintf(w, "\nstopped: %s\n", res.StopText)
	if e := res.Edge; e != nil {
		how := "allocation refused"
		if e.ByEstimate {
			how = "memory estimate above the limit"
		}
		fmt.Fprintf(w, "out-of-memory edge: batch %d is the largest that fits; %d does not (%s; %d bisection steps)\n",
			e.Largest, e.Failed, how, e.Probes)
	}
	if f := res.Fit; f != nil {
		fmt.Fprintf(w, "memory model: %s (least squares over %d batch sizes)", f, f.Points)
		switch {
		case f.PredictedOOM > 0 && f.FromEdge:
			fmt.Fprintf(w, "; out of memory from batch %d under the %s limit, as the bisection found", f.PredictedOOM, units.Bytes(f.Limit))
		case f.PredictedOOM > 0:
			fmt.Fprintf(w, "; it predicts out of memory from batch %d under the %s limit", f.PredictedOOM, units.Bytes(f.Limit))
		}
		fmt.Fprintln(w)
	}
	if r := res.Rec; r.Batch > 0 {
		fmt.Fprintf(w, "recommendation: batch %d\n  why: %s", r.Batch, r.Why)
		if r.HeadroomKnown {
			fmt.Fprintf(w, "\n  memory headroom at batch %d: %s", r.Batch, units.Bytes(r.HeadroomBytes))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "recommendation: none\n  why: %s\n", r.Why)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s.\n", n)
	}
	if doc.Baseline != nil {
		fmt.Fprintln(w)
		return WriteBaselineTable(w, doc.Baseline)
	}
	return nil
}

// SweepPointLine is the progress line of one measured batch.
func SweepPointLine(p sweep.Point) string {
	joules := ""
	if p.Energy.Valid {
		joules = " · " + p.Energy.PerSampleText() + " J/sample"
	}
	return fmt.Sprintf("batch %d: %s samples/s · p50 %.3g ms · p99 %.3g ms · %s%s%s", p.Batch, units.Rate(p.SamplesPerSec, 4),
		p.P50MS, p.P99MS, units.Bytes(p.EngineBytes), joules, yesNo(p.Stable, "", " · unstable (time cap)"))
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
