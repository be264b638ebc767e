package ui

import (
	"fmt"
	"time"

	"github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"

	"infertop/internal/units"
	"infertop/runner"
)

// throughputPanel shows the current rates and a time series of the windows'
// samples/s. The chart is drawn when data or size change, never in View.
type throughputPanel struct {
	w, h  int
	loc   *time.Location
	chart string // the drawn chart, cached
}

// SetSize sets the panel's outer size and redraws the chart.
func (p *throughputPanel) SetSize(w, h int, st styles, hist *history) {
	p.w, p.h = w, h
	p.redraw(st, hist)
}

// chartSize is the chart's size inside the frame, below two lines of figures.
func (p *throughputPanel) chartSize() (int, int) { return p.w - 2, p.h - 4 }

// redraw rebuilds the chart from the stored series.
func (p *throughputPanel) redraw(st styles, hist *history) {
	w, h := p.chartSize()
	p.chart = drawSeries(st, p.loc, w, h, hist.throughput, nil)
}

// drawSeries draws pts over time as a braille line in a w×h chart from 0
// to a little above the largest value, with more (if any) as a second line
// in the warning colour; "" when the chart does not fit or pts has fewer
// than two points.
func drawSeries(st styles, loc *time.Location, w, h int, pts, more []point) string {
	if w < 12 || h < 3 || len(pts) < 2 {
		return ""
	}
	from, to, top := pts[0].T, pts[len(pts)-1].T, 0.0
	for _, set := range [][]point{pts, more} {
		for _, q := range set {
			top = max(top, q.Value)
			if q.T.Before(from) {
				from = q.T
			}
			if q.T.After(to) {
				to = q.T
			}
		}
	}
	if top <= 0 {
		top = 1
	}
	const moreSet = "more"
	c := timeserieslinechart.New(w, h,
		timeserieslinechart.WithTimeRange(from, to),
		timeserieslinechart.WithYRange(0, top*1.1),
		timeserieslinechart.WithXYSteps(2, 1),
		timeserieslinechart.WithStyle(st.line),
		timeserieslinechart.WithDataSetStyle(moreSet, st.warn),
		timeserieslinechart.WithAxesStyles(st.border, st.dim),
		timeserieslinechart.WithXLabelFormatter(func(_ int, v float64) string {
			return time.Unix(int64(v), 0).In(loc).Format("15:04:05")
		}),
		timeserieslinechart.WithYLabelFormatter(func(_ int, v float64) string { return units.Short(v) }),
	)
	for _, q := range pts {
		c.Push(timeserieslinechart.TimePoint{Time: q.T, Value: q.Value})
	}
	if len(more) == 0 {
		c.DrawBraille()
		return c.View()
	}
	for _, q := range more {
		c.PushDataSet(moreSet, timeserieslinechart.TimePoint{Time: q.T, Value: q.Value})
	}
	c.DrawBrailleAll()
	return c.View()
}

func (p throughputPanel) View(st styles, s runner.Snapshot) string {
	cur := s.Window
	if cur.Duration == 0 {
		cur = s.Overall
	}
	var line1, line2 string
	switch {
	case s.State == runner.Warming && s.WarmupWindow.Duration > 0:
		w := s.WarmupWindow
		line1 = st.warn.Render("warming up") + st.label.Render("  ") + st.dim.Render(units.Short(w.SamplesPerSec)+" samples/s  "+
			units.Short(w.BatchesPerSec)+" batches/s, not measured")
	case s.State == runner.Warming:
		line1 = st.warn.Render("warming up — not measured yet")
	case cur.Duration == 0:
		line1 = st.dim.Render("no measured batches yet")
	default:
		line1 = st.value.Render(units.Short(cur.SamplesPerSec)) + st.label.Render(" samples/s  ") +
			st.value.Render(units.Short(cur.BatchesPerSec)) + st.label.Render(" batches/s")
		peak := st.dim.Render("peak n/a")
		switch {
		case s.PctPeak > 0 && (s.PeakStale || s.PctPeak > 100): // the runner's events say why
			peak = st.warn.Render(units.Percent(s.PctPeak) + " of peak (stale)")
		case s.PctPeak > 0:
			peak = st.value.Render(units.Percent(s.PctPeak)) + st.label.Render(" of peak")
		}
		line2 = joinFit(p.w-2, st.value.Render(fmt.Sprintf("%.3g", s.GFLOPS))+st.label.Render(" GFLOP/s"), peak,
			st.label.Render("overall ")+st.value.Render(units.Short(s.Overall.SamplesPerSec))+st.label.Render("/s"))
	}
	body := line1 + "\n" + line2
	if p.chart != "" {
		body += "\n" + p.chart
	} else if _, h := p.chartSize(); h > 0 {
		body += "\n" + st.dim.Render("chart: one point per completed window")
	}
	return box(st, "Throughput", body, p.w, p.h)
}
