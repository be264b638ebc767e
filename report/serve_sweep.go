package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/sweep"
)

// ServeSweepDoc is a serving search's document: where it ran, what it
// found, and the recommended configuration as Triton writes it.
type ServeSweepDoc struct {
	Meta   Meta              `json:"meta"`
	Search sweep.ServeResult `json:"serve_search"`
	// Triton is TritonConfig of the recommendation ("" without one).
	Triton string `json:"triton_config,omitempty"`
}

// WriteServeSweep writes a serving search as an aligned table with
// sentences and the Triton fragment, JSON or CSV (one row per point).
func WriteServeSweep(w io.Writer, format string, doc ServeSweepDoc) error {
	switch format {
	case "json":
		return JSON(w, doc)
	case "csv":
		return writeServeSweepCSV(w, doc.Search)
	}
	return writeServeSweepTable(w, doc)
}

// serveCSVHeader is the first line of a serving search's CSV.
var serveCSVHeader = []string{"max_batch", "max_delay_us", "instances", "capacity_rps", "rate_rps", "offered_rps", "achieved_rps",
	"p50_ms", "p99_ms", "requests", "rejected", "saturated", "stable", "meets_slo", "utilization", "mean_batch", "best", "recommended"}

func writeServeSweepCSV(w io.Writer, res sweep.ServeResult) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(serveCSVHeader)
	for ci, c := range res.Configs {
		for i, p := range c.Points {
			_ = cw.Write([]string{strconv.Itoa(c.MaxBatch), strconv.FormatInt(c.MaxDelayUS, 10), strconv.Itoa(c.Instances),
				csvFloat(c.CapacityRPS), csvFloat(p.RateRPS), csvFloat(p.OfferedRPS), csvFloat(p.AchievedRPS),
				csvFloat(p.P50MS), csvFloat(p.P99MS), strconv.FormatInt(p.Requests, 10), strconv.FormatInt(p.Rejected, 10),
				strconv.FormatBool(p.Saturated), strconv.FormatBool(p.Stable), strconv.FormatBool(p.MeetsSLO),
				csvFloat(p.Utilization), csvFloat(p.MeanBatch), strconv.FormatBool(i == c.Best),
				strconv.FormatBool(i == c.Best && ci == res.Rec.Index)})
		}
	}
	return flushCSV(cw)
}

func writeServeSweepTable(w io.Writer, doc ServeSweepDoc) error {
	m, res := doc.Meta, doc.Search
	writeMachineLine(w, m)
	fmt.Fprintf(w, "\nserving search of %s on %s · %s arrivals, %s per request · SLO p99 %s\n\n", m.Model, m.Device, res.Arrival,
		Plural(res.RequestSize, "sample"), sweep.MSText(res.SLOMS))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "MAX BATCH\tMAX DELAY\tINSTANCES\tCAPACITY REQ/S\tBEST REQ/S\tP99 ms\tACHIEVED REQ/S\tBUSY\tMEAN BATCH\tSTABLE\tPOINTS\t\n")
	for i, c := range res.Configs {
		best, p99, achieved, busy, mean, stable := "-", "-", "-", "-", "-", "-"
		if b := c.BestPoint(); b != nil {
			best, p99, achieved = units.Rate(b.RateRPS, 4), units.Rate(b.P99MS, 3), units.Rate(b.AchievedRPS, 4)
			busy, mean = units.Percent(100*b.Utilization), strconv.FormatFloat(b.MeanBatch, 'f', 2, 64)
			stable = yesNo(b.Stable, "yes", "no (time cap)")
		}
		mark := ""
		if i == res.Rec.Index {
			mark = "  ← recommended"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", c.MaxBatch, c.MaxDelay(), c.Instances,
			units.Rate(c.CapacityRPS, 4), best, p99, achieved, busy, mean, stable, len(c.Points), mark)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	fmt.Fprintln(w)
	for _, c := range res.Configs {
		fmt.Fprintf(w, "%s: %s\n", c.ServeSetting, c.Text)
	}
	if res.Rec.Index >= 0 {
		fmt.Fprintf(w, "\nrecommendation: %s at up to %s req/s\n  why: %s\n", res.Rec.Setting, units.Rate(res.Rec.RateRPS, 4), res.Rec.Why)
	} else {
		fmt.Fprintf(w, "\nrecommendation: none\n  why: %s\n", res.Rec.Why)
	}
	if doc.Triton != "" {
		fmt.Fprintf(w, "\nTriton config.pbtxt for it:\n%s", indent(doc.Triton, "  "))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s.\n", n)
	}
	if res.Interrupted {
		fmt.Fprintln(w, "interrupted: the search was stopped; what was measured is above.")
	}
	return nil
}

// ServePointLine is the progress line of one open-loop point.
func ServePointLine(s sweep.ServeSetting, p sweep.ServePoint) string {
	verdict := "meets the SLO"
	if !p.MeetsSLO {
		verdict = "fails: " + p.Why
	}
	return fmt.Sprintf("%s: %s req/s → p99 %s, achieved %s req/s, %s busy, mean batch %.2f%s · %s", s,
		units.Rate(p.RateRPS, 4), sweep.MSText(p.P99MS), units.Rate(p.AchievedRPS, 4), units.Percent(100*p.Utilization),
		p.MeanBatch, yesNo(p.Stable, "", " · unstable (time cap)"), verdict)
}

// ServeCapacityLine is the progress line of a configuration's capacity run.
func ServeCapacityLine(c sweep.ServeConfigResult) string {
	return fmt.Sprintf("%s: capacity %s req/s (closed loop)", c.ServeSetting, units.Rate(c.CapacityRPS, 4))
}

// Plural is "1 sample" or "n samples".
func Plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}
