package runner

import (
	"fmt"
	"time"

	"infertop/engine"
)

// measure holds the counters and histograms of the current RunID.
type measure struct {
	runStart time.Time

	// Warm-up: the time and batches thrown away, and the last warm-up window's throughput.
	warmStart   time.Time
	warmTime    time.Duration
	warmBatches int64
	warmWindows int
	prevWarmSPS float64
	settled     bool
	// warmRate is the last completed warm-up window's throughput, shown
	// live (and marked as warming) before anything is measured; warmDiff
	// is how far it lay from the window before.
	warmRate Throughput
	warmDiff float64

	// The window being filled.
	winStart   time.Time
	winBatches int64
	winLat     *latencies
	// winProfiled is the time of the profiling batches run in the window,
	// which its duration leaves out (the energy counter does not).
	winProfiled time.Duration

	// Everything measured: segStart opens the current measured stretch, measured
	// sums the closed ones.
	segStart    time.Time
	measured    time.Duration
	mBatches    int64
	lat         *latencies
	h2d, kernel *latencies
	d2h, enq    *latencies
	splitValid  bool
	windows     []Window // the latest KeepWindows, oldest first
	windowCount int
	stability   Stability

	recorded []time.Duration // preallocated; never grows past its capacity
	dropped  int64

	// stabLog spaces the stability events of this RunID.
	stabLog stabilityLog

	// energy turns the device's energy counter into each window's figure.
	energy energyState
}

func newMeasure(cfg Config) measure {
	m := measure{
		winLat:  newLatencies(false),
		lat:     newLatencies(true),
		h2d:     newLatencies(false),
		kernel:  newLatencies(false),
		d2h:     newLatencies(false),
		enq:     newLatencies(false),
		windows: make([]Window, 0, cfg.KeepWindows),
	}
	if cfg.RecordLatencies > 0 {
		m.recorded = make([]time.Duration, 0, cfg.RecordLatencies)
	}
	return m
}

// step runs one batch and accounts for it. It allocates nothing unless a
// window closes with a state change or a snapshot is due.
func (l *loop) step() {
	if l.prof.sp != nil && l.state != Warming && l.prof.due() {
		l.profileStep()
		return
	}
	t0 := l.clock.Now()
	tm, err := l.runOnce()
	t1 := l.clock.Now()
	if err != nil {
		l.fail(t1, err)
		return
	}
	l.winBatches++
	if l.state == Warming {
		l.warmBatches++
		l.warmStep(t1)
	} else {
		l.measureStep(t1, t1.Sub(t0), tm)
	}
	if l.state != Done && t1.Sub(l.lastPub) >= l.cfg.PublishInterval {
		l.publish(t1)
	}
}

// runOnce calls the executor, turning a panic into an error.
func (l *loop) runOnce() (tm engine.Timing, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return l.exec.Run(l.in, l.out)
}

func (l *loop) measureStep(now time.Time, d time.Duration, tm engine.Timing) {
	l.mBatches++
	l.prof.since++
	l.lat.record(d)
	l.winLat.record(d)
	if tm.Valid {
		l.splitValid = true
		l.h2d.record(tm.H2D)
		l.kernel.record(tm.Compute)
		l.d2h.record(tm.D2H)
		l.enq.record(tm.Enqueue)
	}
	if len(l.recorded) < cap(l.recorded) {
		l.recorded = append(l.recorded, d)
	} else if cap(l.recorded) > 0 {
		l.dropped++
	}
	if wd := now.Sub(l.winStart); wd >= l.cfg.Window && l.winBatches >= int64(l.cfg.MinWindowBatches) {
		l.closeWindow(now, wd)
		// A run ends on a window boundary, so the last stretch measured is a
		// whole window the stability rule sees, never a cut-off one, and not
		// before there are the StabilityWindows windows that rule compares
		// (slow batches make windows longer than Config.Window).
		if l.cfg.MaxMeasure > 0 && l.measuredAt(now) >= l.cfg.MaxMeasure && l.windowCount >= StabilityWindows {
			l.finish(now, "measured for the requested time")
		}
	}
}

// closeWindow appends the finished window and re-evaluates stability.
func (l *loop) closeWindow(now time.Time, d time.Duration) {
	w := Window{Index: l.windowCount, End: l.measuredAt(now), Throughput: throughput(d, l.winBatches, l.batch), P50: l.winLat.at(50)}
	// The counter ran through the window's profiling batches too: the
	// window's energy is its share of the counter's, by time.
	w.Energy = l.closeEnergy(now, w.Samples, float64(d)/float64(d+l.winProfiled))
	if len(l.windows) == cap(l.windows) {
		copy(l.windows, l.windows[1:])
		l.windows = l.windows[:len(l.windows)-1]
	}
	l.windows = append(l.windows, w)
	l.windowCount++
	l.winLat.reset()
	l.winStart, l.winBatches, l.winProfiled = now, 0, 0

	l.checkPeak(now, w.SamplesPerSec) // between two windows: a peak measured again stops the clocks
	l.stability = l.evalStability()
	changed := false
	switch {
	case l.state == Measuring && l.stability.Both():
		l.state, changed = Stable, true
	case l.state == Stable && !l.stability.Both():
		l.state, changed = Measuring, true
	}
	if l.noteStability(now, changed, false) || changed {
		l.publish(now)
	}
}

