package ui

import (
	"strings"
	"time"

	"infertop/runner"
)

// eventsPanel lists the snapshot's recent events, newest at the bottom.
type eventsPanel struct {
	w, h int
	loc  *time.Location
}

func (p *eventsPanel) SetSize(w, h int) { p.w, p.h = w, h }

// View wraps each event's text under its time stamp, so that a long warning
// (a failed energy read, a low peak calibration) can be read whole, and
// shows as many of the newest events as fit.
func (p eventsPanel) View(st styles, evs []runner.Event) string {
	n := max(p.h-2, 0)
	const stamp = "15:04:05"
	textW := p.w - 2 - len(stamp) - 1
	indent := strings.Repeat(" ", len(stamp)+1)
	var lines []string // newest event first, each event's lines in order
	for i := len(evs) - 1; i >= 0 && len(lines) < n; i-- {
		e := evs[i]
		style := st.value
		switch e.Kind {
		case runner.EventError, runner.EventOutOfMemory:
			style = st.bad
		case runner.EventStable, runner.EventWarmupDone:
			style = st.good
		case runner.EventWarning, runner.EventUnstable:
			style = st.warn
		}
		text := wrap(style, e.Text, textW)
		if len(text) == 0 {
			text = []string{""}
		}
		ev := []string{st.dim.Render(e.Time.In(p.loc).Format(stamp)) + " " + text[0]}
		for _, l := range text[1:] {
			ev = append(ev, indent+l)
		}
		if room := n - len(lines); len(ev) > room {
			if len(lines) > 0 {
				break // an older event that no longer fits whole is left out
			}
			ev = ev[:room] // the newest event alone is taller than the panel
		}
		lines = append(ev, lines...)
	}
	return box(st, "Events", strings.Join(lines, "\n"), p.w, p.h)
}
