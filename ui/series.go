package ui

import (
	"time"

	"github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"

	"infertop/internal/units"
)

// seriesPanel is what the Throughput and Queue depth panels share: two
// lines of figures above a chart of series the history stores, drawn when
// data or size change, never in View.
type seriesPanel struct {
	w, h  int
	loc   *time.Location
	chart string // the drawn chart, cached
	// series picks the points to draw from the history, and those to draw
	// in the warning colour beside them.
	series func(*history) (pts, more []point)
}

// SetSize sets the panel's outer size and redraws the chart.
func (p *seriesPanel) SetSize(w, h int, st styles, hist *history) {
	p.w, p.h = w, h
	p.redraw(st, hist)
}

// chartSize is the chart's size inside the frame, below two lines of figures.
func (p *seriesPanel) chartSize() (int, int) { return p.w - 2, p.h - 4 }

// redraw rebuilds the chart from the stored series.
func (p *seriesPanel) redraw(st styles, hist *history) {
	p.chart = ""
	if p.series != nil {
		w, h := p.chartSize()
		pts, more := p.series(hist)
		p.chart = drawSeries(st, p.loc, w, h, pts, more)
	}
}

// body is the two lines of figures above the chart, or above note while
// there is room for a chart but too few points to draw it.
func (p seriesPanel) body(st styles, line1, line2, note string) string {
	body := line1 + "\n" + line2
	if p.chart != "" {
		body += "\n" + p.chart
	} else if _, h := p.chartSize(); h > 0 {
		body += "\n" + st.dim.Render(note)
	}
	return body
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
