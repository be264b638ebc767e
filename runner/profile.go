package runner

import (
	"cmp"
	"slices"
	"time"

	"infertop/engine"
)

// The profile's defaults and bounds (Config.ProfileEvery).
const (
	// DefaultProfileEvery is how often a profiling batch runs when the
	// profile is on: one batch in 10.
	DefaultProfileEvery = 10
	// ProfileKeep is how many of the latest profiling batches the per-step
	// figures are taken over.
	ProfileKeep = 128
	// profileInterval is the least time between two computations of the
	// profile for snapshots (sorting every step's times costs more than a
	// snapshot should); a run that ends or pauses computes it at once.
	profileInterval = 500 * time.Millisecond
)

// Profile is where a batch's time goes, step by step, as the engine timed
// it in profiling batches (engine.StepProfiler), like trtexec's
// --dumpProfile with --separateProfileRun: one batch in Every is a
// profiling batch, run while measuring, and none of them is in the latency
// percentiles, the histogram, the windows, the throughput or the measured
// time. Its figures are medians over the latest Kept profiling batches.
//
// A snapshot's Profile is computed once and shared by the snapshots that
// follow until it changes: readers must not modify it.
type Profile struct {
	// Every is the profiling period: one batch in Every.
	Every int
	// Batches counts the profiling batches of this RunID; Kept is how many
	// of the latest the figures are taken over (at most ProfileKeep).
	Batches int64
	Kept    int
	// Batch is the median wall latency of the profiling batches, as the
	// runner measures every batch: what the rows add up to.
	Batch time.Duration
	// Steps are the plan's steps, the slowest (by P50) first.
	Steps []StepStat
	// Outside is the median of each profiling batch's latency less the sum
	// of its steps' times: what no step covers (the copies in and out, the
	// hand-offs between steps, the runner's call). OutsideShare is
	// Outside / Batch.
	Outside      time.Duration
	OutsideShare float64
	// Closure is (the steps' P50s + Outside) / Batch: how well the rows add
	// up to the batch's median (sums of medians are not a median of sums;
	// within 5 % on a steady run).
	Closure float64
	// PeakGFLOPS is the device's sgemm peak each step's PctPeak divides by
	// (engine.Info.PeakGFLOPS), 0 when unknown.
	PeakGFLOPS float64
	// Note says why there are no steps: the executor cannot time them (""
	// when it can).
	Note string `json:",omitempty"`
}

// StepStat is one step's figures in a Profile.
type StepStat struct {
	// Index is the step's place in the plan (the order it runs in).
	Index int
	// Step says what it computes and how (names, ops, FLOPs, bytes, way).
	engine.Step
	// P50 is the step's median time; Sum its time over every profiling
	// batch of this RunID.
	P50, Sum time.Duration
	// Share is P50 / Profile.Batch.
	Share float64
	// GFLOPS and GBPS are the step's analytic FLOPs and bytes over P50;
	// PctPeak is GFLOPS over the device's peak, in percent (0 for a step
	// without FLOPs, or when the peak is unknown).
	GFLOPS, GBPS, PctPeak float64
}

// profiler is the loop's side of the profile: the executor's steps, the
// times of the latest profiling batches, and the profile last computed.
type profiler struct {
	every int
	sp    engine.StepProfiler // nil when the profile is off or the executor cannot time steps
	steps []engine.Step
	// times receives one profiling batch's step times.
	times []time.Duration
	// ring holds the latest ProfileKeep batches' step times, batch r%keep
	// at row r; lat and outside their latencies and what no step covered.
	ring         []time.Duration
	lat, outside []time.Duration
	sums         []time.Duration
	scratch      []time.Duration
	// n counts profiling batches, since measured batches since the last one.
	n     int64
	since int

	cached     *Profile
	dirty      bool
	computedAt time.Time
	note       string
}

// open sets the profiler up for a prepared executor (once per Prepare):
// buffers for its steps, nothing profiled yet.
func (p *profiler) open(ex engine.Executor, info engine.Info) {
	*p = profiler{every: p.every}
	if p.every == 0 {
		return
	}
	sp, ok := ex.(engine.StepProfiler)
	if !ok {
		p.note = "the " + info.Engine + " engine does not time its steps"
		p.reset()
		return
	}
	p.sp = sp
	p.steps = slices.Clone(sp.Steps())
	n := len(p.steps)
	p.times = make([]time.Duration, n)
	p.ring = make([]time.Duration, n*ProfileKeep)
	p.lat = make([]time.Duration, ProfileKeep)
	p.outside = make([]time.Duration, ProfileKeep)
	p.sums = make([]time.Duration, n)
	p.scratch = make([]time.Duration, ProfileKeep)
	p.reset()
}

