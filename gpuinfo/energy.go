package gpuinfo

import (
	"errors"
	"fmt"
)

// EnergyMillijoules reads only the energy counters (NVML's total energy
// consumption: millijoules since the driver was loaded) of the GPUs with
// the given NVML indexes and returns their sum. It makes one driver call
// per GPU and nothing else, so a caller may read it at every measurement
// window. An error wrapping ErrNotSupported means a GPU has no counter;
// the other errors name the GPU that could not be read.
func (m *Monitor) EnergyMillijoules(indexes []int) (uint64, error) {
	if len(indexes) == 0 {
		return 0, errors.New("energy counter: no GPU given")
	}
	var sum uint64
	for _, i := range indexes {
		if i < 0 || i >= len(m.devs) {
			return 0, fmt.Errorf("energy counter: no GPU %d (NVML lists %d)", i, len(m.devs))
		}
		if m.devErr[i] != nil {
			return 0, fmt.Errorf("energy counter of GPU %d: %w", i, m.devErr[i])
		}
		mj, err := call("energy counter", m.devs[i].GetTotalEnergyConsumption)
		if err != nil {
			return 0, fmt.Errorf("GPU %d: %w", i, err)
		}
		sum += mj
	}
	return sum, nil
}
