package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"infertop/internal/units"
	"infertop/runner"
)

// breakdownPanel shows a serving run's request latency: end to end (from
// the scheduled arrival), and its parts, queue, formation and compute, at
// p50/p90/p99/max with their counts; how late the batcher woke (not a part:
// it is inside the others, dimmed); the last window's p50 and p99; and,
// where there is room, the end-to-end histogram.
type breakdownPanel struct {
	w, h   int
	chart  string
	lo, hi string
}

func (p *breakdownPanel) SetSize(w, h int) { p.w, p.h = w, h }

// breakdownText is the table's lines: the heading, five rows, the window line.
const breakdownText = 7

// redraw rebuilds the histogram for s at the current size.
func (p *breakdownPanel) redraw(st styles, s runner.Snapshot) {
	p.chart, p.lo, p.hi = drawHistogram(st, s.Histogram, p.w-2, p.h-2-breakdownText-1)
}

func (p breakdownPanel) View(st styles, s runner.Snapshot) string {
	sv := s.Serving
	if sv == nil {
		return box(st, "Latency per request", "", p.w, p.h)
	}
	inner := p.w - 2
	const nameW, colW, countW = 10, 7, 9
	withCount := inner >= nameW+4*colW+countW
	row := func(name string, style lipgloss.Style, cells ...string) string {
		var b strings.Builder
		b.WriteString(st.label.Render(fmt.Sprintf("%-*s", nameW, name)))
		for i, c := range cells {
			w := colW
			if i == 4 {
				if !withCount {
					break
				}
				w = countW
			}
			b.WriteString(style.Render(right(c, w)))
		}
		return b.String()
	}
	lines := []string{row("", st.label, "p50", "p90", "p99", "max", "n")}
	for _, r := range []struct {
		name  string
		p     runner.Percentiles
		style lipgloss.Style
	}{{"end-to-end", s.Latency, st.value}, {"queue", sv.Queue, st.value}, {"formation", sv.Formation, st.value},
		{"compute", sv.Compute, st.value}, {"late", sv.Late, st.dim}} {
		lines = append(lines, row(r.name, r.style, units.Latency(r.p.P50), units.Latency(r.p.P90),
			units.Latency(r.p.P99), units.Latency(r.p.Max), units.Thousands(r.p.Count)))
	}
	if n := len(sv.Windows); n > 0 {
		w := sv.Windows[n-1]
		lines = append(lines, joinFit(inner, st.label.Render("last window"),
			st.label.Render("p50 ")+st.value.Render(units.Latency(w.P50)), st.label.Render("p99 ")+st.value.Render(units.Latency(w.P99))))
	}
	if h := histogramView(st, p.chart, p.lo, p.hi, inner); h != "" {
		lines = append(lines[:min(len(lines), breakdownText)], h)
	}
	title := fmt.Sprintf("Latency per request · n=%s", units.Thousands(s.Latency.Count))
	return box(st, title, strings.Join(lines, "\n"), p.w, p.h)
}
