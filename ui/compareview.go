package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"infertop/internal/units"
	"infertop/runner"
	"infertop/sweep"
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
	fmt.Fprintln(&b, st.title.Render(fmt.Sprintf("Race · %s batch %d", t.preset, t.batch))+st.label.Render(sides+" · "+t.status))
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

// RunExport is the JSON document e writes: the snapshot (with its
// percentiles and events) and whatever the tuning views measured.
type RunExport struct {
	Exported  time.Time            `json:"exported"`
	Snapshot  runner.Snapshot      `json:"snapshot"`
	LatencyMS map[string]float64   `json:"latency_ms"`
	Events    []string             `json:"events"`
	Sweep     *sweep.Result        `json:"sweep,omitempty"`
	Compare   *sweep.CompareResult `json:"compare,omitempty"`
}

// export writes the current run to a JSON file in a command and says where.
func (m *Model) export() tea.Cmd {
	s := m.snap
	l := s.Latency
	doc := RunExport{Exported: s.Time, Snapshot: s, LatencyMS: map[string]float64{
		"min": units.MS(l.Min), "p50": units.MS(l.P50), "p90": units.MS(l.P90), "p95": units.MS(l.P95), "p99": units.MS(l.P99), "p999": units.MS(l.P999),
		"max": units.MS(l.Max), "mean": units.MS(l.Mean), "count": float64(l.Count)}}
	for _, e := range s.Events {
		doc.Events = append(doc.Events, e.Time.UTC().Format(time.RFC3339Nano)+" "+e.Kind.String()+": "+e.Text)
	}
	if t := &m.tune; len(t.sw.Points) > 0 {
		sw := t.sw
		doc.Sweep = &sw
	}
	if t := &m.tune; len(t.cmp.Points) > 0 {
		c := t.cmp
		doc.Compare = &c
	}
	dir := m.tune.fns.ExportDir
	if dir == "" {
		dir = "."
	}
	name := fmt.Sprintf("infertop-run-%s-%s-%s.json", s.Preset, strings.ReplaceAll(s.Device, ":", ""), s.Time.UTC().Format("20060102-150405"))
	path := filepath.Join(dir, name)
	return func() tea.Msg {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err == nil {
			err = os.WriteFile(path, append(b, '\n'), 0o644)
		}
		if abs, aerr := filepath.Abs(path); aerr == nil {
			path = abs
		}
		return exportedMsg{path: path, err: err}
	}
}
