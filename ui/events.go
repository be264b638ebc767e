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

func (p eventsPanel) View(st styles, evs []runner.Event) string {
	n := max(p.h-2, 0)
	if len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	lines := make([]string, 0, len(evs))
	for _, e := range evs {
		style := st.value
		switch e.Kind {
		case runner.EventError, runner.EventOutOfMemory:
			style = st.bad
		case runner.EventStable, runner.EventWarmupDone:
			style = st.good
		case runner.EventWarning, runner.EventUnstable:
			style = st.warn
		}
		lines = append(lines, st.dim.Render(e.Time.In(p.loc).Format("15:04:05"))+" "+style.Render(e.Text))
	}
	return box(st, "Events", strings.Join(lines, "\n"), p.w, p.h)
}
