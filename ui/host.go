package ui

import (
	"fmt"

	"infertop/hostinfo"
	"infertop/internal/units"
	"infertop/runner"
)

// hostPanel shows this process on the host for CPU runs.
type hostPanel struct{ w, h int }

func (p *hostPanel) SetSize(w, h int) { p.w, p.h = w, h }

// View draws three lines; each drops whole fields, last first, where the
// panel is too narrow for all of them.
func (p hostPanel) View(st styles, h *hostinfo.Stat, s runner.Snapshot) string {
	inner := p.w - 2
	var l1 string
	switch {
	case h == nil:
		l1 = st.dim.Render("waiting for the first reading…")
	case h.Err != "":
		l1 = st.bad.Render(h.Err)
	default:
		cpu := "n/a"
		if h.CPUValid {
			cpu = units.Percent(h.CPUPercent)
		}
		l1 = joinFit(inner, st.label.Render("process CPU ")+st.value.Render(cpu),
			st.label.Render("RSS ")+st.value.Render(units.Bytes(h.RSSBytes)),
			st.label.Render("OS threads ")+st.value.Render(fmt.Sprint(h.Threads)))
	}
	threads := "n/a"
	if s.Info.Threads > 0 {
		threads = fmt.Sprint(s.Info.Threads)
	}
	blas := s.Info.Engine
	for _, more := range []string{s.Info.Plan, s.Info.Detail} {
		if more != "" {
			blas += " · " + more
		}
	}
	l2 := joinFit(inner, st.label.Render("compute threads ")+st.value.Render(threads),
		st.label.Render("engine holds ")+st.value.Render(units.Bytes(s.Memory.HostBytes)))
	// A CPU run's energy comes from the CPU packages' RAPL counters (the
	// whole packages, not this process alone); the BLAS is in the header too.
	var energy string
	switch e := s.WindowEnergy; {
	case s.Device != "cpu":
	case e.Valid:
		energy = st.label.Render("energy ") + st.value.Render(e.PerSampleText()+" J/sample") + st.dim.Render(" (CPU packages)")
	case s.EnergyNote != "": // say why where the figure would be
		energy = st.label.Render("energy ") + st.dim.Render("n/a ("+s.EnergyNote+")")
	}
	l3 := joinFit(inner, energy, st.label.Render("BLAS ")+st.value.Render(blas))
	return box(st, "Host", l1+"\n"+l2+"\n"+l3, p.w, p.h)
}
