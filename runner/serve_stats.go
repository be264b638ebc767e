package runner

import (
	"fmt"
	"time"
)

// serveStats is what a serving run has measured under its RunID.
type serveStats struct {
	warmup time.Duration
	// segStart is when the running segment began, before the measured time
	// of earlier segments (a pause ends a segment).
	segStart time.Time
	before   time.Duration
	// windowStart and windowEnd bound the open window; holdUntil is when
	// the batcher's hold on the queue runs out (zero: none).
	windowStart, windowEnd, holdUntil time.Time

	e2e, queue, form, compute, win *latencies
	// late is how late the loop woke for its deadlines (arrivals, the
	// batcher's hold, window ends).
	late *latencies

	arrivedN, answered, good, rejectedN, unanswered int64
	wArrived, wAnswered, wGood, wRejected, wBatches int64

	depth, maxDepth, wMaxDepth int
	depthAt                    time.Time
	depthArea                  float64 // queued requests × nanoseconds in the window

	bySize          []int64 // dispatched batches by samples
	sizes           []sizeStats
	computed, real  int64 // samples computed (padding included) and requested
	busy, wBusy     []time.Duration
	wUtil           []float64 // each instance's busy share of the last window
	instBatches     []int64
	windows         []Window
	serving         []ServingWindow
	stability       Stability
	saturated       bool
	saturatedAt     float64
	saturationWhy   string
	saturationNoted bool
}

// sizeStats is what the batches run at one prepared size cost.
type sizeStats struct {
	size             int
	batches, samples int64
	lat              *latencies
}

// reset starts the statistics afresh at now for l's policy and instances.
func (st *serveStats) reset(l *serveLoop, now time.Time) {
	if st.e2e == nil {
		st.e2e, st.queue, st.form, st.compute, st.win, st.late = newLatencies(true), newLatencies(false), newLatencies(false), newLatencies(false), newLatencies(false), newLatencies(false)
	}
	for _, h := range []*latencies{st.e2e, st.queue, st.form, st.compute, st.win, st.late} {
		h.reset()
	}
	*st = serveStats{warmup: st.warmup, e2e: st.e2e, queue: st.queue, form: st.form, compute: st.compute, win: st.win, late: st.late,
		segStart: now, windowStart: now, windowEnd: now.Add(l.cfg.Window), depthAt: now, depth: l.queue.len()}
	st.bySize = make([]int64, l.policy.MaxBatch+1)
	for _, n := range l.policy.PreparedSizes() {
		st.sizes = append(st.sizes, sizeStats{size: n, lat: newLatencies(false)})
	}
	n := l.cfg.Instances
	st.busy, st.wBusy, st.instBatches, st.wUtil = make([]time.Duration, n), make([]time.Duration, n), make([]int64, n), make([]float64, n)
	for i := range l.fly {
		l.fly[i].since = now
	}
}

// measuredAt is the measured time at now (running: the open segment counts).
func (st *serveStats) measuredAt(now time.Time, running bool) time.Duration {
	if running {
		return st.before + now.Sub(st.segStart)
	}
	return st.before
}

// stopClock ends the running segment at now (a pause, the end).
func (st *serveStats) stopClock(now time.Time) {
	st.before += now.Sub(st.segStart)
	st.segStart = now
}

func (st *serveStats) arrived() {
	st.arrivedN++
	st.wArrived++
}

func (st *serveStats) rejected() {
	st.rejectedN++
	st.wRejected++
}

// depthChange records the queue's depth becoming d at now.
func (st *serveStats) depthChange(now time.Time, d int) {
	if now.After(st.depthAt) {
		st.depthArea += float64(st.depth) * float64(now.Sub(st.depthAt))
		st.depthAt = now
	}
	st.depth = d
	st.maxDepth, st.wMaxDepth = max(st.maxDepth, d), max(st.wMaxDepth, d)
}

