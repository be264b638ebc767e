package runner

import (
	"fmt"
	"maps"
	"time"
)

// panicError is an executor panic turned into an error.
type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprintf("executor panicked: %v", p.v) }

// publish builds a snapshot and hands it to the Runner without blocking.
func (l *loop) publish(now time.Time) {
	l.lastPub = now
	l.r.publish(l.snapshot(now))
}

// snapshot copies everything a reader needs out of the loop's state.
func (l *loop) snapshot(now time.Time) Snapshot {
	l.seq++
	s := Snapshot{
		RunID:         l.runID,
		Seq:           l.seq,
		Time:          now,
		Device:        l.device,
		Batch:         l.batch,
		State:         l.state,
		Err:           l.errText,
		Elapsed:       now.Sub(l.runStart),
		WarmupTime:    l.warmTimeAt(now),
		WarmupBatches: l.warmBatches,
		WarmupSettled: l.settled,
		WarmupWindow:  l.warmRate,
		Measured:      l.measuredAt(now),
		Latency:       l.lat.percentiles(),
		Stability:     l.stability,
		Info:          l.info,
		Accuracy:      l.accuracy,
		Windows:       append([]Window(nil), l.windows...),
		Histogram:     l.lat.buckets(l.cfg.HistogramBuckets),
		Events:        l.events.list(),

		LatenciesRecorded: int64(len(l.recorded)),
		LatenciesDropped:  l.dropped,
	}
	s.Model = l.modelName()
	s.Profile = l.prof.profile(now, l.state.Running(), l.info.PeakGFLOPS)
	if n := len(l.windows); n > 0 {
		s.Window = l.windows[n-1].Throughput
		s.WindowEnergy = l.windows[n-1].Energy
	}
	s.OverallEnergy = l.overallEnergy()
	if !s.OverallEnergy.Valid || !s.WindowEnergy.Valid {
		s.EnergyNote = l.energyNote()
	}
	s.Overall = throughput(s.Measured, l.mBatches, l.batch)
	s.GFLOPS = l.gflops(s.Overall.SamplesPerSec)
	if l.info.PeakGFLOPS > 0 {
		s.PctPeak = 100 * s.GFLOPS / l.info.PeakGFLOPS
	}
	s.PeakStale = l.peakStale || s.PctPeak > 100
	if l.splitValid {
		s.Split = Split{Valid: true, H2D: l.h2d.stat(), Compute: l.kernel.stat(), D2H: l.d2h.stat(), Enqueue: l.enq.stat()}
		c := s.Split.Compute.P50
		s.Split.TransferBound = s.Split.H2D.P50 >= c || s.Split.D2H.P50 >= c
		s.Split.LaunchBound = float64(s.Split.Enqueue.P50) >= 0.8*float64(c)
	}
	if l.exec != nil {
		var mem = l.exec.Memory()
		s.Memory.HostBytes = mem.HostBytes
		s.Memory.DeviceBytes = maps.Clone(mem.DeviceBytes)
	}
	return s
}
