package cpu

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"infertop/internal/blas"
)

// BLASDescription says which BLAS the CPU engine uses on this machine, e.g.
// "OpenBLAS 0.3.21 (pthread, Haswell) /usr/lib/x86_64-linux-gnu/libopenblas.so.0",
// or the gonum fallback and how to install OpenBLAS.
func BLASDescription() string {
	lib, _ := blas.Load(blas.Options{})
	return lib.Description()
}

// calibrationBudget is how long one calibration multiplies matrices.
const calibrationBudget = 300 * time.Millisecond

// PeakGFLOPS is the sgemm throughput the CPU engine reaches with threads
// threads (0: every core) on this machine's BLAS, in GFLOP/s. It is measured
// once (about 0.3 s of square products of 512 or 1024) and cached per
// machine, BLAS and thread count in os.UserCacheDir()/infertop/cpu-peak.json.
func PeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	return peakCached(ctx, threads, userCacheDir(), blas.Options{}, MeasurePeakGFLOPS, false)
}

// RecalibratePeakGFLOPS measures the peak PeakGFLOPS reports again and
// replaces the cached figure (one taken on a busy machine reads low).
func RecalibratePeakGFLOPS(ctx context.Context, threads int) (float64, error) {
	return peakCached(ctx, threads, userCacheDir(), blas.Options{}, MeasurePeakGFLOPS, true)
}

// userCacheDir is infertop's folder in os.UserCacheDir(), or "" (no cache)
// when there is none.
func userCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "infertop")
}

type peakEntry struct {
	GFLOPS   float64   `json:"gflops"`
	Machine  string    `json:"machine"`
	BLAS     string    `json:"blas"`
	Threads  int       `json:"threads"`
	Measured time.Time `json:"measured"`
}

type peakFile struct {
	Entries map[string]peakEntry `json:"entries"`
}

const peakFileName = "cpu-peak.json"

// peakCached reads the peak for (machine, BLAS, threads) from dir, or (always
// when fresh) measures it and stores it there. An empty dir measures without
// caching.
func peakCached(ctx context.Context, threads int, dir string, bo blas.Options, measure func(context.Context, int) (float64, error), fresh bool) (float64, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	lib, _ := blas.Load(bo)
	machine := machineID()
	key := fmt.Sprintf("%s|%s|%d", machine, lib.Description(), threads)
	path := filepath.Join(dir, peakFileName)
	var f peakFile
	if dir != "" {
		if b, err := os.ReadFile(path); err == nil {
			_ = json.Unmarshal(b, &f) // a damaged cache is measured again and rewritten
		}
		if e, ok := f.Entries[key]; ok && e.GFLOPS > 0 && !fresh {
			return e.GFLOPS, nil
		}
	}
	v, err := measure(ctx, threads)
	if err != nil || dir == "" {
		return v, err
	}
	if f.Entries == nil {
		f.Entries = map[string]peakEntry{}
	}
	f.Entries[key] = peakEntry{GFLOPS: v, Machine: machine, BLAS: lib.Description(), Threads: threads, Measured: time.Now().UTC()}
	if err := writeJSON(dir, path, &f); err != nil {
		return v, fmt.Errorf("caching the CPU peak: %w", err)
	}
	return v, nil
}

func writeJSON(dir, path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, peakFileName+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// machineID names this machine for the cache: host name, CPU model and core count.
func machineID() string {
	host, _ := os.Hostname()
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%s/%s/%d cores", host, model, runtime.NumCPU())
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
