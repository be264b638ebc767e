package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"infertop/internal/units"
)

// compareView draws the race: the live speed-up with its spread and both
// sides' throughput and percentiles side by side.
func compareView(st styles, t *tuning, w, h int) string {
	c := t.cmp
	var b strings.Builder
	sides := ""
	if c.A.Device != "" {
		sides = fmt.Sprintf(" · A = %s, B = %s", c.A, c.B)
	}
	fmt.Fprintln(&b, st.title.Render(fmt.Sprintf("Race · %s batch %d", shortName(t.model), t.batch))+st.label.Render(sides+" · "+t.status))
	if len(c.Points) == 0 {
		fmt.Fprintln(&b, st.dim.Render("warming both sides up…"))
		if t.err != "" {
			fmt.Fprintln(&b, st.bad.Render(t.err))
		}
		return b.String() + st.dim.Render(tuneHint(t))
	}
	p := c.Points[len(c.Points)-1]
	fmt.Fprintln(&b)
	spread := st.dim.Render("spread after the first window pair")
	if p.Pairs > 0 {
		spread = st.label.Render(fmt.Sprintf("window pairs ×%.3f – ×%.3f over %d pairs", p.Lo, p.Hi, p.Pairs))
	}
	fmt.Fprintf(&b, "  %s %s   %s\n", st.label.Render("speed-up B/A"), st.value.Render(fmt.Sprintf("×%.3f", p.SpeedUp)), spread)
	verdict := fmt.Sprintf("%s is ×%.2f as fast as %s at batch %d", c.B, p.SpeedUp, c.A, p.Batch)
	if p.Pairs > 0 && p.Lo <= 1 && p.Hi >= 1 {
		verdict += "; the window pairs disagree on which is faster"
	}
	fmt.Fprintf(&b, "  %s\n\n", st.dim.Render(verdict))
	col := max(min((w-16)/2, 24), 12)
	row := func(label, a, bv string) {
		fmt.Fprintf(&b, "  %-12s %s %s\n", label, padLeft(a, col), padLeft(bv, col))
	}
	row("", st.title.Render("A: "+c.A.String()), st.title.Render("B: "+c.B.String()))
	row("samples/s", units.Short(p.A.SamplesPerSec), units.Short(p.B.SamplesPerSec))
	row("p50", units.FormatMS(p.A.P50MS), units.FormatMS(p.B.P50MS))
	row("p90", units.FormatMS(p.A.P90MS), units.FormatMS(p.B.P90MS))
	row("p99", units.FormatMS(p.A.P99MS), units.FormatMS(p.B.P99MS))
	row("batches (n)", fmt.Sprint(p.A.Count), fmt.Sprint(p.B.Count))
	if p.A.Energy.Valid || p.B.Energy.Valid {
		row("J/sample", p.A.Energy.PerSampleText(), p.B.Energy.PerSampleText())
	}
	fmt.Fprintln(&b)
	for _, n := range c.Notes {
		for _, l := range wrap(st.dim, "note: "+n, w) {
			fmt.Fprintln(&b, l)
		}
	}
	if t.err != "" {
		fmt.Fprintln(&b, st.bad.Render(t.err))
	}
	fmt.Fprintln(&b, st.dim.Render("windows alternate A B, B A so that drift hits both alike"))
	return b.String() + st.dim.Render(tuneHint(t))
}

// padLeft right-aligns s in n cells (styled text counts by its visible width).
func padLeft(s string, n int) string {
	return strings.Repeat(" ", max(n-lipgloss.Width(s), 0)) + s
}

// exportedMsg says where e wrote the run.
type exportedMsg struct {
	path string
	err  error
}

// export asks the session to write the run shown and what the tuning views
// measured, in a command, and says where.
func (m *Model) export() tea.Cmd {
	s, sess := m.snap, m.opts.Session
	sw, cmp := m.tune.sw, m.tune.cmp
	return func() tea.Msg {
		path, err := sess.Export(s, &sw, &cmp)
		return exportedMsg{path: path, err: err}
	}
}