// reset forgets the profiling batches (a new RunID).
func (p *profiler) reset() {
	p.n, p.since, p.dirty = 0, 0, false
	clear(p.sums)
	p.cached = nil
	if p.every > 0 {
		p.cached = &Profile{Every: p.every, Note: p.note}
	}
}

// due reports whether the next batch is a profiling batch.
func (p *profiler) due() bool { return p.sp != nil && p.since >= p.every-1 }

// record keeps a profiling batch of latency d whose step times are in p.times.
func (p *profiler) record(d time.Duration) {
	n := len(p.steps)
	r := int(p.n % ProfileKeep)
	row := p.ring[r*n : (r+1)*n]
	copy(row, p.times)
	var sum time.Duration
	for i, t := range p.times {
		sum += t
		p.sums[i] += t
	}
	p.lat[r], p.outside[r] = d, d-sum
	p.n++
	p.since = 0
	p.dirty = true
}

// profile is the profile for a snapshot at now: the one last computed,
// or a new one when batches came since and profileInterval has passed,
// or the run is not running (its last figures must be exact).
func (p *profiler) profile(now time.Time, running bool, peak float64) *Profile {
	if p.dirty && (!running || now.Sub(p.computedAt) >= profileInterval) {
		p.cached, p.dirty, p.computedAt = p.compute(peak), false, now
	}
	return p.cached
}

// compute makes the profile of the kept batches.
func (p *profiler) compute(peak float64) *Profile {
	k := int(min(p.n, ProfileKeep))
	n := len(p.steps)
	pr := &Profile{Every: p.every, Batches: p.n, Kept: k, PeakGFLOPS: peak}
	if k == 0 {
		return pr
	}
	pr.Batch = median(p.scratch, p.lat[:k])
	pr.Outside = median(p.scratch, p.outside[:k])
	total := pr.Outside
	pr.Steps = make([]StepStat, n)
	for i, st := range p.steps {
		for r := 0; r < k; r++ {
			p.scratch[r] = p.ring[r*n+i]
		}
		s := StepStat{Index: i, Step: st, P50: median(p.scratch[:k], p.scratch[:k]), Sum: p.sums[i]}
		total += s.P50
		if sec := s.P50.Seconds(); sec > 0 {
			s.GFLOPS = float64(st.FLOPs) / sec / 1e9
			s.GBPS = float64(st.Bytes) / sec / 1e9
		}
		if peak > 0 && st.FLOPs > 0 {
			s.PctPeak = 100 * s.GFLOPS / peak
		}
		pr.Steps[i] = s
	}
	if pr.Batch > 0 {
		b := float64(pr.Batch)
		for i := range pr.Steps {
			pr.Steps[i].Share = float64(pr.Steps[i].P50) / b
		}
		pr.OutsideShare = float64(pr.Outside) / b
		pr.Closure = float64(total) / b
	}
	slices.SortStableFunc(pr.Steps, func(a, b StepStat) int { return cmp.Compare(b.P50, a.P50) })
	return pr
}

// median is the median of vals, sorted in buf (which may be vals itself):
// the middle value, or the mean of the two middle ones.
func median(buf, vals []time.Duration) time.Duration {
	k := len(vals)
	if k == 0 {
		return 0
	}
	buf = buf[:k]
	copy(buf, vals)
	slices.Sort(buf)
	if k%2 == 1 {
		return buf[k/2]
	}
	return (buf[k/2-1] + buf[k/2]) / 2
}

// profileStep runs one profiling batch: timed as every batch is, and taken
// out of the measured time and the window (its stretch moves their starts
// on), so that no measured figure sees it.
func (l *loop) profileStep() {
	t0 := l.clock.Now()
	err := l.runProfiled()
	t1 := l.clock.Now()
	if err != nil {
		l.fail(t1, err)
		return
	}
	d := t1.Sub(t0)
	l.segStart = l.segStart.Add(d)
	l.winStart = l.winStart.Add(d)
	l.winProfiled += d
	l.prof.record(d)
	if t1.Sub(l.lastPub) >= l.cfg.PublishInterval {
		l.publish(t1)
	}
}

// runProfiled calls the executor's profiled run, turning a panic into an error.
func (l *loop) runProfiled() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	_, err = l.prof.sp.RunProfiled(l.in, l.out, l.prof.times)
	return err
}