// batchDone takes in the batch f that instance c.inst finished.
func (st *serveStats) batchDone(l *serveLoop, c completion, f *inflight) {
	busy := c.end.Sub(f.since)
	st.busy[c.inst] += busy
	st.wBusy[c.inst] += busy
	st.instBatches[c.inst]++
	st.wBatches++
	k := l.policy.RequestSize
	samples := len(f.reqs) * k
	if samples < len(st.bySize) {
		st.bySize[samples]++
	}
	for i := range st.sizes {
		if s := &st.sizes[i]; s.size == f.size {
			s.batches++
			s.samples += int64(samples)
			s.lat.record(c.duration)
		}
	}
	st.computed += int64(f.size)
	st.real += int64(samples)
	for _, r := range f.reqs {
		if r.run != l.runID {
			continue
		}
		e2e := c.end.Sub(r.sched)
		st.e2e.record(e2e)
		st.win.record(e2e)
		st.queue.record(r.queue)
		st.form.record(f.dispatch.Sub(r.sched) - r.queue)
		st.compute.record(c.end.Sub(f.dispatch))
		st.answered++
		st.wAnswered++
		if l.cfg.SLOP99 == 0 || e2e <= l.cfg.SLOP99 {
			st.good++
			st.wGood++
		}
	}
}

// closeWindow ends the window at end: its figures, stability, saturation,
// and the end of the run once MaxMeasure is measured.
func (l *serveLoop) closeWindow(end time.Time) {
	st := &l.stats
	w := end.Sub(st.windowStart)
	st.depthChange(end, st.depth)
	for i := range l.fly {
		if f := &l.fly[i]; f.busy {
			st.busy[i] += end.Sub(f.since)
			st.wBusy[i] += end.Sub(f.since)
			f.since = end
		}
	}
	sec := w.Seconds()
	k := int64(l.policy.RequestSize)
	measured := st.measuredAt(end, true)
	win := Window{Index: len(st.serving), End: measured, P50: st.win.at(50),
		Throughput: Throughput{Duration: w, Batches: st.wBatches, Samples: st.wAnswered * k,
			SamplesPerSec: float64(st.wAnswered*k) / sec, BatchesPerSec: float64(st.wBatches) / sec}}
	sw := ServingWindow{Index: win.Index, Arrived: st.wArrived, Answered: st.wAnswered, Good: st.wGood, Rejected: st.wRejected,
		Offered: float64(st.wArrived) / sec, Achieved: float64(st.wAnswered) / sec, Goodput: float64(st.wGood) / sec,
		P50: st.win.at(50), P99: st.win.at(99), MeanDepth: st.depthArea / float64(w), MaxDepth: st.wMaxDepth, EndDepth: st.depth}
	if !l.arrival.Open() {
		sw.Offered = sw.Achieved // a closed loop offers what it gets back
	}
	st.windows = appendKept(st.windows, win, l.cfg.KeepWindows)
	st.serving = appendKept(st.serving, sw, l.cfg.KeepWindows)
	st.stability = serveStability(st.windows, st.serving)
	for i, b := range st.wBusy {
		st.wUtil[i] = min(1, b.Seconds()/w.Seconds())
	}
	l.judgeSaturation(end)
	if st.stability.Windows && l.state == Measuring {
		l.state = Stable
		l.events.add(end, EventStable, "stable: the last %d windows agree within %.0f %% on achieved rate and p50", StabilityWindows, 100*StabilityThreshold)
	} else if !st.stability.Windows && l.state == Stable {
		l.state = Measuring
		l.events.add(end, EventUnstable, "unstable: %s", st.stability.Why())
	}
	st.wArrived, st.wAnswered, st.wGood, st.wRejected, st.wBatches, st.wMaxDepth, st.depthArea = 0, 0, 0, 0, 0, st.depth, 0
	clear(st.wBusy)
	st.win.reset()
	st.windowStart, st.windowEnd = end, end.Add(l.cfg.Window)
	if l.cfg.MaxMeasure > 0 && measured >= l.cfg.MaxMeasure && len(st.serving) >= StabilityWindows {
		l.finish("measured")
	}
}

