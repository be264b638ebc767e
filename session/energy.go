package cli

import (
	"errors"
	"fmt"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/runner"
)

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

// cudaIndexes are the NVML indexes of the GPUs CUDA device d runs on: the
// GPU cuda:N names in PCI bus order, or every visible one for cuda:all.
func cudaIndexes(m *gpuinfo.Monitor, d engine.Device, visible string) ([]int, error) {
	if !d.All {
		g, err := m.CUDADevice(d.Ordinal, visible)
		if err != nil {
			return nil, err
		}
		return []int{g.Index}, nil
	}
	var idx []int
	for _, g := range m.CUDAOrder(visible) {
		idx = append(idx, g.Index)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("%s: no GPU visible to CUDA", d)
	}
	return idx, nil
}

// devicesEnergy opens NVML when some of devices (canonical names) is a CUDA
// device and returns an energy meter over their GPUs and a closer (bench,
// and compare, whose two sides share it; a sweep's NVML session also reads
// memory, see useNVML). Without NVML, or with no
// CUDA device among them, the meter is nil and nothing measures energy; a
// CUDA device whose GPUs cannot be found reads no counter.
func devicesEnergy(open func() (*gpuinfo.Monitor, error), devices []string, visible string) (runner.EnergyMeter, func()) {
	var cuda []engine.Device
	for _, name := range devices {
		if d, err := engine.ParseDevice(name); err == nil && d.Kind == engine.CUDA {
			cuda = append(cuda, d)
		}
	}
	if len(cuda) == 0 || open == nil {
		return nil, func() {}
	}
	mon, err := open()
	if err != nil {
		return nil, func() {}
	}
	meter := cudaEnergy(mon, cuda, visible)
	if meter == nil {
		_ = mon.Close()
		return nil, func() {}
	}
	return meter, func() { _ = mon.Close() }
}

// cudaEnergy is the energy meter over the GPUs of each CUDA device in
// devices, read from mon (nil for a simulated monitor); a device whose GPUs
// cannot be found reads no counter.
func cudaEnergy(mon *gpuinfo.Monitor, devices []engine.Device, visible string) runner.EnergyMeter {
	gpus := map[string][]int{}
	for _, d := range devices {
		if idx, err := cudaIndexes(mon, d, visible); err == nil {
			gpus[d.String()] = idx
		}
	}
	return energyMeter(mon, gpus)
}