// checkPeak holds every window to the peak "% of peak" divides by: a
// model's layers run on the device's own sgemm, so no window can truly beat
// its peak, and one that does shows the peak was measured low (on a busy
// machine, or cached from one). The first time it happens with an executor,
// the runner measures the peak again through the executor
// (engine.PeakRecalibrator) between two windows, with the clocks stopped,
// and says so; when the window still beats the new figure, or the executor
// cannot measure again, the peak is stale: the snapshots say so
// (PeakStale), and every display marks "% of peak" stale with them.
func (l *loop) checkPeak(now time.Time, samplesPerSec float64) {
	peak := l.info.PeakGFLOPS
	g := l.gflops(samplesPerSec)
	if peak <= 0 || g <= peak || l.peakStale {
		return
	}
	was := fmt.Sprintf("a window reached %.3g GFLOP/s, %.0f %% of the sgemm peak of %.3g GFLOP/s%s", g, 100*g/peak, peak, inParens(l.info.Peak.String()))
	rc, ok := l.exec.(engine.PeakRecalibrator)
	if ok && !l.peakTried {
		l.peakTried = true
		l.stopClocks(now)
		info, err := rc.RecalibratePeak(l.ctx)
		after := l.clock.Now()
		l.startSegment(after)
		switch {
		case err != nil:
			l.events.add(after, EventWarning, "%s, which a peak cannot be; measuring it again failed: %v", was, err)
		default:
			l.info = info
			l.events.add(after, EventWarning, "%s, which a peak cannot be: measured it again, %.3g GFLOP/s%s", was, info.PeakGFLOPS, inParens(info.Peak.String()))
			if g <= info.PeakGFLOPS {
				return
			}
		}
	}
	l.peakStale = true
	threads := ""
	if l.info.Threads > 0 {
		threads = fmt.Sprintf(" --threads %d", l.info.Threads)
	}
	l.events.add(l.clock.Now(), EventWarning, "%s: the peak is stale, and %% of peak is marked so; `infertop calibrate --device %s%s` on a quiet machine measures it again",
		fmt.Sprintf("a window reached %.3g GFLOP/s, above the sgemm peak of %.3g GFLOP/s", g, l.info.PeakGFLOPS), l.device, threads)
}

// inParens is " (s)", or "" for an empty s.
func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// gflops is the arithmetic rate of the model at samplesPerSec (0 before a
// model is open).
func (l *loop) gflops(samplesPerSec float64) float64 {
	return float64(l.flops) * samplesPerSec / 1e9
}

// evalStability applies both rules to the windows and the measured batches.
func (l *loop) evalStability() Stability {
	s := Stability{WindowCount: l.windowCount}
	if n := len(l.windows); n >= StabilityWindows {
		var sps, p50 [StabilityWindows]float64
		for i, w := range l.windows[n-StabilityWindows:] {
			sps[i], p50[i] = w.SamplesPerSec, float64(w.P50)
		}
		s.ThroughputSpread, s.P50Spread = RelSpread(sps[:]), RelSpread(p50[:])
		s.Windows = s.ThroughputSpread <= StabilityThreshold && s.P50Spread <= StabilityThreshold
	}
	if l.lat.count() >= int64(l.cfg.MinWindowBatches) {
		if med := l.lat.at(50); med > 0 {
			s.IQROverMedian = float64(l.lat.at(75)-l.lat.at(25)) / float64(med)
			s.IQR = s.IQROverMedian < StabilityThreshold
		}
	}
	return s
}

// measuredAt is the measured time up to now.
func (l *loop) measuredAt(now time.Time) time.Duration {
	if l.state == Measuring || l.state == Stable {
		return l.measured + now.Sub(l.segStart)
	}
	return l.measured
}

// warmTimeAt is the warm-up time up to now.
func (l *loop) warmTimeAt(now time.Time) time.Duration {
	if l.state == Warming {
		return l.warmTime + now.Sub(l.warmStart)
	}
	return l.warmTime
}

// stopClocks closes the running stretch before the state leaves Warming,
// Measuring or Stable. The partial window is dropped.
func (l *loop) stopClocks(now time.Time) {
	l.warmTime = l.warmTimeAt(now)
	l.measured = l.measuredAt(now)
	l.winBatches, l.winProfiled = 0, 0
	l.winLat.reset()
	l.stopEnergy()
}

func (l *loop) beginWarmup(now time.Time) {
	l.warmStart = now
	l.warmWindows, l.prevWarmSPS, l.warmRate, l.warmDiff = 0, 0, Throughput{}, 0
	l.winStart, l.winBatches = now, 0
}

func (l *loop) startSegment(now time.Time) {
	l.segStart = now
	l.winStart, l.winBatches, l.winProfiled = now, 0, 0
	l.winLat.reset()
	l.startEnergy(now)
}

// newRun starts a new RunID with empty statistics in state next: Warming warms
// up first; Measuring or Stable measures at once (a reset of a warm executor).
func (l *loop) newRun(now time.Time, next State) {
	l.runID++
	m := &l.measure
	m.runStart = now
	m.warmTime, m.warmBatches, m.settled = 0, 0, false
	m.measured, m.mBatches, m.splitValid = 0, 0, false
	for _, h := range []*latencies{m.lat, m.h2d, m.kernel, m.d2h, m.enq} {
		h.reset()
	}
	m.windows, m.windowCount, m.stability = m.windows[:0], 0, Stability{}
	m.recorded, m.dropped = m.recorded[:0], 0
	m.stabLog = stabilityLog{}
	l.resetEnergy()
	l.prof.reset()
	switch next {
	case Warming:
		l.beginWarmup(now)
		l.state = Warming
	case Measuring, Stable:
		m.settled = true
		l.startSegment(now)
		l.state = Measuring
	default:
		l.state = next
	}
}

func throughput(d time.Duration, batches int64, batch int) Throughput {
	t := Throughput{Duration: d, Batches: batches, Samples: batches * int64(batch)}
	if s := d.Seconds(); s > 0 {
		t.SamplesPerSec = float64(t.Samples) / s
		t.BatchesPerSec = float64(batches) / s
	}
	return t
}