// appendKept appends v and keeps the newest n.
func appendKept[T any](s []T, v T, n int) []T {
	s = append(s, v)
	if len(s) > n {
		s = append(s[:0], s[len(s)-n:]...)
	}
	return s
}

// serveStability applies perf_analyzer's window rule to the achieved rate
// and the windows' p50. The IQR rule is not applied: a queue's waits
// spread by nature, so IQR is left true and IQROverMedian 0.
func serveStability(ws []Window, sw []ServingWindow) Stability {
	s := Stability{IQR: true, WindowCount: len(sw)}
	if len(sw) < StabilityWindows {
		return s
	}
	rates, p50s := make([]float64, 0, StabilityWindows), make([]float64, 0, StabilityWindows)
	for _, w := range sw[len(sw)-StabilityWindows:] {
		rates = append(rates, w.Achieved)
		p50s = append(p50s, float64(w.P50))
	}
	s.ThroughputSpread, s.P50Spread = RelSpread(rates), RelSpread(p50s)
	s.Windows = s.ThroughputSpread <= StabilityThreshold && s.P50Spread <= StabilityThreshold
	return s
}

// judgeSaturation applies the saturation rule at a window's end: the
// instances were busy (busyFloor of the window, on average), the queue is
// deeper than twice what every instance can take at once and than
// deepShare of the window's arrivals, and grew over the last window, and either answers fell under 97 % of arrivals in it or the
// queue also grew over the window before; or a full queue turned requests
// away. Busy instances are what tell a device that cannot keep up from the
// burstiness of arrivals, which queues a few requests at any load. Once saturated, the rate the device achieved is
// the mean achieved rate of the last windows.
func (l *serveLoop) judgeSaturation(end time.Time) {
	st := &l.stats
	n := len(st.serving)
	if !l.arrival.Open() || n == 0 {
		return
	}
	cur := st.serving[n-1]
	prev := ServingWindow{}
	if n > 1 {
		prev = st.serving[n-2]
	}
	prevPrev := 0
	if n > 2 {
		prevPrev = st.serving[n-3].EndDepth
	}
	var util float64
	for _, u := range st.wUtil {
		util += u / float64(len(st.wUtil))
	}
	busy := util >= busyFloor
	// Deep: more than every instance takes at once, twice, and more than a
	// trifle (deepShare) of the window's arrivals, which a queue that keeps
	// up moves by at high rates.
	deep := busy && cur.EndDepth > 2*l.cfg.Instances*max(1, l.policy.MaxBatch/l.policy.RequestSize) &&
		float64(cur.EndDepth) > deepShare*float64(cur.Arrived)
	grew := cur.EndDepth > prev.EndDepth
	behind := cur.Achieved < achievedFloor*cur.Offered
	grewBefore := n > 1 && prev.EndDepth > prevPrev
	was := st.saturated
	switch {
	case cur.Rejected > 0:
		st.saturated = true
		limit := l.policy.QueueLimit
		if limit == 0 {
			limit = queueCap
		}
		st.saturationWhy = fmt.Sprintf("a full queue (%d requests) turned away %d requests in the last window", limit, cur.Rejected)
	case deep && grew && (behind || grewBefore):
		st.saturated = true
		st.saturationWhy = fmt.Sprintf("queue grew to %d requests with the instances %.0f %% busy; answered %.0f of %.0f req/s offered", cur.EndDepth, 100*util, cur.Achieved, cur.Offered)
	default:
		st.saturated = false
		st.saturationWhy = ""
	}
	if st.saturated {
		var sum float64
		k := min(n, saturationWindows)
		for _, w := range st.serving[n-k:] {
			sum += w.Achieved
		}
		st.saturatedAt = sum / float64(k)
		if !was {
			l.events.add(end, EventWarning, "saturated at about %.0f req/s (offered %.0f req/s): %s", st.saturatedAt, cur.Offered, st.saturationWhy)
		}
	} else if was {
		l.events.add(end, EventWarning, "keeping up again: answered %.0f of %.0f req/s offered", cur.Achieved, cur.Offered)
	}
}
