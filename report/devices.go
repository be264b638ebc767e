package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"infertop/gpuinfo"
	"infertop/internal/units"
)

// Devices is `infertop devices`' listing; its JSON keys carry their units.
type Devices struct {
	Engines []EngineRow `json:"engines"`
	CPUBLAS string      `json:"cpu_blas"`
	// CPUEnergy says where a CPU run's energy per sample comes from, or why
	// there is none.
	CPUEnergy     string     `json:"cpu_energy"`
	NVML          NVMLStatus `json:"nvml"`
	Fake          bool       `json:"fake"`
	SampledAt     time.Time  `json:"sampled_at"`
	GPUs          []GPURow   `json:"gpus"`
	CUDAOrderNote string     `json:"cuda_order_note"`
}

// EngineRow says whether this build can run a kind of device, and why not.
type EngineRow struct {
	Device    string `json:"device"`
	Available bool   `json:"available"`
	Why       string `json:"why,omitempty"`
}

// NVMLStatus says whether NVML answered.
type NVMLStatus struct {
	Available     bool   `json:"available"`
	Error         string `json:"error,omitempty"`
	DriverVersion string `json:"driver_version,omitempty"`
}

// GPURow is one GPU's reading plus the CUDA device name that selects it.
type GPURow struct {
	CUDADevice string `json:"cuda_device"`
	gpuinfo.GPU
}

// WatchLine is one GPU's line of `devices --watch --format json`.
type WatchLine struct {
	Time time.Time `json:"time"`
	Fake bool      `json:"fake"`
	GPURow
}

