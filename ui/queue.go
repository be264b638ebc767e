package ui

import (
	"infertop/internal/units"
	"infertop/runner"
)

// queuePanel shows serving mode's queue: the depth now and at most, the
// last window's mean, most and end depth, and a chart of the depth at each
// snapshot with each window's most in the warning colour.
type queuePanel struct{ seriesPanel }

// queueSeries is the chart's series: the depth at each snapshot, and each
// window's most.
func queueSeries(h *history) (pts, more []point) { return h.depth, h.depthMax }

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
	note := "chart: the depth at each snapshot; each window's most in amber"
	return box(st, "Queue depth", p.body(st, line1, line2, note), p.w, p.h)
}
