package ui

import (
	"fmt"

	"github.com/NimbleMarkets/ntcharts/v2/barchart"

	"infertop/internal/units"
	"infertop/runner"
)

// latencyPanel shows the percentiles, the device split and a histogram of
// per-batch latency from the snapshot's log-spaced buckets.
type latencyPanel struct {
	w, h  int
	chart string
	// lo and hi label the chart's ends.
	lo, hi string
}

func (p *latencyPanel) SetSize(w, h int) { p.w, p.h = w, h }

// textLines is how many lines the figures take for s.
func textLines(s runner.Snapshot) int {
	n := 3
	if s.Split.Valid {
		n += 1 + len(s.Split.Warnings())
	}
	return n
}

// redraw rebuilds the histogram for s at the current size.
func (p *latencyPanel) redraw(st styles, s runner.Snapshot) {
	p.chart, p.lo, p.hi = drawHistogram(st, s.Histogram, p.w-2, p.h-2-textLines(s)-1) // one line for the axis labels
}

// drawHistogram draws the runner's latency buckets as w×h bars, and the
// labels of the chart's ends; all empty when they do not fit.
func drawHistogram(st styles, hist []runner.Bucket, w, h int) (chart, lo, hi string) {
	if w < 8 || h < 2 || len(hist) == 0 {
		return "", "", ""
	}
	bars := rebin(hist, w)
	c := barchart.New(w, h, barchart.WithNoAxis())
	c.SetBarGap(0)
	data := make([]barchart.BarData, len(bars))
	for i, b := range bars {
		data[i] = barchart.BarData{Values: []barchart.BarValue{{Value: float64(b.Count), Style: st.bar}}}
	}
	c.PushAll(data)
	c.Draw()
	return c.View(), units.Latency(hist[0].Lo), units.Latency(hist[len(hist)-1].Hi)
}

// histogramView is a drawn histogram with its end labels below it, w cells
// wide ("" when none was drawn).
func histogramView(st styles, chart, lo, hi string, w int) string {
	if chart == "" {
		return ""
	}
	gap := max(w-len([]rune(lo))-len([]rune(hi)), 1)
	return chart + "\n" + st.dim.Render(lo+fmt.Sprintf("%*s", gap, "")+hi)
}

// rebin merges adjacent buckets so that at most n bars remain (a display
// resampling: counts are summed, nothing is estimated).
func rebin(b []runner.Bucket, n int) []runner.Bucket {
	if len(b) <= n {
		return b
	}
	k := (len(b) + n - 1) / n
	out := make([]runner.Bucket, 0, n)
	for i := 0; i < len(b); i += k {
		j := min(i+k, len(b))
		m := runner.Bucket{Lo: b[i].Lo, Hi: b[j-1].Hi}
		for _, x := range b[i:j] {
			m.Count += x.Count
		}
		out = append(out, m)
	}
	return out
}

func (p latencyPanel) View(st styles, s runner.Snapshot) string {
	l := s.Latency
	row := func(a, b string, da, db string) string {
		return st.label.Render(fmt.Sprintf("%-5s", a)) + st.value.Render(fmt.Sprintf("%9s", da)) + "   " +
			st.label.Render(fmt.Sprintf("%-6s", b)) + st.value.Render(fmt.Sprintf("%9s", db))
	}
	body := row("p50", "p99", units.Latency(l.P50), units.Latency(l.P99)) + "\n" +
		row("p90", "p99.9", units.Latency(l.P90), units.Latency(l.P999)) + "\n" +
		row("p95", "max", units.Latency(l.P95), units.Latency(l.Max))
	if s.Split.Valid {
		sp := s.Split
		body += "\n" + st.label.Render("H2D ") + st.value.Render(units.Latency(sp.H2D.P50)) +
			st.label.Render("  compute ") + st.value.Render(units.Latency(sp.Compute.P50)) +
			st.label.Render("  D2H ") + st.value.Render(units.Latency(sp.D2H.P50))
		for _, w := range sp.Warnings() {
			body += "\n" + st.warn.Render("⚠ "+w)
		}
	}
	if h := histogramView(st, p.chart, p.lo, p.hi, p.w-2); h != "" {
		body += "\n" + h
	}
	title := fmt.Sprintf("Latency per batch · n=%s", units.Thousands(l.Count))
	return box(st, title, body, p.w, p.h)
}
