package runner

import (
	"fmt"
	"slices"
	"time"
)

// snapshot copies everything a reader needs out of the serving loop.
func (l *serveLoop) snapshot(now time.Time) Snapshot {
	st := &l.stats
	l.seq++
	running := l.state.Running()
	k := int64(l.policy.RequestSize)
	measured := st.measuredAt(now, running)
	s := Snapshot{
		RunID: l.runID, Seq: l.seq, Time: now,
		Model: l.cfg.Model, Device: l.cfg.Device, Batch: l.policy.MaxBatch,
		State: l.state, Err: l.errText,
		Elapsed:       measured + st.warmup,
		WarmupTime:    st.warmup,
		WarmupSettled: true,
		Measured:      measured,
		Latency:       st.e2e.percentiles(),
		Histogram:     st.e2e.buckets(l.cfg.HistogramBuckets),
		Stability:     st.stability,
		Windows:       slices.Clone(st.windows),
		Events:        l.events.list(),
		Overall:       Throughput{Duration: measured, Samples: st.answered * k},
	}
	for _, b := range st.instBatches {
		s.Overall.Batches += b
	}
	if sec := measured.Seconds(); sec > 0 {
		s.Overall.SamplesPerSec = float64(s.Overall.Samples) / sec
		s.Overall.BatchesPerSec = float64(s.Overall.Batches) / sec
	}
	if n := len(st.windows); n > 0 {
		s.Window = st.windows[n-1].Throughput
	}
	if l.be != nil {
		l.be.snapshotInfo(&s)
	}
	s.Serving = l.serving(now, measured)
	return s
}

// serving is the Serving part of a snapshot.
func (l *serveLoop) serving(now time.Time, measured time.Duration) *Serving {
	st := &l.stats
	p := l.policy
	sv := &Serving{
		Arrival: l.arrival.String(), MaxBatch: p.MaxBatch, MaxDelay: p.MaxDelay, Preferred: slices.Clone(p.Preferred),
		QueueLimit: p.QueueLimit, RequestSize: p.RequestSize, SLOP99: l.cfg.SLOP99, Simulated: l.cfg.Simulate != nil,
		Requests: st.answered, Arrived: st.arrivedN, Rejected: st.rejectedN, Unanswered: st.unanswered,
		Queue: st.queue.percentiles(), Formation: st.form.percentiles(), Compute: st.compute.percentiles(),
		Late:       st.late.percentiles(),
		QueueDepth: l.queue.len(), MaxQueueDepth: st.maxDepth,
		Saturated: st.saturated, SaturatedAt: st.saturatedAt, SaturationWhy: st.saturationWhy,
		Windows: slices.Clone(st.serving),
	}
	if late := sv.Late.P99; late > max(p.MaxDelay/2, lateFloor) {
		sv.LateNote = fmt.Sprintf("the load generator and batcher woke up to %s late (p99): the engine's threads leave them little CPU; every latency includes it (fewer --threads leaves them a core)", late.Round(10*time.Microsecond))
	}
	if n := len(st.serving); n > 0 {
		w := st.serving[n-1]
		sv.Offered, sv.Achieved, sv.Goodput = w.Offered, w.Achieved, w.Goodput
	}
	if sec := measured.Seconds(); sec > 0 {
		sv.OverallOffered = float64(st.arrivedN) / sec
		sv.OverallAchieved = float64(st.answered) / sec
		sv.OverallGoodput = float64(st.good) / sec
		if !l.arrival.Open() {
			sv.OverallOffered = sv.OverallAchieved
		}
	}
	for size, n := range st.bySize {
		if n > 0 {
			sv.Batches = append(sv.Batches, SizeCount{Size: size, Count: n})
		}
	}
	for _, z := range st.sizes {
		sv.Sizes = append(sv.Sizes, SizeCost{Size: z.size, Batches: z.batches, Samples: z.samples, Compute: z.lat.percentiles()})
	}
	if st.computed > 0 {
		sv.Padding = float64(st.computed-st.real) / float64(st.computed)
	}
	for i := range l.fly {
		in := Instance{Index: i, Device: l.cfg.instanceDevice(i), Batches: st.instBatches[i]}
		if l.be != nil {
			in = l.be.describe(i)
			in.Batches = st.instBatches[i]
		}
		busy := st.busy[i]
		if f := &l.fly[i]; f.busy && l.state.Running() {
			busy += now.Sub(f.since)
		}
		if sec := measured.Seconds(); sec > 0 {
			in.Utilization = min(1, busy.Seconds()/sec)
		}
		in.WindowUtilization = st.wUtil[i]
		sv.Instances = append(sv.Instances, in)
	}
	return sv
}
