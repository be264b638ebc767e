package cli

import (
	"fmt"
	"os"

	"infertop/engine"
	"infertop/gpuinfo"
)

// nvmlMemory reads NVML's used memory on the GPUs a CUDA device runs on
// (cuda:N matched by PCI bus order, cuda:all every visible GPU) and their total.
func nvmlMemory(d engine.Device) (func() int64, int64, func(), error) {
	m, err := gpuinfo.Open(gpuinfo.Options{})
	if err != nil {
		return nil, 0, nil, err
	}
	visible := os.Getenv("CUDA_VISIBLE_DEVICES")
	var idx []int
	if d.All {
		for _, g := range m.CUDAOrder(visible) {
			idx = append(idx, g.Index)
		}
	} else {
		g, err := m.CUDADevice(d.Ordinal, visible)
		if err != nil {
			m.Close()
			return nil, 0, nil, err
		}
		idx = []int{g.Index}
	}
	if len(idx) == 0 {
		m.Close()
		return nil, 0, nil, fmt.Errorf("no GPU visible to CUDA")
	}
	_, total := gpuMemorySum(m.Read(), idx)
	if total == 0 {
		m.Close()
		return nil, 0, nil, fmt.Errorf("NVML reports no memory total for %s", d)
	}
	read := func() int64 { u, _ := gpuMemorySum(m.Read(), idx); return u }
	return read, total, func() { m.Close() }, nil
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
