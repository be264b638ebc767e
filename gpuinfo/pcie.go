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
			var r pcieReading
			if v, err := call("PCIe TX", func() (uint32, nvml.Return) { return d.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES) }); err == nil {
				r.tx = Some(KBpsToBytesPerSec(v))
			}
			if v, err := call("PCIe RX", func() (uint32, nvml.Return) { return d.GetPcieThroughput(nvml.PCIE_UTIL_RX_BYTES) }); err == nil {
				r.rx = Some(KBpsToBytesPerSec(v))
			}
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
