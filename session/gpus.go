package session

import (
	"errors"
	"fmt"

	"infertop/engine"
	"infertop/gpuinfo"
)

// Telemetry limits, for the commands' flags.
const (
	// DefaultInterval is the GPU telemetry's default sampling interval.
	DefaultInterval = gpuinfo.DefaultInterval
	// MinInterval is the shortest one.
	MinInterval = gpuinfo.MinInterval
	// MaxFakeGPUs bounds --fake-gpus.
	MaxFakeGPUs = gpuinfo.MaxFakeGPUs
)

// errNoNVML is why there is no monitor when nothing said otherwise.
var errNoNVML = errors.New("NVML is not open")

// gpus is the NVML session a set-up reads: one it opened and closes, or the
// dashboard's, which it leaves open. A nil monitor comes with the reason.
type gpus struct {
	mon *gpuinfo.Monitor
	err error
	// visible is CUDA_VISIBLE_DEVICES, which maps cuda:N to its GPU.
	visible string
	own     bool
}

// openGPUs opens NVML (a session of its own, closed by close).
func (m Machine) openGPUs() gpus {
	g := gpus{visible: m.Visible, own: true, err: errNoNVML}
	if m.OpenNVML != nil {
		g.mon, g.err = m.OpenNVML()
	}
	return g
}

// openGPUsFor opens NVML only when one of devices (canonical names) runs on
// CUDA; otherwise the set-up needs no GPU and gets none.
func (m Machine) openGPUsFor(devices ...string) gpus {
	if len(cudaDevices(devices)) == 0 {
		return gpus{visible: m.Visible, err: errNoNVML}
	}
	return m.openGPUs()
}

// openFake opens n simulated GPUs (--fake-gpus) when n > 0, else NVML.
func (m Machine) openFake(n int) gpus {
	if n <= 0 {
		return m.openGPUs()
	}
	mon, err := gpuinfo.OpenFake(n, gpuinfo.FakeOptions{})
	return gpus{mon: mon, err: err, visible: m.Visible, own: true}
}

// close closes a session the set-up opened.
func (g gpus) close() {
	if g.own && g.mon != nil {
		_ = g.mon.Close()
	}
}

// cudaDevices parses the CUDA devices among names.
func cudaDevices(names []string) []engine.Device {
	var out []engine.Device
	for _, name := range names {
		if d, err := engine.ParseDevice(name); err == nil && d.Kind == engine.CUDA {
			out = append(out, d)
		}
	}
	return out
}

// indexes are the NVML indexes of the GPUs CUDA device d runs on: the GPU
// cuda:N names in PCI bus order, or every visible one for cuda:all.
func (g gpus) indexes(d engine.Device) ([]int, error) {
	if g.mon == nil {
		return nil, g.err
	}
	if !d.All {
		gpu, err := g.mon.CUDADevice(d.Ordinal, g.visible)
		if err != nil {
			return nil, err
		}
		return []int{gpu.Index}, nil
	}
	var idx []int
	for _, gpu := range g.mon.CUDAOrder(g.visible) {
		idx = append(idx, gpu.Index)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("%s: no GPU visible to CUDA", d)
	}
	return idx, nil
}

// memory finds the GPUs device d runs on and returns a reader of NVML's used
// memory on them and their total.
func (g gpus) memory(d engine.Device) (func() int64, int64, error) {
	idx, err := g.indexes(d)
	if err != nil {
		return nil, 0, err
	}
	_, total := gpuMemorySum(g.mon.Read(), idx)
	if total == 0 {
		return nil, 0, fmt.Errorf("NVML reports no memory total for %s", d)
	}
	mon := g.mon
	read := func() int64 { u, _ := gpuMemorySum(mon.Read(), idx); return u }
	return read, total, nil
}

// gpuMemorySum adds NVML's used and total memory over the GPUs with the given NVML indexes.
func gpuMemorySum(s gpuinfo.Sample, idx []int) (used, total int64) {
	for _, g := range s.GPUs {
		for _, i := range idx {
			if g.Index == i {
				if g.MemoryUsedBytes.OK {
					used += int64(g.MemoryUsedBytes.V)
				}
				if g.MemoryTotalBytes.OK {
					total += int64(g.MemoryTotalBytes.V)
				}
			}
		}
	}
	return used, total
}
