package ui

import (
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

// historyLen is how many throughput points the chart keeps (one per completed
// window: about five minutes with the runner's 1 s windows).
const historyLen = 300

// depthLen is how many queue depths the serving chart keeps (one per
// snapshot: about five minutes at the runner's ten snapshots a second).
const depthLen = 3000

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
	// depth is each serving snapshot's queue depth; depthMax each
	// completed window's most queued requests.
	depth, depthMax []point
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
		h.depth, h.depthMax = h.depth[:0], h.depthMax[:0]
	}
	if sv := s.Serving; sv != nil {
		h.depth = keepLast(append(h.depth, point{T: s.Time, Value: float64(sv.QueueDepth)}), depthLen)
		added = true
	}
	for _, w := range s.Windows {
		if w.Index <= h.lastWindow {
			continue
		}
		// A window ends at s.Time minus the measured time since its end.
		t := s.Time.Add(w.End - s.Measured)
		h.throughput = append(h.throughput, point{T: t, Value: w.SamplesPerSec})
		if sw, ok := servingWindow(s.Serving, w.Index); ok {
			h.depthMax = keepLast(append(h.depthMax, point{T: t, Value: float64(sw.MaxDepth)}), historyLen)
		}
		h.lastWindow = w.Index
		added = true
	}
	h.throughput = keepLast(h.throughput, historyLen)
	return added
}

// keepLast drops the oldest points beyond n.
func keepLast(pts []point, n int) []point {
	if len(pts) > n {
		return append(pts[:0], pts[len(pts)-n:]...)
	}
	return pts
}

// servingWindow is the serving figures of window index (nil sv: none).
func servingWindow(sv *runner.Serving, index int) (runner.ServingWindow, bool) {
	if sv != nil {
		for _, w := range sv.Windows {
			if w.Index == index {
				return w, true
			}
		}
	}
	return runner.ServingWindow{}, false
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
