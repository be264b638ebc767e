package session

import (
	"errors"
	"slices"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/record"
	"infertop/runner"
)

// cpuDevice is the CPU's canonical device name.
const cpuDevice = "cpu"

// energyFor is the runner's energy meter for the devices named (canonical
// names): NVML's counters of the GPUs of each CUDA device among them, read
// through g, and the CPU packages' RAPL counters when the CPU is among them.
// Either part is missing without its counters, and the meter says why
// (runner.EnergyNoter), for the displays to say where the figure would be.
func (m Machine) energyFor(g gpus, names ...string) runner.EnergyMeter {
	meter, raplErr := withCPUEnergy(g.energy(cudaDevices(names)), m.OpenRAPL, names)
	return notedMeter{meter: meter, cpu: raplNote(m.OpenRAPL, raplErr), gpu: g.energyNote()}
}

// notedMeter is an energy meter that says why a device has no counter
// (runner.EnergyNoter).
type notedMeter struct {
	meter runner.EnergyMeter
	// cpu and gpu say why the CPU's and the GPUs' energy is not measured
	// ("" when their counters are read).
	cpu, gpu string
}

// ReadEnergy reads the meter (no counter without one).
func (n notedMeter) ReadEnergy(device string) (uint64, bool, error) {
	return runner.ReadMeter(n.meter, device)
}

// EnergyNote says why device's energy is not measured.
func (n notedMeter) EnergyNote(device string) string {
	if device == cpuDevice {
		return n.cpu
	}
	return n.gpu
}

// raplNote says in a few words why the CPU packages' counters are not read
// ("" when they are).
func raplNote(open func() (*hostinfo.RAPL, error), err error) string {
	switch {
	case open == nil:
		return "no CPU energy counter"
	case errors.Is(err, hostinfo.ErrNoRAPL):
		return "no RAPL counters here (a virtual machine?)"
	case errors.Is(err, hostinfo.ErrRAPLPermission):
		return "RAPL counters are readable by root only"
	case err != nil:
		return err.Error()
	}
	return ""
}

// energyNote says in a few words why the GPUs' counters are not read (""
// when they may be).
func (g gpus) energyNote() string {
	switch {
	case g.mon != nil && g.mon.Fake():
		return "simulated GPUs have no energy counter"
	case g.mon == nil && g.err != nil && !errors.Is(g.err, errNoNVML):
		return "no NVML: " + g.err.Error()
	case g.mon == nil:
		return "no NVML"
	}
	return ""
}

// nvmlEnergy is the runner's energy meter over NVML: it reads the energy
// counters of the GPUs a device runs on, by the device's canonical name.
type nvmlEnergy struct {
	mon *gpuinfo.Monitor
	// gpus maps a device name ("cuda:0", "cuda:all") to its NVML indexes.
	gpus map[string][]int
}

// ReadEnergy sums the counters of device's GPUs; a device without GPUs, or a
// GPU without a counter, answers ok false.
func (e nvmlEnergy) ReadEnergy(device string) (uint64, bool, error) {
	idx := e.gpus[device]
	if len(idx) == 0 {
		return 0, false, nil
	}
	mj, err := e.mon.EnergyMillijoules(idx)
	switch {
	case errors.Is(err, gpuinfo.ErrNotSupported):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return mj, true, nil
}

// energyMeter is the runner's energy meter for the GPUs of each device in
// gpus, or nil without NVML. Simulated GPUs get none: their counters say
// nothing about what a real run used.
func energyMeter(mon *gpuinfo.Monitor, gpus map[string][]int) runner.EnergyMeter {
	if mon == nil || mon.Fake() || len(gpus) == 0 {
		return nil
	}
	return nvmlEnergy{mon: mon, gpus: gpus}
}

// energy is the meter over the GPUs of each CUDA device in devices; a device
// whose GPUs cannot be found reads no counter.
func (g gpus) energy(devices []engine.Device) runner.EnergyMeter {
	idx := map[string][]int{}
	for _, d := range devices {
		if i, err := g.indexes(d); err == nil {
			idx[d.String()] = i
		}
	}
	return energyMeter(g.mon, idx)
}

// dashboardEnergy is the dashboard's energy meter: NVML's counters for the
// GPUs of every device it lists (none without NVML or with simulated GPUs),
// and the CPU packages' counters for the CPU whatever device the run starts
// on, since the person can switch to it.
func dashboardEnergy(m Machine, g gpus, devices []record.Device) runner.EnergyMeter {
	meter, raplErr := withCPUEnergy(energyMeter(g.mon, deviceGPUs(devices)), m.OpenRAPL, []string{cpuDevice})
	return notedMeter{meter: meter, cpu: raplNote(m.OpenRAPL, raplErr), gpu: g.energyNote()}
}

// deviceGPUs maps each device of a list to the NVML indexes of its GPUs.
func deviceGPUs(devices []record.Device) map[string][]int {
	out := map[string][]int{}
	for _, d := range devices {
		if len(d.GPUIndexes) > 0 {
			out[d.Name] = d.GPUIndexes
		}
	}
	return out
}

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

// withCPUEnergy adds the CPU packages' counters to gpus when devices name
// the CPU and open gives them; otherwise it returns gpus, and why the
// counters did not open. Without counters (a virtual machine, a user other
// than root) the CPU's energy stays unknown, as on a GPU without NVML, and
// the meter says why.
func withCPUEnergy(gpus runner.EnergyMeter, open func() (*hostinfo.RAPL, error), devices []string) (runner.EnergyMeter, error) {
	if open == nil || !slices.Contains(devices, cpuDevice) {
		return gpus, nil
	}
	pkgs, err := open()
	if err != nil {
		return gpus, err
	}
	return cpuEnergy{pkgs: pkgs, gpus: gpus}, nil
}

// cpuEnergySource says which counters measure a CPU run's energy, or why
// none does.
func (m Machine) cpuEnergySource() string {
	if m.OpenRAPL == nil {
		return "none"
	}
	c, err := m.OpenRAPL()
	if err != nil {
		return "none: " + err.Error()
	}
	return "RAPL counters of " + c.Zones() + " (whole packages, every process on them)"
}
