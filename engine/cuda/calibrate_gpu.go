//go:build gpu

package cuda

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/internal/peakcache"
)

// The calibration: calibrationRounds rounds of calibrationReps sgemms of
// calibrationN³, each round timed with events, after two untimed.
const (
	calibrationN      = 4096
	calibrationRounds = 7
	calibrationReps   = 3
)

// peakKey is the peak cache's key for g's card, cuBLAS version and math mode.
func peakKey(g *gpu) string {
	id := g.uuid
	if id == "" {
		id = g.name
	}
	mode := "float32"
	if g.precision != engine.FP32 {
		mode = g.precision.String() // each tensor-core rate is another figure
	}
	return fmt.Sprintf("cuda|%s|cublas %d|%s", id, g.blasVer, mode)
}

// peakGFLOPS returns the card's rate in the executor's precision (float32
// sgemm; with TF32 allowed, its TF32 tensor-core rate; in FP16 or BF16,
// cublasGemmEx's with float32 sums) and how it was taken: the best of seven rounds
// (engine.PeakOf), measured once per card, cuBLAS and math mode and kept in
// the peak cache the CPU engine also uses when the rounds agree
// (engine.Peak.Trusted). A cached figure of a version that measured once is
// measured again; fresh measures again whatever is cached. The caller made
// g's context current.
func peakGFLOPS(g *gpu, fresh bool) (float64, engine.Peak, error) {
	cache := peakcache.Default()
	key := peakKey(g)
	replaced := ""
	if e, ok := cache.Get(key); ok && !fresh {
		if e.Runs > 0 {
			return e.GFLOPS, engine.Peak{Runs: e.Runs, Spread: e.Spread, Cached: true, Measured: e.Measured}, nil
		}
		replaced = "the cached figure was one short try of an earlier version"
	}
	rounds, err := measurePeak(g)
	if err != nil {
		return 0, engine.Peak{}, err
	}
	gf, p := engine.PeakOf(rounds)
	p.Measured, p.Replaced = time.Now().UTC(), replaced
	if ok, why := p.Trusted(0, 0); !ok {
		p.NotCached = why
		return gf, p, nil
	}
	// A cache: failing to write it only costs a re-measure.
	_ = cache.Put(key, peakcache.Entry{GFLOPS: gf, Device: strings.TrimSpace(g.name + " " + g.uuid),
		Library: fmt.Sprintf("cuBLAS %d", g.blasVer), Precision: cachedPrecision(g.precision), Measured: p.Measured, Runs: p.Runs, Spread: p.Spread})
	return gf, p, nil
}

// measurePeak returns the GFLOP/s of each timed round: products of
// calibrationN² matrices of 0.5, A and B of the precision's type.
func measurePeak(g *gpu) ([]float64, error) {
	const n = calibrationN
	in := Options{Precision: g.precision}.half()
	bytes := int64(4 * n * n)
	free, _, err := cu.MemInfo()
	if err != nil {
		return nil, check("cuMemGetInfo", err)
	}
	if 3*bytes+CublasReserveBytes > free {
		return nil, fmt.Errorf("calibration needs %d MiB, %d MiB free", (3*bytes)>>20, free>>20)
	}
	var bufs [3]cu.DevicePtr
	defer func() {
		for _, p := range bufs {
			if p != 0 {
				_ = cu.MemFree(p)
			}
		}
	}()
	for i := range bufs {
		if bufs[i], err = cu.MemAlloc(bytes); err != nil {
			return nil, check("cuMemAlloc(calibration)", err)
		}
		if i < 2 && in != ElemF32 {
			// A and B take the first half of their buffers.
			if err := cu.MemsetD16Async(bufs[i], uint16(toHalf(in, 0.5)), n*n, g.stream); err != nil {
				return nil, check("cuMemsetD16Async(calibration)", err)
			}
			continue
		}
		if err := cu.MemsetD32Async(bufs[i], uint(math.Float32bits(0.5)), n*n, g.stream); err != nil {
			return nil, check("cuMemsetD32Async(calibration)", err)
		}
	}
	gm := &Gemm{In: in, M: n, N: n, K: n, Alpha: 1, LdA: n, LdB: n, LdC: n, Batch: 1}
	a, b, c := uintptr(bufs[0]), uintptr(bufs[1]), uintptr(bufs[2])
	for range 2 {
		if r := g.blas.gemm(g.handle, gm, a, b, c); r != 0 {
			return nil, blasErr(gemmCall(in)+"(calibration warm-up)", r)
		}
	}
	var rounds []float64
	for range calibrationRounds {
		if err := g.events[0].Record(g.stream); err != nil {
			return nil, check("cuEventRecord", err)
		}
		for range calibrationReps {
			if r := g.blas.gemm(g.handle, gm, a, b, c); r != 0 {
				return nil, blasErr(gemmCall(in)+"(calibration)", r)
			}
		}
		if err := g.events[1].Record(g.stream); err != nil {
			return nil, check("cuEventRecord", err)
		}
		if err := g.events[1].Synchronize(); err != nil {
			return nil, check("cuEventSynchronize(calibration)", err)
		}
		ms, err := g.events[0].Elapsed(g.events[1])
		if err != nil {
			return nil, check("cuEventElapsedTime(calibration)", err)
		}
		if ms <= 0 {
			return nil, fmt.Errorf("calibration timed %.3f ms", ms)
		}
		rounds = append(rounds, 2*float64(n)*n*n*calibrationReps/(float64(ms)/1000)/1e9)
	}
	return rounds, nil
}

// cachedPrecision is the peak cache's name of precision p: "" for fp32.
func cachedPrecision(p engine.Precision) string {
	if p == engine.FP32 {
		return ""
	}
	return p.String()
}

// gemmCall names the cuBLAS call that multiplies operands of type in.
func gemmCall(in Elem) string {
	if in != ElemF32 {
		return "cublasGemmEx"
	}
	return "cublasSgemm"
}

// RecalibratePeak measures the card's peak again (engine.PeakRecalibrator),
// for the runner when a window beat the figure Info gave.
func (e *Executor) RecalibratePeak(context.Context) (engine.Info, error) {
	if e.closed {
		return engine.Info{}, errors.New("cuda engine: RecalibratePeak after Close")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := e.gpus[0].current(); err != nil {
		return e.Info(), err
	}
	if err := e.calibrate(true); err != nil {
		return e.Info(), fmt.Errorf("measuring the sgemm peak of %s again: %w", e.d, err)
	}
	return e.Info(), nil
}
