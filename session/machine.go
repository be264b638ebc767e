package session

import (
	"os"
	"time"

	"infertop/engine"
	"infertop/engine/cpu"
	"infertop/gpuinfo"
	"infertop/hostinfo"
)

// Machine is what a session takes from outside the process: the engines of
// this build, the GPUs, the host. NewMachine gives this machine's; tests
// replace fields. A nil func field means "none" (no NVML, no RAPL).
type Machine struct {
	// Registry holds the engines this build has.
	Registry *engine.Registry
	// HostMemory reads the memory a new allocation on the host may use.
	HostMemory func() (hostinfo.Memory, error)
	// CPUs reads how many CPUs this process may compute on (nil: this
	// machine's, hostinfo.UsableCPUs).
	CPUs func() hostinfo.CPUs
	// RSS reads this process's resident set in bytes (0: unknown).
	RSS func() int64
	// CPUInfo is the cpuinfo file reports and recordings read the CPU model
	// from ("" for hostinfo.CPUInfo).
	CPUInfo string
	// OpenNVML opens the GPUs' telemetry.
	OpenNVML func() (*gpuinfo.Monitor, error)
	// Visible is CUDA_VISIBLE_DEVICES, which maps cuda:N to its GPU.
	Visible string
	// OpenRAPL opens the CPU packages' energy counters.
	OpenRAPL func() (*hostinfo.RAPL, error)
	// BLAS describes the CPU engine's BLAS.
	BLAS func() string
	// BLASError says why the BLAS library a person chose does not load
	// (nil: INFERTOP_BLAS through internal/blas).
	BLASError func() error
	// Window is the runner's measurement window of bench (0: the runner's default).
	Window time.Duration
	// Now is the race's clock (nil: the wall clock).
	Now func() time.Time
	// Clock drives the devices listing's --watch (nil: the system clock).
	Clock gpuinfo.Clock
}

// NewMachine is this machine, with the engines of this build.
func NewMachine() Machine {
	return Machine{
		Registry:   NewRegistry(),
		HostMemory: func() (hostinfo.Memory, error) { return hostinfo.ReadMemory("/") },
		CPUs:       func() hostinfo.CPUs { return hostinfo.UsableCPUs("/") },
		RSS:        hostinfo.RSS,
		CPUInfo:    hostinfo.CPUInfo,
		OpenNVML:   func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) },
		Visible:    os.Getenv("CUDA_VISIBLE_DEVICES"),
		OpenRAPL:   func() (*hostinfo.RAPL, error) { return hostinfo.OpenRAPL("") },
		BLAS:       cpu.BLASDescription,
	}
}

// cpuInfo is the cpuinfo file to read.
func (m Machine) cpuInfo() string {
	if m.CPUInfo == "" {
		return hostinfo.CPUInfo
	}
	return m.CPUInfo
}

// UsableCPUs is how many CPUs this process may compute on: the most CPU
// threads a run may ask for.
func (m Machine) UsableCPUs() hostinfo.CPUs {
	if m.CPUs == nil {
		return hostinfo.UsableCPUs("/")
	}
	return m.CPUs()
}

// hostMemory reads the host's available memory (an error without a reader).
func (m Machine) hostMemory() (hostinfo.Memory, error) {
	if m.HostMemory == nil {
		return hostinfo.ReadMemory("/")
	}
	return m.HostMemory()
}
