package ui

import (
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strings"

	"github.com/NimbleMarkets/ntcharts/v2/sparkline"

	"infertop/gpuinfo"
	"infertop/runner"
)

// sparkWidth is the width of each GPU's utilization sparkline.
const sparkWidth = 10

// gpuPanel draws one block per GPU from the latest gpuinfo sample.
type gpuPanel struct {
	w, h int
	// cudaName maps an NVML index to the cuda:N name that selects it.
	cudaName map[int]string
	// sparks caches each GPU's drawn utilization sparkline.
	sparks map[int]string
}

func (p *gpuPanel) SetSize(w, h int) { p.w, p.h = w, h }

// redraw rebuilds the sparklines from the stored utilization series.
func (p *gpuPanel) redraw(st styles, hist *history) {
	p.sparks = map[int]string{}
	for i, u := range hist.util {
		sl := sparkline.New(sparkWidth, 1, sparkline.WithMaxValue(100), sparkline.WithNoAutoMaxValue(), sparkline.WithStyle(st.spark))
		sl.PushAll(u)
		sl.Draw()
		p.sparks[i] = sl.View()
	}
}

// gpuView is what the panel needs to draw.
type gpuView struct {
	sample  *gpuinfo.Sample
	nvmlErr string
	snap    runner.Snapshot
	inUse   map[int]bool
}

func (p gpuPanel) View(st styles, v gpuView) string {
	title := "GPUs"
	if v.sample != nil && v.sample.Fake {
		title = "GPUs · FAKE (simulated, not real readings)"
	}
	var lines []string
	switch {
	case v.nvmlErr != "":
		// Wrapped, not cut: the reason is the one thing this panel has to say.
		lines = append(lines, st.warn.Render(ansi.Wrap(v.nvmlErr, max(p.w-2, 1), " ")))
	case v.sample == nil:
		lines = append(lines, st.dim.Render("waiting for the first telemetry sample…"))
	default:
		// The runner's figure for its last measurement window, as it is;
		// a CPU run's is the CPU packages' and shows in the Host panel.
		switch e := v.snap.WindowEnergy; {
		case v.snap.Device == "cpu" || v.snap.Device == "":
		case e.Valid:
			lines = append(lines, st.label.Render("energy ")+st.value.Render(e.PerSampleText()+" J/sample"))
		case v.snap.EnergyNote != "": // say why where the figure would be
			lines = append(lines, st.label.Render("energy ")+st.dim.Render("n/a ("+v.snap.EnergyNote+")"))
		}
		per := p.linesPerGPU(len(v.sample.GPUs), p.h-2-len(lines))
		for _, g := range v.sample.GPUs {
			lines = append(lines, p.gpuLines(st, g, v, per)...)
		}
	}
	return box(st, title, strings.Join(lines, "\n"), p.w, p.h)
}

// linesPerGPU picks 4, 3, 2 or 1 lines per GPU so that all of them fit when possible.
func (p gpuPanel) linesPerGPU(n, avail int) int {
	for _, k := range []int{4, 3, 2} {
		if n*k <= avail {
			return k
		}
	}
	return 1
}

func (p gpuPanel) gpuLines(st styles, g gpuinfo.GPU, v gpuView, per int) []string {
	name := fmt.Sprintf("%d ", g.Index) + strings.TrimPrefix(g.Label(), "NVIDIA ")
	if c := p.cudaName[g.Index]; c != "" {
		name = fmt.Sprintf("%d %s ", g.Index, c) + strings.TrimPrefix(g.Label(), "NVIDIA ")
	}
	if v.inUse[g.Index] {
		name = st.good.Render("▶ ") + st.value.Render(name)
	} else {
		name = "  " + st.label.Render(name)
	}
	if g.Err != "" {
		return []string{name, st.bad.Render("  " + g.Err)}
	}
	inner := p.w - 2
	mem := p.memLine(st, g, v)
	util := st.label.Render("util ") + p.sparks[g.Index] + " " + st.value.Render(gpuinfo.Format(g.UtilGPUPercent, "%d%%"))
	temp := st.value.Render(gpuinfo.Format(g.TemperatureC, "%d°C"))
	power := st.value.Render(gpuinfo.Format(g.PowerDrawWatts, "%.0f")) + st.label.Render("/"+gpuinfo.Format(g.PowerLimitWatts, "%.0fW"))
	// Labelled as devices labels them: "1946/2619 MHz" read like current / max.
	clocks := st.label.Render("SM ") + st.value.Render(gpuinfo.Format(g.SMClockMHz, "%d")) +
		st.label.Render(" mem ") + st.value.Render(gpuinfo.Format(g.MemClockMHz, "%d")) + st.label.Render(" MHz")
	throttle := ""
	if g.ClockEvents.OK && len(g.ClockEvents.V.Words()) > 0 {
		throttle = st.warn.Render("clocks held: " + g.ClockEvents.V.String())
	}
	if per == 1 {
		return []string{joinFit(inner, fmt.Sprintf("%d", g.Index), mem, util, temp, power, throttle)}
	}
	body := pack(inner, "  ", mem, util, temp, power, clocks, throttle)
	if len(body) > per-1 {
		body = append(body[:per-2], joinFit(inner, body[per-2:]...))
	}
	return append([]string{name}, body...)
}

// memLine is a bar of memory used (this process's share marked) and the numbers.
func (p gpuPanel) memLine(st styles, g gpuinfo.GPU, v gpuView) string {
	if !g.MemoryUsedBytes.OK || !g.MemoryTotalBytes.OK || g.MemoryTotalBytes.V == 0 {
		return st.label.Render("mem ") + st.value.Render(g.MemoryGiB())
	}
	var self uint64
	if v.inUse[g.Index] && !g.Fake && (v.sample == nil || !v.sample.Fake) { // "ours" only on a GPU this process runs on: never on a simulated one, nor during a CPU run
		self = selfBytes(g, v.snap, p.cudaName[g.Index])
	}
	const bw = 10
	total := float64(g.MemoryTotalBytes.V)
	used := min(int(float64(g.MemoryUsedBytes.V)/total*bw+0.5), bw)
	mine := min(int(float64(self)/total*bw+0.5), used)
	if self > 0 && mine == 0 {
		mine = min(1, used)
	}
	bar := st.memSelf.Render(strings.Repeat("▓", mine)) + st.memUsed.Render(strings.Repeat("█", used-mine)) +
		st.dim.Render(strings.Repeat("░", bw-used))
	s := st.label.Render("mem ") + bar + " " + st.value.Render(fmt.Sprintf("%.1f/%.0f GiB",
		gpuinfo.BytesToGiB(g.MemoryUsedBytes.V), gpuinfo.BytesToGiB(g.MemoryTotalBytes.V)))
	if self > 0 {
		s += st.memSelf.Render(fmt.Sprintf(" ▓ ours %.1f", gpuinfo.BytesToGiB(self)))
	}
	return s
}

// selfBytes is this process's memory on g: NVML's process entry marked Self,
// else what the engine reports holding on the matching cuda device.
func selfBytes(g gpuinfo.GPU, s runner.Snapshot, cudaName string) uint64 {
	if g.Processes.OK {
		for _, pr := range g.Processes.V {
			if pr.Self && pr.UsedMemoryBytes.OK {
				return pr.UsedMemoryBytes.V
			}
		}
	}
	if b := s.Memory.DeviceBytes[cudaName]; cudaName != "" && b > 0 {
		return uint64(b)
	}
	return 0
}
