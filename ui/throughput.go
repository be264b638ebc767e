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
	pts := hist.throughput
	if w < 12 || h < 3 || len(pts) < 2 {
		p.chart = ""
		return
	}
	top := 0.0
	for _, q := range pts {
		top = max(top, q.Value)
	}
	if top <= 0 {
		top = 1
	}
	loc := p.loc
	c := timeserieslinechart.New(w, h,
		timeserieslinechart.WithTimeRange(pts[0].T, pts[len(pts)-1].T),
		timeserieslinechart.WithYRange(0, top*1.1),
		timeserieslinechart.WithXYSteps(2, 1),
		timeserieslinechart.WithStyle(st.line),
		timeserieslinechart.WithAxesStyles(st.border, st.dim),
		timeserieslinechart.WithXLabelFormatter(func(_ int, v float64) string {
			return time.Unix(int64(v), 0).In(loc).Format("15:04:05")
		}),
		timeserieslinechart.WithYLabelFormatter(func(_ int, v float64) string { return units.Short(v) }),
	)
	for _, q := range pts {
		c.Push(timeserieslinechart.TimePoint{Time: q.T, Value: q.Value})
	}
	c.DrawBraille()
	p.chart = c.View()
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
