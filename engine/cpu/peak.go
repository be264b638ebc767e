package cpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/internal/blas"
	"infertop/internal/peakcache"
)

// BLASDescription says which BLAS the CPU engine uses on this machine, e.g.
// "OpenBLAS 0.3.21 (pthread, Haswell) /usr/lib/x86_64-linux-gnu/libopenblas.so.0",
// the gonum fallback and how to install OpenBLAS, or why the library
// INFERTOP_BLAS names does not load.
func BLASDescription() string {
	lib, err := blas.Load(blas.Options{})
	var ce *blas.ChosenError
	if errors.As(err, &ce) {
		return err.Error()
	}
	return lib.Description()
}

// The calibration: peakRounds timed rounds of at least peakRound and
// peakMinProducts square products each, after one product untimed. About
// a second on any machine; the figure is the best round's rate.
const (
	peakRounds      = 7
	peakRound       = 150 * time.Millisecond
	peakMinProducts = 2
)

// calibration is a peak and how it was taken.
type calibration struct {
	gflops float64
	peak   engine.Peak
}

// PeakGFLOPS is the sgemm throughput the CPU engine reaches with threads
// threads (0: every core) on this machine's BLAS, in GFLOP/s: the best of
// seven timed rounds of square products through the engine's own
// partitioned sgemm (about a second), cached per machine, BLAS and thread
// count (internal/peakcache) when the rounds agree and the machine was
// quiet, and read from there afterwards.
func PeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	c, err := peakOf(ctx, threads, false)
	return c.gflops, err
}

// RecalibratePeakGFLOPS measures the peak PeakGFLOPS reports again and
// replaces the cached figure when the new one is worth caching.
func RecalibratePeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	c, err := peakOf(ctx, threads, true)
	return c.gflops, err
}

// peakOf is the peak of threads threads on this machine, cached or (when
// fresh, or the cache holds none worth trusting) measured.
func peakOf(ctx context.Context, threads int, fresh bool) (calibration, error) {
	return peakCached(ctx, threads, peakCache{cache: peakcache.Default(), cpus: hostinfo.UsableCPUs("/").N, now: time.Now}, blas.Options{}, measureRounds, fresh)
}

// peakCache is where the CPU's peaks are kept, and the machine they are
// judged against.
type peakCache struct {
	cache peakcache.Cache
	// cpus is how many CPUs the process may use: a peak measured with more
	// threads is never cached.
	cpus int
	now  func() time.Time
}

// peakKey is the cache's key for this machine, a BLAS and a thread count.
func peakKey(lib string, threads int) string {
	return fmt.Sprintf("cpu|%s|%s|%d", machineID(), lib, threads)
}

// peakISA is the packed kernel's instruction set the calibration times
// (isaNone when the engine would not offer the packed way).
func peakISA() isa {
	s, err := chooseISA(os.Getenv(engine.CPUISAEnv), cpuISA())
	if err != nil {
		return isaNone
	}
	return s
}

// peakLibrary names what a peak was measured on: the BLAS, and the packed
// and wide kernels' instruction set when they took part, so that a figure
// measured without them is never read for a build that has them.
func peakLibrary(lib string, s isa) string {
	if s == isaNone {
		return lib
	}
	return lib + " + packed/wide-" + s.String()
}

// rounds is what a calibration measured: each round's GFLOP/s and the
// share of its threads' time the process got.
type rounds struct {
	gflops []float64
	busy   float64
}

// peakCached reads the peak for (machine, BLAS, threads) from the cache
// when it holds one worth trusting (see distrust), or else (and always when
// fresh) measures it, caching the figure when engine.Peak.Trusted says so.
func peakCached(ctx context.Context, threads int, pc peakCache, bo blas.Options, measure func(context.Context, int, blas.Options) (rounds, error), fresh bool) (calibration, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	lib, _ := blas.Load(bo)
	key := peakKey(peakLibrary(lib.Description(), peakISA()), threads)
	replaced := ""
	if e, ok := pc.cache.Get(key); ok && !fresh {
		if replaced = distrust(e, key, threads, pc); replaced == "" {
			return calibration{gflops: e.GFLOPS, peak: engine.Peak{Runs: e.Runs, Spread: e.Spread, Busy: e.Busy, Cached: true, Measured: e.Measured}}, nil
		}
	}
	r, err := measure(ctx, threads, bo)
	if err != nil {
		return calibration{}, err
	}
	c := summarize(r)
	c.peak.Measured, c.peak.Replaced = pc.now().UTC(), replaced
	if ok, why := c.peak.Trusted(threads, pc.cpus); !ok {
		c.peak.NotCached = why
		return c, nil
	}
	e := peakcache.Entry{GFLOPS: c.gflops, Device: machineID(), Library: peakLibrary(lib.Description(), peakISA()), Threads: threads, Measured: c.peak.Measured,
		Runs: c.peak.Runs, Spread: c.peak.Spread, Busy: c.peak.Busy}
	if err := pc.cache.Put(key, e); err != nil {
		return c, fmt.Errorf("caching the CPU peak: %w", err)
	}
	return c, nil
}

// summarize turns the rounds into a peak (engine.PeakOf) with the share
// of its threads' time the process got.
func summarize(r rounds) calibration {
	g, p := engine.PeakOf(r.gflops)
	p.Busy = r.busy
	return calibration{gflops: g, peak: p}
}

