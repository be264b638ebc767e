// Package metrics exposes a run's figures and the GPUs' telemetry to
// Prometheus. A Feed keeps the latest runner Snapshot and gpuinfo Sample; a
// Collector turns them into metrics when Prometheus scrapes; a Server serves
// them on /metrics (and a plain health check on /healthz) from a registry of
// its own. Nothing here ever blocks the runner or the sampler: they hand a
// value to the Feed, which only stores it under a mutex.
//
// It never imports session, report, ui or cli: session feeds it.
package metrics

import (
	"math"
	"strconv"
	"sync"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

// LatencyBuckets returns the upper bounds, in seconds, of the batch latency
// histogram: 1, 2.5 and 5 in every decade from 1 µs to 5 s, then 10 s.
func LatencyBuckets() []float64 {
	return []float64{
		1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
		1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	}
}

// runKey is the label set of a run's series: model, device and batch.
type runKey struct {
	model, device, batch string
}

func keyOf(s runner.Snapshot) runKey {
	return runKey{s.Model, s.Device, strconv.Itoa(s.Batch)}
}

// totals are a run's cumulative figures.
type totals struct {
	samples, batches float64
	count            uint64
	sum              float64
	buckets          []uint64 // per bound, not cumulative
}

func (t *totals) add(o totals) {
	t.samples += o.samples
	t.batches += o.batches
	t.count += o.count
	t.sum += o.sum
	if t.buckets == nil {
		t.buckets = make([]uint64, len(o.buckets))
	}
	for i, c := range o.buckets {
		t.buckets[i] += c
	}
}

// totalsOf reads a snapshot's cumulative figures. The runner's chart buckets
// are re-binned into the fixed bounds by each bucket's geometric middle; the
// runner's buckets are narrow (32 over the range seen), so the error is small.
//
// A serving run's latencies are requests', not batches': they go to the
// serving series, and its totals carry only samples and batches.
func totalsOf(s runner.Snapshot, bounds []float64) totals {
	if s.Serving != nil {
		return totals{samples: float64(s.Overall.Samples), batches: float64(s.Overall.Batches), buckets: make([]uint64, len(bounds))}
	}
	t := totals{
		samples: float64(s.Overall.Samples), batches: float64(s.Overall.Batches),
		count: uint64(max(s.Latency.Count, 0)), sum: s.Latency.Mean.Seconds() * float64(max(s.Latency.Count, 0)),
		buckets: make([]uint64, len(bounds)),
	}
	var binned uint64
	for _, b := range s.Histogram {
		if b.Count <= 0 {
			continue
		}
		mid := midSeconds(b.Lo, b.Hi)
		for i, ub := range bounds {
			if mid <= ub {
				t.buckets[i] += uint64(b.Count)
				break
			}
		}
		binned += uint64(b.Count)
	}
	// Batches the chart did not carry, or slower than the last bound, count
	// only in the +Inf bucket (count minus the finite buckets).
	if binned > t.count {
		t.count = binned
	}
	return t
}

func midSeconds(lo, hi time.Duration) float64 {
	l, h := max(lo.Seconds(), 1e-9), max(hi.Seconds(), 1e-9)
	if h < l {
		h = l
	}
	// Geometric middle, as the chart's buckets are log-spaced.
	return math.Sqrt(l * h)
}

// Feed holds the latest snapshot and GPU sample, and the cumulative totals of
// the runs seen before the current one (so counters never go back when a run
// is reset or the batch changes). Its methods are safe for concurrent use and
// only take a mutex for a few copies: callers may be the runner's readers.
type Feed struct {
	bounds  []float64
	mu      sync.Mutex
	snap    runner.Snapshot
	hasSnap bool
	cur     totals
	base    map[runKey]*totals
	sample  gpuinfo.Sample
	hasSmp  bool
}

// NewFeed returns an empty feed; the collector exports nothing for it yet.
func NewFeed() *Feed { return &Feed{bounds: LatencyBuckets(), base: map[runKey]*totals{}} }

// ObserveSnapshot keeps s as the latest snapshot; snapshots are expected in
// the order a runner publishes them. A snapshot of a new run (a new RunID,
// other labels, or Seq or figures lower than before: a new Runner) folds the
// previous run's totals into its labels' counters.
func (f *Feed) ObserveSnapshot(s runner.Snapshot) {
	t := totalsOf(s, f.bounds)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hasSnap {
		old := f.snap
		// Seq or figures going back mean a new Runner (bench starts one per batch size).
		newRun := s.RunID != old.RunID || keyOf(s) != keyOf(old) || s.Seq < old.Seq ||
			t.samples < f.cur.samples || t.count < f.cur.count
		if newRun {
			k := keyOf(old)
			if f.base[k] == nil {
				f.base[k] = &totals{}
			}
			f.base[k].add(f.cur)
		}
	}
	f.snap, f.hasSnap, f.cur = s, true, t
}

// ObserveSample keeps s as the latest GPU sample.
func (f *Feed) ObserveSample(s gpuinfo.Sample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sample, f.hasSmp = s, true
}

// view is what one scrape reads, copied under the mutex.
type view struct {
	snap    runner.Snapshot
	hasSnap bool
	totals  map[runKey]totals
	sample  gpuinfo.Sample
	hasSmp  bool
}

func (f *Feed) view() view {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := view{snap: f.snap, hasSnap: f.hasSnap, sample: f.sample, hasSmp: f.hasSmp, totals: map[runKey]totals{}}
	for k, t := range f.base {
		var c totals
		c.add(*t)
		v.totals[k] = c
	}
	if f.hasSnap {
		k := keyOf(f.snap)
		c := v.totals[k]
		c.add(f.cur)
		v.totals[k] = c
	}
	return v
}
