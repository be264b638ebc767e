package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

	"infertop/internal/units"
	"infertop/sweep"
)

// sweepView draws the sweep: one row per batch with throughput and p99 bars
// growing as points arrive, the memory, the fit, the edge and the recommendation.
func sweepView(st styles, t *tuning, w, h int) string {
	r := t.sw
	var b strings.Builder
	head := fmt.Sprintf("Batch sweep · %s on %s · ", shortName(t.model), t.device)
	fmt.Fprintln(&b, st.title.Render(head)+st.label.Render(t.status))
	// batch, two figures, memory and the recommendation mark take 56 cells;
	// the process's RSS or NVML's used memory, when measured, 19 more.
	fixed, used, energy := 56, measuredMemory(r.Points), sweep.AnyEnergy(r.Points)
	if used {
		fixed += usedMemW + 1
	}
	if energy {
		fixed += energyW + 1
	}
	barW := max((w-fixed)/2, 4)
	cols := fmt.Sprintf("%6s %-*s %9s %-*s %9s %11s", "BATCH", barW, " throughput", "samples/s", barW, " p99 latency", "p99 ms", "engine mem")
	if used {
		cols += fmt.Sprintf(" %*s", usedMemW, "RSS / GPU used")
	}
	if energy {
		cols += fmt.Sprintf(" %*s", energyW, "J/sample")
	}
	fmt.Fprintf(&b, "%s\n", st.label.Render(cols))
	var maxT, maxL float64
	for _, p := range r.Points {
		maxT, maxL = max(maxT, p.SamplesPerSec), max(maxL, p.P99MS)
	}
	rows := r.Points
	if room := h - 9; len(rows) > room {
		rows = rows[len(rows)-max(room, 1):]
	}
	for _, p := range rows {
		mark := ""
		if p.Batch == r.Rec.Batch {
			mark = st.good.Render(" ◀ recommended")
		}
		lat := fmt.Sprintf("%9.3g", p.P99MS)
		if r.SLOMS > 0 && p.P99MS > r.SLOMS {
			lat = st.bad.Render(lat)
		}
		unstable := " "
		if !p.Stable {
			unstable = st.warn.Render("~")
		}
		mem := fmt.Sprintf("%11s", units.Bytes(p.EngineBytes))
		if used {
			mem += fmt.Sprintf(" %*s", usedMemW, p.UsedMemory())
		}
		if energy {
			mem += fmt.Sprintf(" %*s", energyW, p.Energy.PerSampleText())
		}
		fmt.Fprintf(&b, "%6d %s %9s %s %s %s%s%s\n", p.Batch, st.bar.Render(bar(p.SamplesPerSec, maxT, barW)), units.Short(p.SamplesPerSec),
			st.line.Render(bar(p.P99MS, maxL, barW)), lat, mem, unstable, mark)
	}
	if e := r.Edge; e != nil {
		fmt.Fprintln(&b, st.bad.Render(fmt.Sprintf("%6d out of memory", e.Failed))+st.label.Render(fmt.Sprintf(" · largest that fits: %d", e.Largest)))
	}
	var lines []string
	if f := r.Fit; f != nil {
		s := f.String()
		switch {
		case f.PredictedOOM > 0 && f.FromEdge:
			s += fmt.Sprintf(" · out of memory from batch %d", f.PredictedOOM)
		case f.PredictedOOM > 0:
			s += fmt.Sprintf(" · predicted out of memory at batch %d", f.PredictedOOM)
		}
		lines = append(lines, st.label.Render("fit: ")+s)
	}
	if r.Rec.Batch > 0 {
		s := st.good.Render(fmt.Sprintf("recommended: batch %d", r.Rec.Batch))
		if r.Rec.HeadroomKnown {
			s += st.label.Render(" · headroom " + units.Bytes(r.Rec.HeadroomBytes))
		}
		lines = append(lines, s)
		lines = append(lines, wrap(st.dim, r.Rec.Why, w)...)
	}
	if slices.ContainsFunc(r.Points, func(p sweep.Point) bool { return !p.Stable }) {
		lines = append(lines, st.dim.Render("~ unstable: the time cap ended the measurement"))
	}
	for _, n := range r.Notes {
		lines = append(lines, wrap(st.dim, "note: "+n, w)...)
	}
	if t.err != "" {
		lines = append(lines, st.bad.Render(t.err))
	}
	lines = append(lines, st.dim.Render(tuneHint(t)))
	return b.String() + strings.Join(lines, "\n")
}

// energyW is the width of the sweep's "J/sample" column.
const energyW = 9

// usedMemW is the width of the sweep's "RSS / GPU used" column.
const usedMemW = 18

// measuredMemory reports whether any point carries the process's RSS or
// NVML's used memory (the view adds their column only then).
func measuredMemory(ps []sweep.Point) bool {
	return slices.ContainsFunc(ps, func(p sweep.Point) bool { return p.DeviceUsedBytes > 0 || p.RSSBytes > 0 })
}

// tuneHint says what esc does now.
func tuneHint(t *tuning) string {
	if t.running {
		return "esc stop (keeps what was measured) · e export"
	}
	return "esc close and resume the dashboard · e export"
}

// wrap breaks text into lines of at most w cells at spaces, each rendered in style.
func wrap(style lipgloss.Style, text string, w int) []string {
	w = max(w, 10)
	var out []string
	cur := ""
	for _, word := range strings.Fields(text) {
		switch {
		case cur == "":
			cur = word
		case lipgloss.Width(cur)+1+lipgloss.Width(word) <= w:
			cur += " " + word
		default:
			out = append(out, style.Render(cur))
			cur = word
		}
	}
	if cur != "" {
		out = append(out, style.Render(cur))
	}
	return out
}

// bar is a horizontal bar of v against top in w cells, in eighths.
func bar(v, top float64, w int) string {
	if top <= 0 || v <= 0 {
		return strings.Repeat(" ", w)
	}
	eighths := int(v / top * float64(w*8))
	full, part := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if part > 0 && full < w {
		s += string([]rune(" ▏▎▍▌▋▊▉")[part])
	}
	return s + strings.Repeat(" ", max(w-len([]rune(s)), 0))
}