// WriteDevicesTable prints the listing like a compact nvidia-smi.
func WriteDevicesTable(w io.Writer, rep Devices) {
	fmt.Fprintln(w, "Inference devices in this build:")
	for _, e := range rep.Engines {
		state := "available"
		if !e.Available {
			state = "not available: " + e.Why
		}
		fmt.Fprintf(w, "  %-7s %s\n", e.Device, state)
	}
	blas := rep.CPUBLAS
	if blas == "" {
		blas = "unknown"
	}
	fmt.Fprintf(w, "CPU BLAS: %s\n", blas)
	fmt.Fprintf(w, "CPU energy: %s\n\n", rep.CPUEnergy)
	if !rep.NVML.Available {
		fmt.Fprintf(w, "GPUs: none. %s\n", rep.NVML.Error)
		return
	}
	if rep.Fake {
		fmt.Fprintln(w, "*** FAKE GPUs (--fake-gpus): simulated values, not measurements ***")
	}
	fmt.Fprintf(w, "GPUs (NVML, driver %s, %s): %d\n", orNA(rep.NVML.DriverVersion), rep.SampledAt.Format("15:04:05"), len(rep.GPUs))
	if len(rep.GPUs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IDX\tCUDA\tBUS ID\tNAME\tMEMORY USED / TOTAL\tUTIL GPU/MEM\tTEMP\tPOWER / LIMIT\tSM MHz\tMEM MHz\tENERGY\tCLOCK EVENTS")
	for _, r := range rep.GPUs {
		g := r.GPU
		if g.Err != "" {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", g.Index, orDash(r.CUDADevice), orNA(g.PCIBusID), g.Name, g.Err)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s (%s)\t%s / %s\t%s\t%s / %s\t%s / %s\t%s / %s\t%s\t%s\n",
			g.Index, orDash(r.CUDADevice), g.PCIBusID, g.Name,
			g.MemoryMiB(), g.MemoryGiB(),
			gpuinfo.Format(g.UtilGPUPercent, "%d%%"), gpuinfo.Format(g.UtilMemoryPercent, "%d%%"),
			gpuinfo.Format(g.TemperatureC, "%d°C"),
			gpuinfo.Format(g.PowerDrawWatts, "%.0f W"), gpuinfo.Format(g.PowerLimitWatts, "%.0f W"),
			gpuinfo.Format(g.SMClockMHz, "%d"), gpuinfo.Format(g.SMClockMaxMHz, "%d"),
			gpuinfo.Format(g.MemClockMHz, "%d"), gpuinfo.Format(g.MemClockMaxMHz, "%d"),
			gpuinfo.Format(g.EnergyTotalJoules, "%.1f J"), gpuinfo.Format(g.ClockEvents, "%v"))
	}
	tw.Flush()
	fmt.Fprintln(w, "UTIL GPU = share of the last sample period a kernel was running; MEM = share a memory transfer was active.")
	for _, r := range rep.GPUs {
		writeGPUDetails(w, r.GPU)
	}
}

// writeGPUDetails prints a GPU's processes, PCIe throughput and notes.
func writeGPUDetails(w io.Writer, g gpuinfo.GPU) {
	if g.Err != "" {
		return
	}
	var procs []string
	for _, p := range g.Processes.V {
		s := fmt.Sprintf("pid %d %s MiB", p.PID, gpuinfo.Format(gpuinfo.WholeMiB(p.UsedMemoryBytes), "%d"))
		if p.Self {
			s += " (this process)"
		}
		procs = append(procs, s)
	}
	switch {
	case !g.Processes.OK:
		fmt.Fprintf(w, "  GPU %d processes: n/a\n", g.Index)
	case len(procs) == 0:
		fmt.Fprintf(w, "  GPU %d processes: none\n", g.Index)
	default:
		fmt.Fprintf(w, "  GPU %d processes: %s\n", g.Index, strings.Join(procs, "; "))
	}
	if g.PCIeTXBytesPerSec.OK || g.PCIeRXBytesPerSec.OK {
		fmt.Fprintf(w, "  GPU %d PCIe: TX %s, RX %s\n", g.Index, rate(g.PCIeTXBytesPerSec), rate(g.PCIeRXBytesPerSec))
	}
	for _, n := range g.Notes {
		fmt.Fprintf(w, "  GPU %d note: %s\n", g.Index, n)
	}
}

// WriteWatchHeader starts `devices --watch`'s table.
func WriteWatchHeader(w io.Writer, fake bool) {
	if fake {
		fmt.Fprintln(w, "*** FAKE GPUs (--fake-gpus): simulated values, not measurements ***")
	}
	fmt.Fprintln(w, "TIME          IDX  BUS ID            UTIL GPU/MEM  MEMORY USED MiB  TEMP   POWER W  SM MHz  MEM MHz  ENERGY/INTERVAL")
}

// WriteWatchLine is one GPU's line of `devices --watch`' table.
func WriteWatchLine(w io.Writer, l WatchLine) {
	g := l.GPU
	if g.Err != "" {
		fmt.Fprintf(w, "%s  %3d  %s  %s\n", l.Time.Format("15:04:05.000"), g.Index, g.PCIBusID, g.Err)
		return
	}
	fake := ""
	if g.Fake {
		fake = "  FAKE"
	}
	fmt.Fprintf(w, "%s  %3d  %s  %4s / %-4s    %15s  %5s  %7s  %6s  %7s  %15s%s\n",
		l.Time.Format("15:04:05.000"), g.Index, g.PCIBusID,
		gpuinfo.Format(g.UtilGPUPercent, "%d%%"), gpuinfo.Format(g.UtilMemoryPercent, "%d%%"),
		gpuinfo.Format(gpuinfo.WholeMiB(g.MemoryUsedBytes), "%d"), gpuinfo.Format(g.TemperatureC, "%d°C"),
		gpuinfo.Format(g.PowerDrawWatts, "%.1f"), gpuinfo.Format(g.SMClockMHz, "%d"), gpuinfo.Format(g.MemClockMHz, "%d"),
		gpuinfo.Format(g.EnergyIntervalJoules, "%.2f J"), fake)
}

func rate(o gpuinfo.Opt[uint64]) string {
	if !o.OK {
		return gpuinfo.NA
	}
	return units.BytesPerSec(o.V)
}

func orNA(s string) string {
	if s == "" {
		return gpuinfo.NA
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
