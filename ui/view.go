package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"infertop/engine"
)

// Minimum terminal size the dashboard draws in.
const (
	MinWidth  = 80
	MinHeight = 24
)

// hostH is the host panel's height (three lines inside a frame).
const hostH = 5

// resize records the terminal size and lays the components out.
func (m *Model) resize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.layout()
}

// footerLines is the footer's height: the status or prompt line, then the help.
func (m *Model) footerLines() int {
	n := 1
	if m.help.ShowAll {
		n = len(strings.Split(m.help.View(m.keys), "\n"))
	}
	return n + 1
}

// layout gives every component its size; charts are redrawn for it.
func (m *Model) layout() {
	if m.w < MinWidth || m.h < MinHeight {
		return
	}
	m.help.SetWidth(m.w)
	m.header.SetSize(m.w)
	m.headerH = m.header.height(*m.st, m.snap)
	bodyH := m.bodyH()
	leftW := m.w / 2
	rightW := m.w - leftW
	topH := bodyH / 2
	botH := bodyH - topH
	m.thr.SetSize(leftW, topH, *m.st, m.hist)
	m.lat.SetSize(rightW, topH)
	m.lat.redraw(*m.st, m.snap)
	m.queue.SetSize(leftW, topH, *m.st, m.hist)
	m.brk.SetSize(rightW, topH)
	m.brk.redraw(*m.st, m.snap)
	m.batcher.SetSize(rightW, botH)
	gpuH := botH
	if m.cpuRun() {
		gpuH = botH - hostH
	}
	m.hostP.SetSize(leftW, hostH)
	m.gpu.SetSize(leftW, gpuH)
	m.ev.SetSize(rightW, botH)
	m.layers.SetSize(rightW, botH)
	if m.mode == modeModel || m.mode == modeDevice {
		m.picker.SetSize(m.w, bodyH)
	}
}

// bodyH is the panels' height: the screen less the header and the footer.
func (m *Model) bodyH() int { return m.h - m.headerH - m.footerLines() }

// cpuRun reports whether the run is on the host.
func (m *Model) cpuRun() bool {
	d, err := engine.ParseDevice(m.snap.Device)
	return err != nil || d.Kind == engine.CPU
}

// View draws the whole screen in the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "infertop"
	return v
}

// render is the screen as text, exactly m.w × m.h cells.
func (m *Model) render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if m.w < MinWidth || m.h < MinHeight {
		msg := "enlarge the terminal to 80×24"
		return fit(lipgloss.Place(m.w, m.h, lipgloss.Center, lipgloss.Center, m.st.warn.Render(msg)), m.w, m.h)
	}
	bodyH := m.bodyH()
	var body string
	switch {
	case m.tune.view == tuneSweep:
		body = fit(sweepView(*m.st, &m.tune, m.w, bodyH), m.w, bodyH)
	case m.tune.view == tuneCompare:
		body = fit(compareView(*m.st, &m.tune, m.w, bodyH), m.w, bodyH)
	case m.layersTable:
		body = fit(layersTable(*m.st, m.snap.Profile, m.layersOff, m.w, bodyH), m.w, bodyH)
	case m.mode == modeModel || m.mode == modeDevice:
		body = m.picker.View(*m.st, m.w, bodyH)
	case m.mode == modeOpen:
		body = m.open.View(*m.st, m.w, bodyH)
	default:
		body = m.dashboard()
	}
	out := m.header.View(*m.st, m.snap) + "\n" + body + "\n" + m.footer()
	return fit(out, m.w, m.h)
}

// dashboard is the four panels in two rows. In serving mode the queue and
// the request latency replace the throughput and the batch latency, and
// the batcher's panel takes the top of the events' place (all of it when
// too little is left for the events).
func (m *Model) dashboard() string {
	var top string
	if m.snap.Serving != nil {
		top = sideBySide(m.queue.View(*m.st, m.snap), m.brk.View(*m.st, m.snap))
	} else {
		top = sideBySide(m.thr.View(*m.st, m.snap), m.lat.View(*m.st, m.snap))
	}
	gv := gpuView{sample: m.sample, nvmlErr: m.opts.NVMLError, snap: m.snap, inUse: m.inUse()}
	left := m.gpu.View(*m.st, gv)
	if m.cpuRun() {
		left = m.hostP.View(*m.st, m.host, m.snap) + "\n" + left
	}
	right := m.ev.View(*m.st, m.snap.Events)
	switch {
	case m.showLayers:
		right = m.layers.View(*m.st, m.snap.Profile)
	case m.snap.Serving != nil:
		right = m.servingRight()
	}
	bottom := sideBySide(left, right)
	return top + "\n" + bottom
}

// footer is the prompt or status line above the key help (on the ? screen,
// when nothing else is said, the whole path of a file's model).
func (m *Model) footer() string {
	var line string
	switch {
	case m.mode == modeBatch:
		line = m.input.View()
		if m.status != "" {
			line += "  " + m.st.bad.Render(m.status)
		} else {
			line += "  " + m.st.dim.Render("enter apply · esc cancel")
		}
	case m.status != "" && m.statusBad:
		line = m.st.bad.Render(m.status)
	case m.status != "":
		line = m.st.dim.Render(m.status)
	case m.help.ShowAll && shortName(m.snap.Model) != m.snap.Model:
		// The header names a file by its base name; the help says its path.
		line = m.st.dim.Render("model " + m.snap.Model)
	}
	return fitLine(line, m.w) + "\n" + m.help.View(m.keys)
}

// minEvents is the least height the events get beside the batcher's panel.
const minEvents = 6

// servingRight is the bottom right of serving mode: the batcher's panel as
// tall as it needs (at most three fifths of the column), the events below
// it when at least minEvents lines are left for them.
func (m *Model) servingRight() string {
	colH := m.ev.h
	bp := m.batcher
	bp.h = min(bp.wanted(*m.st, m.snap), colH*3/5)
	if colH-bp.h < minEvents {
		bp.h = colH
		return bp.View(*m.st, m.snap)
	}
	ev := m.ev
	ev.h = colH - bp.h
	return bp.View(*m.st, m.snap) + "\n" + ev.View(*m.st, m.snap.Events)
}
