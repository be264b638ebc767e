package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"infertop/gpuinfo"
	"infertop/internal/units"
)

// writeDevicesTable prints the listing like a compact nvidia-smi.
func writeDevicesTable(w io.Writer, rep devicesReport) {
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
		s := fmt.Sprintf("pid %d %s MiB", p.PID, gpuinfo.Format(mibOf(p.UsedMemoryBytes), "%d"))
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

// watchDevices prints one line per GPU per interval until ctx ends.
func watchDevices(ctx context.Context, env Env, f devicesFlags, deps devicesDeps, m *gpuinfo.Monitor, nvmlErr error) int {
	if m == nil {
		fmt.Fprintf(env.Stdout, "GPUs: none. %v\n", nvmlErr)
		return ExitOK
	}
	s, err := m.Start(ctx, gpuinfo.SamplerOptions{Interval: f.interval, PCIe: f.pcie, Clock: deps.clock})
	if err != nil {
		return usageErr(env, "devices", "%v", err)
	}
	defer s.Wait()
	enc := json.NewEncoder(env.Stdout)
	if f.format == "table" {
		if m.Fake() {
			fmt.Fprintln(env.Stdout, "*** FAKE GPUs (--fake-gpus): simulated values, not measurements ***")
		}
		fmt.Fprintln(env.Stdout, "TIME          IDX  BUS ID            UTIL GPU/MEM  MEMORY USED MiB  TEMP   POWER W  SM MHz  MEM MHz  ENERGY/INTERVAL")
	}
	for smp := range s.Samples() {
		for _, r := range rowsFor(m, smp, deps.visible) {
			if f.format == "json" {
				if err := enc.Encode(watchLine{smp.Time, smp.Fake, r}); err != nil {
					fmt.Fprintf(env.Stderr, "infertop devices: %v\n", err)
					return ExitFailure
				}
				continue
			}
			writeWatchLine(env.Stdout, smp, r.GPU)
		}
	}
	return ExitOK
}

type watchLine struct {
	Time time.Time `json:"time"`
	Fake bool      `json:"fake"`
	gpuRow
}

func writeWatchLine(w io.Writer, smp gpuinfo.Sample, g gpuinfo.GPU) {
	if g.Err != "" {
		fmt.Fprintf(w, "%s  %3d  %s  %s\n", smp.Time.Format("15:04:05.000"), g.Index, g.PCIBusID, g.Err)
		return
	}
	fake := ""
	if g.Fake {
		fake = "  FAKE"
	}
	fmt.Fprintf(w, "%s  %3d  %s  %4s / %-4s    %15s  %5s  %7s  %6s  %7s  %15s%s\n",
		smp.Time.Format("15:04:05.000"), g.Index, g.PCIBusID,
		gpuinfo.Format(g.UtilGPUPercent, "%d%%"), gpuinfo.Format(g.UtilMemoryPercent, "%d%%"),
		gpuinfo.Format(mibOf(g.MemoryUsedBytes), "%d"), gpuinfo.Format(g.TemperatureC, "%d°C"),
		gpuinfo.Format(g.PowerDrawWatts, "%.1f"), gpuinfo.Format(g.SMClockMHz, "%d"), gpuinfo.Format(g.MemClockMHz, "%d"),
		gpuinfo.Format(g.EnergyIntervalJoules, "%.2f J"), fake)
}

func mibOf(b gpuinfo.Opt[uint64]) gpuinfo.Opt[uint64] {
	if !b.OK {
		return b
	}
	return gpuinfo.Some(b.V / units.MiB)
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
