package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"infertop/internal/units"
	"infertop/runner"
)

// layersPanel draws the slowest steps of the run's profile (the snapshot's
// Profile) with bars of their share of a batch, in place of the events
// panel while it is shown (the l key).
type layersPanel struct{ w, h int }

func (p *layersPanel) SetSize(w, h int) { p.w, p.h = w, h }

// View is the profile's summary line, then as many of the slowest steps as
// fit, each with a bar of its share, then the time outside any step.
func (p layersPanel) View(st styles, prof *runner.Profile) string {
	inner := max(p.w-2, 0)
	rows := max(p.h-2, 0)
	var lines []string
	switch {
	case prof == nil:
		lines = wrap(st.dim, "turning the step profile on…", inner)
	case prof.Note != "":
		lines = wrap(st.warn, "no step profile: "+prof.Note, inner)
	case prof.Batches == 0:
		lines = wrap(st.dim, fmt.Sprintf("timing each step of one batch in %d while measuring…", prof.Every), inner)
	default:
		lines = p.rows(st, prof, inner, rows)
	}
	return box(st, "Layers", strings.Join(lines, "\n"), p.w, p.h)
}

// rows lays out the summary, the steps that fit and the outside row.
func (p layersPanel) rows(st styles, prof *runner.Profile, w, h int) []string {
	head := joinFit(w, st.label.Render("batch ")+st.value.Render(units.Latency(prof.Batch)),
		st.dim.Render(fmt.Sprintf("%d profiled, 1 in %d", prof.Batches, prof.Every)), st.dim.Render("L: all steps"))
	lines := []string{head}
	n := min(len(prof.Steps), max(h-2, 0))
	nameW := 0
	for _, s := range prof.Steps[:n] {
		nameW = max(nameW, lipgloss.Width(s.Name))
	}
	nameW = min(max(nameW, len("outside steps")), max(w/2, len("outside steps")))
	const figW = 5 + 1 + 7 // "100%" and " 12.3ms"
	barW := max(w-nameW-1-1-figW, 0)
	top := 0.0
	for _, s := range prof.Steps[:n] {
		top = max(top, s.Share)
	}
	top = max(top, prof.OutsideShare)
	row := func(name string, share float64, d string, style lipgloss.Style) string {
		return fitLine(name, nameW) + " " + st.bar.Render(bar(share, top, barW)) + " " +
			style.Render(fmt.Sprintf("%5s %7s", units.Percent(100*share), d))
	}
	for _, s := range prof.Steps[:n] {
		lines = append(lines, row(s.Name, s.Share, units.Latency(s.P50), st.value))
	}
	if n > 0 {
		lines = append(lines, row(st.dim.Render("outside steps"), prof.OutsideShare, units.Latency(prof.Outside), st.dim))
	}
	return lines
}

// layersTable is the full profile (the L key): every step with its op,
// what it covers, its time, share, rates and way, from offset on.
func layersTable(st styles, prof *runner.Profile, offset, w, h int) string {
	if prof == nil || len(prof.Steps) == 0 {
		msg := "no step profile yet: it times one batch in 10 while measuring"
		if prof != nil && prof.Note != "" {
			msg = "no step profile: " + prof.Note
		}
		return box(st, "Layers", strings.Join(wrap(st.dim, msg+" (esc closes)", w-2), "\n"), w, h)
	}
	inner := w - 2
	// The step's name is as wide as the longest, within what the figures and
	// 24 cells of its way leave (12 to 32 cells); the op is shown without
	// its domain ("FusedConv", not "infertop.FusedConv").
	const opW, figs = 12, 1 + 12 + 1 + 8 + 1 + 5 + 1 + 7 + 1 + 6 + 1 + 5 + 2
	nameW := lipgloss.Width("outside steps")
	for _, s := range prof.Steps {
		nameW = max(nameW, lipgloss.Width(s.Name))
	}
	nameW = min(nameW, min(max(inner-figs-24, 12), 32))
	line := func(name, op, p50, share, gflops, gbps, pct, way string) string {
		return fitLine(name, nameW) + " " + fitLine(op, opW) + " " + right(p50, 8) + " " + right(share, 5) + " " +
			right(gflops, 7) + " " + right(gbps, 6) + " " + right(pct, 5) + "  " + way
	}
	title := fmt.Sprintf("Layers: %d steps, batch %s, medians of %d profiling batches (1 in %d)", len(prof.Steps), units.Latency(prof.Batch), prof.Kept, prof.Every)
	lines := []string{st.label.Render(fitLine(line("STEP", "OP", "P50", "SHARE", "GFLOP/S", "GB/S", "%PEAK", "WAY · COVERS"), inner))}
	rows := max(h-2-2, 1) // the heading and the outside row
	offset = min(max(offset, 0), max(len(prof.Steps)-rows, 0))
	rate := func(v float64) string {
		if v <= 0 {
			return "-"
		}
		return units.Rate(v, 3)
	}
	for _, s := range prof.Steps[offset:min(len(prof.Steps), offset+rows)] {
		pct := "-"
		if s.PctPeak > 0 {
			pct = units.Percent(s.PctPeak)
		}
		way := s.Way
		if s.Threads > 1 {
			way = fmt.Sprintf("%s ×%d", way, s.Threads)
		}
		if len(s.Covers) > 0 {
			way += " · " + strings.Join(s.Covers, ", ")
		}
		l := line(s.Name, s.Op[strings.LastIndexByte(s.Op, '.')+1:], units.Latency(s.P50), units.Percent(100*s.Share), rate(s.GFLOPS), rate(s.GBPS), pct, way)
		lines = append(lines, fitLine(l, inner))
	}
	out := fitLine("outside steps", nameW) + " " + fitLine("", opW) + " " + right(units.Latency(prof.Outside), 8) + " " +
		right(units.Percent(100*prof.OutsideShare), 5)
	if len(prof.Steps) > rows {
		out += fmt.Sprintf("  rows %d–%d of %d (↑/↓ scroll)", offset+1, min(len(prof.Steps), offset+rows), len(prof.Steps))
	}
	lines = append(lines, st.dim.Render(fitLine(out, inner)))
	return box(st, title, strings.Join(lines, "\n"), w, h)
}

// right aligns s to the right of w cells (cut to w when wider).
func right(s string, w int) string {
	if sw := lipgloss.Width(s); sw < w {
		return strings.Repeat(" ", w-sw) + s
	}
	return fitLine(s, w)
}

// profileOn asks the run to time its steps (one batch in
// runner.DefaultProfileEvery) or to stop, unless the last request asked the same.
func (m *Model) profileOn(on bool) tea.Cmd {
	if on == m.profiling {
		return nil
	}
	m.profiling = on
	every, what := runner.DefaultProfileEvery, "layer profile on"
	if !on {
		every, what = 0, "layer profile off"
	}
	sess := m.opts.Session
	return m.control(what, func() error { return sess.SetProfile(every) })
}

// layersTableKey drives the full table: arrows scroll, esc or L closes it,
// q quits.
func (m *Model) layersTableKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc", "L":
		m.layersTable = false
		// The profile stays on while the panel shows it.
		return m.profileOn(m.showLayers)
	case "q":
		return tea.Quit
	case "up", "k":
		m.layersOff = max(m.layersOff-1, 0)
	case "down", "j":
		m.layersOff++
	case "pgup":
		m.layersOff = max(m.layersOff-10, 0)
	case "pgdown":
		m.layersOff += 10
	case "home":
		m.layersOff = 0
	}
	if p := m.snap.Profile; p != nil {
		m.layersOff = min(m.layersOff, max(len(p.Steps)-1, 0))
	}
	return nil
}
