package gpuinfo

import (
	"encoding/json"
	"time"
)

// Opt is a reading that may be missing: OK is false when the device does not
// support the field or the call failed (the GPU's Notes say why). It encodes to
// JSON as its value, or null when missing.
type Opt[T any] struct {
	V  T
	OK bool
}

// Some returns a present reading.
func Some[T any](v T) Opt[T] { return Opt[T]{V: v, OK: true} }

// MarshalJSON writes the value, or null when the reading is missing.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.OK {
		return []byte("null"), nil
	}
	return json.Marshal(o.V)
}

// UnmarshalJSON reads a value; null leaves the reading missing.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*o = Opt[T]{}
		return nil
	}
	*o = Opt[T]{OK: true}
	return json.Unmarshal(b, &o.V)
}

// Process is one compute process on a GPU.
type Process struct {
	PID uint32 `json:"pid"`
	// UsedMemoryBytes is missing when the driver cannot attribute memory to
	// processes (NVML reports "not available", e.g. in some containers).
	UsedMemoryBytes Opt[uint64] `json:"used_memory_bytes"`
	// Self marks this process (os.Getpid()). In a container with its own PID
	// namespace NVML reports host PIDs, so the mark may be absent there.
	Self bool `json:"this_process"`
}

// GPU is one device's readings at one moment, in base units. The fields are the
// quantities nvidia-smi --query-gpu shows under the names given beside them.
type GPU struct {
	// Index is NVML's index (nvidia-smi's "index").
	Index int `json:"index"`
	// Name is the product name; simulated GPUs start with "FAKE ".
	Name string `json:"name"`
	// UUID is "GPU-…" (nvidia-smi's "uuid").
	UUID string `json:"uuid"`
	// PCIBusID is "00000000:XX:00.0" (nvidia-smi's "pci.bus_id").
	PCIBusID string `json:"pci_bus_id"`
	// Fake is true for simulated GPUs (--fake-gpus).
	Fake bool `json:"fake"`

	// MemoryTotalBytes, MemoryUsedBytes, MemoryFreeBytes and MemoryReservedBytes
	// come from GetMemoryInfo_v2 (memory.total/used/free/reserved).
	MemoryTotalBytes    Opt[uint64] `json:"memory_total_bytes"`
	MemoryUsedBytes     Opt[uint64] `json:"memory_used_bytes"`
	MemoryFreeBytes     Opt[uint64] `json:"memory_free_bytes"`
	MemoryReservedBytes Opt[uint64] `json:"memory_reserved_bytes"`
	// MemoryV1 is true when only GetMemoryInfo (v1) answered: its "used"
	// includes the driver-reserved memory, so it reads higher than nvidia-smi.
	MemoryV1 bool `json:"memory_info_v1"`

	// UtilGPUPercent is the share of the driver's last sample period (1/6 s to
	// 1 s) during which one or more kernels ran (utilization.gpu). It is not SM
	// occupancy: one tiny kernel running all the time reads 100 %.
	UtilGPUPercent Opt[uint32] `json:"utilization_gpu_percent"`
	// UtilMemoryPercent is the share of the sample period during which device
	// memory was being read or written (utilization.memory), not memory used.
	UtilMemoryPercent Opt[uint32] `json:"utilization_memory_percent"`

	// TemperatureC is the GPU core temperature in °C (temperature.gpu).
	TemperatureC Opt[uint32] `json:"temperature_gpu_celsius"`

	// PowerDrawWatts is the board's power draw (power.draw; on Ampere and
	// newer averaged over one second by the driver).
	PowerDrawWatts Opt[float64] `json:"power_draw_watts"`
	// PowerLimitWatts is the power management limit (power.limit).
	PowerLimitWatts Opt[float64] `json:"power_limit_watts"`
	// PowerEnforcedLimitWatts is the limit in force (enforced.power.limit).
	PowerEnforcedLimitWatts Opt[float64] `json:"power_enforced_limit_watts"`

	// SMClockMHz, MemClockMHz and their maxima (clocks.sm, clocks.mem,
	// clocks.max.sm, clocks.max.mem), in MHz.
	SMClockMHz     Opt[uint32] `json:"clocks_sm_mhz"`
	SMClockMaxMHz  Opt[uint32] `json:"clocks_max_sm_mhz"`
	MemClockMHz    Opt[uint32] `json:"clocks_mem_mhz"`
	MemClockMaxMHz Opt[uint32] `json:"clocks_max_mem_mhz"`

	// ClockEvents are the reasons the clocks are held below their maximum
	// (clocks_event_reasons.*, formerly "throttle reasons").
	ClockEvents Opt[ClockEvents] `json:"clock_event_reasons"`

	// EnergyTotalJoules is the energy counter since the driver was loaded
	// (total_energy_consumption, mJ in NVML).
	EnergyTotalJoules Opt[float64] `json:"energy_total_joules"`
	// EnergyIntervalJoules is the counter's increase since the previous sample
	// from the same sampler; missing on the first sample and after a counter
	// reset (never negative).
	EnergyIntervalJoules Opt[float64] `json:"energy_interval_joules"`

	// PCIeTXBytesPerSec and PCIeRXBytesPerSec are PCIe throughput over the
	// driver's 20 ms window (KB/s in NVML); only sampled when asked for.
	PCIeTXBytesPerSec Opt[uint64] `json:"pcie_tx_bytes_per_second"`
	PCIeRXBytesPerSec Opt[uint64] `json:"pcie_rx_bytes_per_second"`

	// Processes are the compute processes, when the driver lists them;
	// entries with impossible values are dropped.
	Processes Opt[[]Process] `json:"processes"`

	// Err is set when the device could not be read at all (e.g. GPU lost);
	// the other fields are then missing.
	Err string `json:"error,omitempty"`
	// Notes explain missing fields other than "not supported".
	Notes []string `json:"notes,omitempty"`

	// energyMJ is the raw counter, kept for exact differencing.
	energyMJ Opt[uint64]
}

// Sample is one reading of every GPU.
type Sample struct {
	// Time is when the reading started.
	Time time.Time `json:"time"`
	// Interval is the time since the sampler's previous sample (0 on the first).
	Interval time.Duration `json:"interval_nanoseconds"`
	// Fake is true when the GPUs are simulated; every display must say so.
	Fake bool `json:"fake"`
	// DriverVersion is the NVIDIA driver version (driver_version).
	DriverVersion string `json:"driver_version"`
	// GPUs are in NVML index order.
	GPUs []GPU `json:"gpus"`
}

// DeviceInfo identifies one GPU; it does not change while the program runs.
type DeviceInfo struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	UUID     string `json:"uuid"`
	PCIBusID string `json:"pci_bus_id"`
	Fake     bool   `json:"fake"`
}