// distrust says why a cached entry is not to be used ("" when it is): one
// cached by a version that measured once, one for more threads than the
// process may use, or one below the cached figure of fewer threads on the
// same machine and BLAS (more threads cannot be slower at sgemm; the
// figure was taken under load).
func distrust(e peakcache.Entry, key string, threads int, pc peakCache) string {
	switch {
	case e.Runs == 0:
		return "the cached figure was one short try of an earlier version"
	case pc.cpus > 0 && threads > pc.cpus:
		return fmt.Sprintf("the cached figure is for %d threads on %d CPUs", threads, pc.cpus)
	}
	prefix := key[:strings.LastIndexByte(key, '|')+1]
	for k, o := range pc.cache.All() {
		n, err := strconv.Atoi(strings.TrimPrefix(k, prefix))
		if err != nil || !strings.HasPrefix(k, prefix) || n >= threads || o.Runs == 0 {
			continue
		}
		if e.GFLOPS < o.GFLOPS*(1-engine.PeakSpreadLimit) {
			return fmt.Sprintf("the cached %d-thread figure (%.3g GFLOP/s) is below the %d-thread one (%.3g GFLOP/s)", threads, e.GFLOPS, n, o.GFLOPS)
		}
	}
	return ""
}

// machineID names this machine for the cache: host name, CPU model and core count.
func machineID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%s/%d cores", host, hostinfo.CPUModel(hostinfo.CPUInfo), runtime.NumCPU())
}

// MeasurePeakGFLOPS measures the peak as PeakGFLOPS does, with no cache,
// and returns the best round's GFLOP/s.
func MeasurePeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	r, err := measureRounds(ctx, threads, blas.Options{})
	return summarize(r).gflops, err
}

func measureRounds(ctx context.Context, threads int, bo blas.Options) (rounds, error) {
	return measurePeak(ctx, threads, bo, peakRounds, peakRound)
}

// measurePeak times n rounds, each of at least round and peakMinProducts
// square products through the engine's own partitioned sgemm (the path
// its linear layers take), of 1024 (512 where one of 1024 would take more
// than half a round: the pure-Go BLAS), after one product untimed; where
// the engine offers its packed and wide kernels, each round gives them a
// third of its time each and counts the quickest way. Each
// round's rate is its products' FLOPs over its wall time; the process's
// CPU time over the rounds' wall time × threads is how much of its
// threads' time it got.
func measurePeak(ctx context.Context, threads int, bo blas.Options, n int, round time.Duration) (rounds, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	lib, _ := blas.Load(bo)
	lib.SetThreads(1)
	c := &compute{pool: newPool(threads), lib: lib, isa: peakISA()}
	defer c.pool.close()

	const maxN = 1024
	a := make([]float32, maxN*maxN)
	w := make([]float32, maxN*maxN)
	y := make([]float32, maxN*maxN)
	bias := make([]float32, maxN)
	for i := range a {
		a[i] = float32(i%7) * 0.25
		w[i] = float32(i%5) * 0.5
	}
	size := maxN
	product := func() time.Duration {
		op := newGemmOp(c, size, size, size, act{}, false)
		op.x, op.w, op.b, op.y = a[:size*size], w[:size*size], bias[:size], y[:size*size]
		t0 := time.Now()
		c.pool.do(op, op.chunks, op.parts)
		return time.Since(t0)
	}
	if err := ctx.Err(); err != nil {
		return rounds{}, err
	}
	if product() > round/2 {
		size = maxN / 2
	}
	// The packed and wide kernels' ways (linear.go), where the engine
	// offers them: a product of constant weights runs whichever is quickest,
	// so the peak is the quickest of the three, each timed for a third of
	// every round.
	var packed *gemmOp
	if c.isa != isaNone {
		packed = newGemmOp(c, size, size, size, act{}, true)
		packed.x, packed.w, packed.b, packed.y = a[:size*size], w[:size*size], bias[:size], y[:size*size]
		packed.setScratch(make([]float32, packed.scratchFloats()))
		packed.pack()
		packed.runWay(wayPacked)
	}
	ways := []func() time.Duration{product}
	if packed != nil {
		for _, w := range []gemmWay{wayPacked, wayWide} {
			ways = append(ways, func() time.Duration {
				t0 := time.Now()
				packed.runWay(w)
				return time.Since(t0)
			})
		}
	}
	var r rounds
	var cpu, wall time.Duration
	for range n {
		best := 0.0
		for _, run := range ways {
			cpu0, t0 := hostinfo.CPUTime(), time.Now()
			products := 0
			for products < peakMinProducts || time.Since(t0) < round/time.Duration(len(ways)) {
				if err := ctx.Err(); err != nil {
					return r, err
				}
				run()
				products++
			}
			d := time.Since(t0)
			cpu += hostinfo.CPUTime() - cpu0
			wall += d
			best = max(best, 2*float64(size)*float64(size)*float64(size)*float64(products)/d.Seconds()/1e9)
		}
		r.gflops = append(r.gflops, best)
	}
	if wall > 0 {
		r.busy = min(cpu.Seconds()/(wall.Seconds()*float64(threads)), 1)
	}
	return r, nil
}

// RecalibratePeak measures the peak again (engine.PeakRecalibrator), for
// the runner when a window beat the figure Info gave: the cache replaces
// it when the new figure is worth caching.
func (e *executor) RecalibratePeak(ctx context.Context) (engine.Info, error) {
	if e.closed {
		return engine.Info{}, errClosed
	}
	c, err := e.peak(ctx, e.threads, true)
	if err != nil {
		return e.Info(), fmt.Errorf("measuring the CPU peak again: %w", err)
	}
	e.peakDone, e.peakVal = true, c
	return e.Info(), nil
}
