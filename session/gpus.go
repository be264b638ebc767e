package cli

import (
	"fmt"

	"infertop/engine"
	"infertop/gpuinfo"
)

// gpuMemoryFunc gives the dashboard's sweep NVML's memory figures for a CUDA
// device: a reader of the used memory on its GPUs, their total, and a closer
// (called when the sweep ends). The sweep's GPU points carry what the reader
// returns.
type gpuMemoryFunc func(d engine.Device) (used func() int64, total int64, closeFn func(), err error)

// monitorMemory reads NVML's used memory on the GPUs a CUDA device runs on
// (cuda:N matched by PCI bus order, cuda:all every visible GPU) and their
// total, on the dashboard's monitor (real or simulated): its closer leaves
// the monitor open, and a nil monitor is the reason nvmlErr, or "no NVML"
// without one.
func monitorMemory(m *gpuinfo.Monitor, nvmlErr error, visible string) gpuMemoryFunc {
	return func(d engine.Device) (func() int64, int64, func(), error) {
		if m == nil {
			err := nvmlErr
			if err == nil {
				err = fmt.Errorf("NVML is not open")
			}
			return nil, 0, nil, err
		}
		read, total, err := deviceMemory(m, d, visible)
		if err != nil {
			return nil, 0, nil, err
		}
		return read, total, func() {}, nil
	}
}

// deviceMemory finds the NVML indexes of the GPUs device d runs on and
// returns a reader of their used memory and their total.
func deviceMemory(m *gpuinfo.Monitor, d engine.Device, visible string) (func() int64, int64, error) {
	idx, err := cudaIndexes(m, d, visible)
	if err != nil {
		return nil, 0, err
	}
	_, total := gpuMemorySum(m.Read(), idx)
	if total == 0 {
		return nil, 0, fmt.Errorf("NVML reports no memory total for %s", d)
	}
	read := func() int64 { u, _ := gpuMemorySum(m.Read(), idx); return u }
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
