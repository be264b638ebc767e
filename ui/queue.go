package ui

import (
	"time"

	"infertop/internal/units"
	"infertop/runner"
)

// queuePanel shows serving mode's queue: the depth now and at most, the
// last window's mean, most and end depth, and a chart of the depth at each
// snapshot with each window's most in the warning colour. The chart is
// drawn when data or size change, never in View.
type queuePanel struct {
	w, h  int
	loc   *time.Location
	chart string
}

// SetSize sets the panel's outer size and redraws the chart.
func (p *queuePanel) SetSize(w, h int, st styles, hist *history) {
	p.w, p.h = w, h
	p.redraw(st, hist)
}

// chartSize is the chart's size inside the frame, below two lines of figures.
func (p *queuePanel) chartSize() (int, int) { return p.w - 2, p.h - 4 }

// redraw rebuilds the chart from the stored depths.
func (p *queuePanel) redraw(st styles, hist *history) {
	w, h := p.chartSize()
	p.chart = drawSeries(st, p.loc, w, h, hist.depth, hist.depthMax)
}

func (p queuePanel) View(st styles, s runner.Snapshot) string {
	sv := s.Serving
	if sv == nil {
		return box(st, "Queue", "", p.w, p.h)
	}
	kv := func(label, value string) string { return st.label.Render(label+" ") + st.value.Render(value) }
	line1 := joinFit(p.w-2, kv("now", units.Thousands(int64(sv.QueueDepth))), kv("most", units.Thousands(int64(sv.MaxQueueDepth))),
		st.dim.Render("requests"))
	line2 := st.dim.Render("no completed window yet")
	if n := len(sv.Windows); n > 0 {
		w := sv.Windows[n-1]
		line2 = joinFit(p.w-2, st.label.Render("last window"), kv("mean", units.Short(w.MeanDepth)),
			kv("most", units.Thousands(int64(w.MaxDepth))), kv("end", units.Thousands(int64(w.EndDepth))))
	}
	body := line1 + "\n" + line2
	if p.chart != "" {
		body += "\n" + p.chart
	} else if _, h := p.chartSize(); h > 0 {
		body += "\n" + st.dim.Render("chart: the depth at each snapshot; each window's most in amber")
	}
	return box(st, "Queue depth", body, p.w, p.h)
}
