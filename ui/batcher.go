package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

	"infertop/internal/units"
	"infertop/runner"
)

// batcherPanel shows what serving mode's dynamic batcher did: the share of
// computed samples that were padding, each instance's busy share, how many
// batches of each size it dispatched (bars), and what each prepared size
// cost, as many of these as fit.
type batcherPanel struct{ w, h int }

func (p *batcherPanel) SetSize(w, h int) { p.w, p.h = w, h }

// wanted is the panel's height when everything of s shows.
func (p batcherPanel) wanted(st styles, s runner.Snapshot) int {
	if s.Serving == nil {
		return 2
	}
	return 2 + len(p.lines(st, s.Serving, s.Overall.Batches, 1<<20))
}

func (p batcherPanel) View(st styles, s runner.Snapshot) string {
	var lines []string
	if s.Serving != nil {
		lines = p.lines(st, s.Serving, s.Overall.Batches, max(p.h-2, 0))
	}
	return box(st, "Batches", strings.Join(lines, "\n"), p.w, p.h)
}

// lines lays the panel out in at most rows lines: the padding line, the
// instances, the dispatched sizes (merged when there are more than fit),
// then the prepared sizes' cost while room remains.
func (p batcherPanel) lines(st styles, sv *runner.Serving, batches int64, rows int) []string {
	w := max(p.w-2, 0)
	kv := func(label, value string) string { return st.label.Render(label+" ") + st.value.Render(value) }
	lines := []string{joinFit(w, kv("padding", units.Percent(100*sv.Padding))+st.label.Render(" of computed samples"),
		kv("batches", units.Thousands(batches)))}
	// Each instance's busy share of the last window (of the run); its
	// device only where they differ (cuda:all).
	busy := []string{st.label.Render("busy")}
	mixed := slices.ContainsFunc(sv.Instances, func(in runner.Instance) bool { return in.Device != sv.Instances[0].Device })
	for _, in := range sv.Instances {
		name := fmt.Sprintf("#%d ", in.Index)
		if mixed {
			name = fmt.Sprintf("#%d %s ", in.Index, in.Device)
		}
		busy = append(busy, st.label.Render(name)+
			st.value.Render(units.Percent(100*in.WindowUtilization))+st.dim.Render(" ("+units.Percent(100*in.Utilization)+")"))
	}
	if len(busy) > 1 {
		lines = append(lines, pack(w, "", busy...)...)
	}
	if room := rows - len(lines); room > 0 && len(sv.Batches) > 0 {
		lines = append(lines, sizeBars(st, sv.Batches, w, room)...)
	}
	for _, z := range sv.Sizes {
		if len(lines) >= rows {
			break
		}
		lines = append(lines, st.dim.Render(fmt.Sprintf("runs at %d: %s batches, %s samples, compute p50 %s p99 %s", z.Size,
			units.Thousands(z.Batches), units.Thousands(z.Samples), units.Latency(z.Compute.P50), units.Latency(z.Compute.P99))))
	}
	return lines[:min(len(lines), rows)]
}

// sizeBars draws the dispatched batch sizes as bars of their counts, one
// row each, merging neighbours (their counts summed) when more than rows.
func sizeBars(st styles, counts []runner.SizeCount, w, rows int) []string {
	type row struct {
		label string
		count int64
	}
	k := (len(counts) + rows - 1) / rows
	var rs []row
	var top int64
	labelW, countW := len("size"), 1
	for i := 0; i < len(counts); i += k {
		j := min(i+k, len(counts))
		r := row{label: fmt.Sprint(counts[i].Size)}
		if j-1 > i {
			r.label += "–" + fmt.Sprint(counts[j-1].Size)
		}
		for _, c := range counts[i:j] {
			r.count += c.Count
		}
		top = max(top, r.count)
		labelW = max(labelW, lipgloss.Width(r.label))
		countW = max(countW, len(units.Thousands(r.count)))
		rs = append(rs, r)
	}
	barW := max(w-labelW-countW-2, 0)
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = st.label.Render(right(r.label, labelW)) + " " + st.bar.Render(bar(float64(r.count), float64(top), barW)) + " " +
			st.value.Render(right(units.Thousands(r.count), countW))
	}
	return out
}
