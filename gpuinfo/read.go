package gpuinfo

import (
	"errors"
	"fmt"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Unit conversions from NVML's raw units.

// MilliwattsToWatts converts NVML power (mW) to watts.
func MilliwattsToWatts(mw uint32) float64 { return float64(mw) / 1000 }

// MillijoulesToJoules converts NVML energy (mJ) to joules.
func MillijoulesToJoules(mj uint64) float64 { return float64(mj) / 1000 }

// KBpsToBytesPerSec converts NVML PCIe throughput (KB/s, 1 KB = 1024 bytes) to bytes per second.
func KBpsToBytesPerSec(kbps uint32) uint64 { return uint64(kbps) * 1024 }

// Read takes one reading of every GPU now. Energy per interval and PCIe are
// left missing: the Sampler fills them.
func (m *Monitor) Read() Sample {
	s := Sample{Time: time.Now(), Fake: m.fake, DriverVersion: m.driver, GPUs: make([]GPU, len(m.devs))}
	for i := range m.devs {
		s.GPUs[i] = m.readGPU(i)
	}
	return s
}

// reader collects one GPU's field failures.
type reader struct {
	g    *GPU
	lost error
}

// field reads one value; ERROR_NOT_SUPPORTED leaves it missing silently,
// other failures leave it missing with a note. After the GPU is found lost,
// no further calls are made.
func field[T any](r *reader, name string, f func() (T, nvml.Return)) Opt[T] {
	if r.lost != nil {
		return Opt[T]{}
	}
	v, err := call(name, f)
	switch {
	case err == nil:
		return Some(v)
	case errors.Is(err, ErrNotSupported):
	case errors.Is(err, ErrGPULost):
		r.lost = err
	default:
		r.g.Notes = append(r.g.Notes, err.Error())
	}
	return Opt[T]{}
}

func (m *Monitor) readGPU(i int) GPU {
	info := m.info[i]
	g := GPU{Index: info.Index, Name: info.Name, UUID: info.UUID, PCIBusID: info.PCIBusID, Fake: m.fake}
	if m.devErr[i] != nil {
		g.Err = m.devErr[i].Error()
		return g
	}
	d := m.devs[i]
	r := &reader{g: &g}
	m.readMemory(r, d)
	if u := field(r, "utilization", d.GetUtilizationRates); u.OK {
		g.UtilGPUPercent, g.UtilMemoryPercent = Some(u.V.Gpu), Some(u.V.Memory)
	}
	g.TemperatureC = field(r, "temperature", func() (uint32, nvml.Return) { return d.GetTemperature(nvml.TEMPERATURE_GPU) })
	g.PowerDrawWatts = watts(field(r, "power draw", d.GetPowerUsage))
	g.PowerLimitWatts = watts(field(r, "power limit", d.GetPowerManagementLimit))
	g.PowerEnforcedLimitWatts = watts(field(r, "enforced power limit", d.GetEnforcedPowerLimit))
	g.SMClockMHz = field(r, "SM clock", func() (uint32, nvml.Return) { return d.GetClockInfo(nvml.CLOCK_SM) })
	g.SMClockMaxMHz = field(r, "max SM clock", func() (uint32, nvml.Return) { return d.GetMaxClockInfo(nvml.CLOCK_SM) })
	g.MemClockMHz = field(r, "memory clock", func() (uint32, nvml.Return) { return d.GetClockInfo(nvml.CLOCK_MEM) })
	g.MemClockMaxMHz = field(r, "max memory clock", func() (uint32, nvml.Return) { return d.GetMaxClockInfo(nvml.CLOCK_MEM) })
	reasons := d.GetCurrentClocksThrottleReasons
	if m.useEventReasons {
		reasons = d.GetCurrentClocksEventReasons
	}
	if c := field(r, "clock event reasons", reasons); c.OK {
		g.ClockEvents = Some(ClockEvents(c.V))
	}
	g.energyMJ = field(r, "energy counter", d.GetTotalEnergyConsumption)
	if g.energyMJ.OK {
		g.EnergyTotalJoules = Some(MillijoulesToJoules(g.energyMJ.V))
	}
	if p := field(r, "processes", d.GetComputeRunningProcesses); p.OK {
		g.Processes = Some(cleanProcesses(p.V, g.MemoryTotalBytes, m.selfPID))
	}
	if r.lost != nil {
		return GPU{Index: g.Index, Name: g.Name, UUID: g.UUID, PCIBusID: g.PCIBusID, Fake: g.Fake,
			Err: fmt.Sprintf("GPU %d (%s): %v", g.Index, g.PCIBusID, r.lost)}
	}
	return g
}

// readMemory prefers GetMemoryInfo_v2, whose "used" excludes the memory the
// driver reserves (as nvidia-smi's memory.used does); v1's includes it.
func (m *Monitor) readMemory(r *reader, d Device) {
	g := r.g
	if m.useV2Memory {
		v2, err := call("memory info v2", d.GetMemoryInfo_v2)
		if err == nil {
			g.MemoryTotalBytes, g.MemoryUsedBytes = Some(v2.Total), Some(v2.Used)
			g.MemoryFreeBytes, g.MemoryReservedBytes = Some(v2.Free), Some(v2.Reserved)
			return
		}
		if errors.Is(err, ErrGPULost) {
			r.lost = err
			return
		}
	}
	v1 := field(r, "memory info", d.GetMemoryInfo)
	if !v1.OK {
		return
	}
	g.MemoryTotalBytes, g.MemoryUsedBytes, g.MemoryFreeBytes = Some(v1.V.Total), Some(v1.V.Used), Some(v1.V.Free)
	g.MemoryV1 = true
	g.Notes = append(g.Notes, "memory from GetMemoryInfo v1: used includes driver-reserved memory, so it reads higher than nvidia-smi")
}

func watts(mw Opt[uint32]) Opt[float64] {
	if !mw.OK {
		return Opt[float64]{}
	}
	return Some(MilliwattsToWatts(mw.V))
}

// cleanProcesses drops entries with impossible values (pid 0, used memory
// above the GPU's total) and marks this process. NVML's "not available"
// memory value keeps the process with its memory missing.
func cleanProcesses(in []nvml.ProcessInfo, total Opt[uint64], self uint32) []Process {
	out := make([]Process, 0, len(in))
	for _, p := range in {
		if p.Pid == 0 {
			continue
		}
		proc := Process{PID: p.Pid, Self: p.Pid == self}
		switch {
		case p.UsedGpuMemory == ^uint64(0):
		case total.OK && p.UsedGpuMemory > total.V:
			continue
		default:
			proc.UsedMemoryBytes = Some(p.UsedGpuMemory)
		}
		out = append(out, proc)
	}
	return out
}
