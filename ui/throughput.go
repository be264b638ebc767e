package ui

import (
	"fmt"

	"infertop/internal/units"
	"infertop/runner"
)

// throughputPanel shows the current rates and a time series of the windows'
// samples/s.
type throughputPanel struct{ seriesPanel }

// throughputSeries is the chart's series: the windows' samples/s.
func throughputSeries(h *history) (pts, more []point) { return h.throughput, nil }

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
	return box(st, "Throughput", p.body(st, line1, line2, "chart: one point per completed window"), p.w, p.h)
}
