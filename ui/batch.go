package ui

import (
	"fmt"
	"strconv"
	"strings"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/presets"
)

// defaultMaxBatch bounds typed batch sizes when Options.MaxBatch is 0.
const defaultMaxBatch = 1 << 24

// parseBatch reads a typed batch size.
func parseBatch(s string, maxBatch int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a positive integer", strings.TrimSpace(s))
	}
	if n > maxBatch {
		return 0, fmt.Errorf("batch %d is above the limit of %d", n, maxBatch)
	}
	return n, nil
}

// checkFits refuses a batch whose memory estimate (presets EstimateBytes)
// exceeds what the device has: host memory for the CPU (plus what the
// executor already holds, which it frees first), free GPU memory from the
// latest sample for CUDA devices (plus what this run holds there). Without a
// reading it accepts and leaves the last word to the engine.
func (m *Model) checkFits(n int) error {
	p, err := m.opts.Catalog.Get(m.snap.Preset)
	if err != nil {
		return nil
	}
	dev, err := engine.ParseDevice(m.snap.Device)
	if err != nil {
		return nil
	}
	if dev.Kind == engine.CPU {
		if m.opts.HostAvailable == nil {
			return nil
		}
		avail, err := m.opts.HostAvailable()
		if err != nil {
			return nil
		}
		return fitsIn(p, n, n, avail+m.snap.Memory.HostBytes, "host memory")
	}
	gpus := m.inUse()
	if m.sample == nil || len(gpus) == 0 {
		return nil
	}
	per := (n + len(gpus) - 1) / len(gpus)
	for i := range gpus {
		g, ok := gpuByIndex(*m.sample, i)
		if !ok || !g.MemoryFreeBytes.OK {
			return nil
		}
		held := m.snap.Memory.DeviceBytes[m.cudaName[i]]
		if err := fitsIn(p, n, per, int64(g.MemoryFreeBytes.V)+held, fmt.Sprintf("GPU %d", i)); err != nil {
			return err
		}
	}
	return nil
}

func fitsIn(p *presets.Preset, batch, share int, avail int64, where string) error {
	if need := p.EstimateBytes(share); need > avail {
		return fmt.Errorf("batch %d needs about %s, only %s free in %s", batch, units.Bytes(need), units.Bytes(avail), where)
	}
	return nil
}
