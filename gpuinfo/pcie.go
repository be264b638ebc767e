package gpuinfo

import (
	"context"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// pcieReading is one GPU's latest PCIe throughput.
type pcieReading struct{ tx, rx Opt[uint64] }

// pcieCache holds the latest PCIe readings, written by the PCIe goroutine and
// read by the sampler goroutine.
type pcieCache struct {
	mu   sync.Mutex
	vals map[int]pcieReading
}

// run reads every GPU's PCIe counters once per tick until ctx ends. Each
// NVML call blocks about 20 ms, which is why this is not the main loop.
func (c *pcieCache) run(ctx context.Context, m *Monitor, clock Clock, every time.Duration) {
	t := clock.NewTicker(every)
	defer t.Stop()
	for {
		for i, d := range m.devs {
			if ctx.Err() != nil {
				return
			}
			if d == nil {
				continue
			}
			r := readPCIe(d)
			c.mu.Lock()
			c.vals[i] = r
			c.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// fill copies the latest readings for g into it.
func (c *pcieCache) fill(g *GPU) {
	c.mu.Lock()
	r := c.vals[g.Index]
	c.mu.Unlock()
	g.PCIeTXBytesPerSec, g.PCIeRXBytesPerSec = r.tx, r.rx
}

// readPCIe reads one GPU's PCIe counters (about 40 ms).
func readPCIe(d Device) pcieReading {
	var r pcieReading
	if v, err := call("PCIe TX", func() (uint32, nvml.Return) { return d.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES) }); err == nil {
		r.tx = Some(KBpsToBytesPerSec(v))
	}
	if v, err := call("PCIe RX", func() (uint32, nvml.Return) { return d.GetPcieThroughput(nvml.PCIE_UTIL_RX_BYTES) }); err == nil {
		r.rx = Some(KBpsToBytesPerSec(v))
	}
	return r
}

// ReadPCIe fills s's PCIe throughput synchronously, for one-shot readings
// (it blocks about 40 ms per GPU; the Sampler does this in the background).
func (m *Monitor) ReadPCIe(s *Sample) {
	for i := range s.GPUs {
		g := &s.GPUs[i]
		if g.Index < 0 || g.Index >= len(m.devs) || m.devs[g.Index] == nil || g.Err != "" {
			continue
		}
		r := readPCIe(m.devs[g.Index])
		g.PCIeTXBytesPerSec, g.PCIeRXBytesPerSec = r.tx, r.rx
	}
}
