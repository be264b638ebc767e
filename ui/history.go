package ui

import (
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

// historyLen is how many throughput points the chart keeps (one per completed
// window: about five minutes with the runner's 1 s windows).
const historyLen = 300

// utilLen is how many utilization readings each GPU keeps for its sparkline.
const utilLen = 120

// point is one throughput reading for the chart.
type point struct {
	T     time.Time
	Value float64
}

// history keeps the series the charts draw. It only stores what snapshots and
// samples carry; it derives nothing.
type history struct {
	throughput []point
	// lastWindow is the (run, window index) of the newest stored point.
	lastRun    uint64
	lastWindow int
	util       map[int][]float64 // per NVML index
}

func newHistory() *history {
	return &history{lastWindow: -1, util: map[int][]float64{}}
}

// addSnapshot stores the newest completed windows of s that are not stored
// yet. A new run (another batch, model or device, or a reset) starts the
// series again, so that its chart's axis is its own: a run at 300
// samples/s after one at 23k would lie flat at zero. It reports whether
// the series changed.
func (h *history) addSnapshot(s runner.Snapshot) bool {
	added := false
	if s.RunID != h.lastRun {
		h.lastRun, h.lastWindow = s.RunID, -1
		added = len(h.throughput) > 0
		h.throughput = h.throughput[:0]
	}
	for _, w := range s.Windows {
		if w.Index <= h.lastWindow {
			continue
		}
		// A window ends at s.Time minus the measured time since its end.
		t := s.Time.Add(w.End - s.Measured)
		h.throughput = append(h.throughput, point{T: t, Value: w.SamplesPerSec})
		h.lastWindow = w.Index
		added = true
	}
	if n := len(h.throughput); n > historyLen {
		h.throughput = append(h.throughput[:0], h.throughput[n-historyLen:]...)
	}
	return added
}

// addSample stores each GPU's utilization.
func (h *history) addSample(s gpuinfo.Sample) {
	for _, g := range s.GPUs {
		if !g.UtilGPUPercent.OK {
			continue
		}
		u := append(h.util[g.Index], float64(g.UtilGPUPercent.V))
		if len(u) > utilLen {
			u = u[len(u)-utilLen:]
		}
		h.util[g.Index] = u
	}
}
