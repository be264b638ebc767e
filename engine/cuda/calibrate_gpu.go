//go:build gpu

package cuda

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gorgonia.org/cu"

	"infertop/internal/peakcache"
)

// calibrationN is the sgemm size of the peak calibration (N×N×N).
const calibrationN = 4096

// peakKey is the peak cache's key for g's card, cuBLAS version and math mode.
func peakKey(g *gpu) string {
	id := g.uuid
	if id == "" {
		id = g.name
	}
	mode := "float32"
	if g.tf32 {
		mode = "tf32" // the TF32 tensor-core rate is another figure
	}
	return fmt.Sprintf("cuda|%s|cublas %d|%s", id, g.blasVer, mode)
}

// peakGFLOPS returns the card's float32 sgemm rate (with TF32 allowed, its
// TF32 tensor-core rate), measured once per card, cuBLAS and math mode
// (4096³ after two warm-up calls, five timed with events) and kept in the
// peak cache the CPU engine also uses; fresh measures it again and
// replaces the cached figure. The caller made g's context current.
func peakGFLOPS(g *gpu, fresh bool) (float64, error) {
	cache := peakcache.Default()
	key := peakKey(g)
	if e, ok := cache.Get(key); ok && !fresh {
		return e.GFLOPS, nil
	}
	gf, err := measurePeak(g)
	if err != nil {
		return 0, err
	}
	// A cache: failing to write it only costs a re-measure.
	_ = cache.Put(key, peakcache.Entry{GFLOPS: gf, Device: strings.TrimSpace(g.name + " " + g.uuid),
		Library: fmt.Sprintf("cuBLAS %d", g.blasVer), TF32: g.tf32, Measured: time.Now().UTC()})
	return gf, nil
}

func measurePeak(g *gpu) (float64, error) {
	const n = calibrationN
	bytes := int64(4 * n * n)
	free, _, err := cu.MemInfo()
	if err != nil {
		return 0, check("cuMemGetInfo", err)
	}
	if 3*bytes+CublasReserveBytes > free {
		return 0, fmt.Errorf("calibration needs %d MiB, %d MiB free", (3*bytes)>>20, free>>20)
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
			return 0, check("cuMemAlloc(calibration)", err)
		}
		if err := cu.MemsetD32Async(bufs[i], uint(math.Float32bits(0.5)), n*n, g.stream); err != nil {
			return 0, check("cuMemsetD32Async(calibration)", err)
		}
	}
	gm := &Gemm{M: n, N: n, K: n, Alpha: 1, LdA: n, LdB: n, LdC: n, Batch: 1}
	a, b, c := uintptr(bufs[0]), uintptr(bufs[1]), uintptr(bufs[2])
	for range 2 {
		if r := g.blas.gemm(g.handle, gm, a, b, c); r != 0 {
			return 0, blasErr("cublasSgemm(calibration warm-up)", r)
		}
	}
	const reps = 5
	if err := g.events[0].Record(g.stream); err != nil {
		return 0, check("cuEventRecord", err)
	}
	for range reps {
		if r := g.blas.gemm(g.handle, gm, a, b, c); r != 0 {
			return 0, blasErr("cublasSgemm(calibration)", r)
		}
	}
	if err := g.events[1].Record(g.stream); err != nil {
		return 0, check("cuEventRecord", err)
	}
	if err := g.events[1].Synchronize(); err != nil {
		return 0, check("cuEventSynchronize(calibration)", err)
	}
	ms, err := g.events[0].Elapsed(g.events[1])
	if err != nil {
		return 0, check("cuEventElapsedTime(calibration)", err)
	}
	if ms <= 0 {
		return 0, fmt.Errorf("calibration timed %.3f ms", ms)
	}
	return 2 * float64(n) * n * n * reps / (ms / 1000) / 1e9, nil
}
