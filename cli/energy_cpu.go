package cli

import (
	"slices"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/runner"
	"infertop/ui"
)

// cpuDevice is the CPU's canonical device name.
const cpuDevice = "cpu"

// openRAPL opens the CPU packages' energy counters of this machine.
func openRAPL() (*hostinfo.RAPL, error) { return hostinfo.OpenRAPL("") }

// cpuEnergy answers the CPU device from the CPU packages' RAPL counters and
// passes every other device to gpus (nil: no other counter).
type cpuEnergy struct {
	pkgs *hostinfo.RAPL
	gpus runner.EnergyMeter
}

// ReadEnergy reads the packages' counters for the CPU, or gpus' for a GPU.
func (e cpuEnergy) ReadEnergy(device string) (uint64, bool, error) {
	if device != cpuDevice {
		if e.gpus == nil {
			return 0, false, nil
		}
		return e.gpus.ReadEnergy(device)
	}
	mj, err := e.pkgs.Millijoules()
	if err != nil {
		return 0, false, err
	}
	return mj, true, nil
}

// dashboardEnergy is the dashboard's energy meter: NVML's counters for the
// GPUs of every device it lists (none without NVML or with simulated GPUs),
// and the CPU packages' counters for the CPU whatever device the run starts
// on, since the person can switch to it.
func dashboardEnergy(mon *gpuinfo.Monitor, devices []ui.DeviceChoice, open func() (*hostinfo.RAPL, error)) runner.EnergyMeter {
	return withCPUEnergy(energyMeter(mon, deviceGPUs(devices)), open, []string{cpuDevice})
}

// withCPUEnergy adds the CPU packages' counters to gpus when devices name
// the CPU and open gives them; otherwise it returns gpus. Without counters (a virtual machine, a
// user other than root) the CPU's energy stays unknown, as on a GPU
// without NVML; `infertop devices` says why.
func withCPUEnergy(gpus runner.EnergyMeter, open func() (*hostinfo.RAPL, error), devices []string) runner.EnergyMeter {
	if open == nil || !slices.Contains(devices, cpuDevice) {
		return gpus
	}
	pkgs, err := open()
	if err != nil {
		return gpus
	}
	return cpuEnergy{pkgs: pkgs, gpus: gpus}
}
