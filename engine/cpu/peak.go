package cpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

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

// calibrationBudget is how long one calibration multiplies matrices.
const calibrationBudget = 300 * time.Millisecond

// PeakGFLOPS is the sgemm throughput the CPU engine reaches with threads
// threads (0: every core) on this machine's BLAS, in GFLOP/s. It is measured
// once (about 0.3 s of square products of 512 or 1024) and cached per
// machine, BLAS and thread count in the peak cache (internal/peakcache).
func PeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	return peakCached(ctx, threads, peakcache.Default(), blas.Options{}, MeasurePeakGFLOPS, false)
}

// RecalibratePeakGFLOPS measures the peak PeakGFLOPS reports again and
// replaces the cached figure (one taken on a busy machine reads low).
func RecalibratePeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	return peakCached(ctx, threads, peakcache.Default(), blas.Options{}, MeasurePeakGFLOPS, true)
}

// peakKey is the cache's key for this machine, a BLAS and a thread count.
func peakKey(lib string, threads int) string {
	return fmt.Sprintf("cpu|%s|%s|%d", machineID(), lib, threads)
}

// peakCached reads the peak for (machine, BLAS, threads) from cache, or
// (always when fresh) measures it and stores it there.
func peakCached(ctx context.Context, threads int, cache peakcache.Cache, bo blas.Options, measure func(context.Context, int) (float64, error), fresh bool) (float64, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	lib, _ := blas.Load(bo)
	key := peakKey(lib.Description(), threads)
	if e, ok := cache.Get(key); ok && !fresh {
		return e.GFLOPS, nil
	}
	v, err := measure(ctx, threads)
	if err != nil {
		return v, err
	}
	e := peakcache.Entry{GFLOPS: v, Device: machineID(), Library: lib.Description(), Threads: threads, Measured: time.Now().UTC()}
	if err := cache.Put(key, e); err != nil {
		return v, fmt.Errorf("caching the CPU peak: %w", err)
	}
	return v, nil
}

// machineID names this machine for the cache: host name, CPU model and core count.
func machineID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%s/%d cores", host, hostinfo.CPUModel(hostinfo.CPUInfo), runtime.NumCPU())
}

// MeasurePeakGFLOPS times square products through the engine's own
// partitioned sgemm (the path its linear layers take) for about 0.3 s, with
// no cache, and returns the best GFLOP/s seen.
func MeasurePeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	return measurePeak(ctx, threads, blas.Options{}, calibrationBudget)
}

func measurePeak(ctx context.Context, threads int, bo blas.Options, budget time.Duration) (float64, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	lib, _ := blas.Load(bo)
	lib.SetThreads(1)
	c := &compute{pool: newPool(threads), lib: lib}
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
	n := 512
	best := 0.0
	start := time.Now()
	for time.Since(start) < budget || best == 0 {
		if err := ctx.Err(); err != nil {
			return best, err
		}
		op := newGemmOp(c, n, n, n, act{})
		op.x, op.w, op.b, op.y = a[:n*n], w[:n*n], bias[:n], y[:n*n]
		t0 := time.Now()
		c.pool.do(op, op.chunks, op.parts)
		dt := time.Since(t0)
		best = max(best, 2*float64(n)*float64(n)*float64(n)/dt.Seconds()/1e9)
		if n < maxN && dt < 15*time.Millisecond {
			n = maxN // fast enough for the larger size
			best = 0
		}
	}
	return best, nil
}
