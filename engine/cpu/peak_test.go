package cpu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/internal/blas"
	"infertop/internal/peakcache"
	"infertop/presets"
)

func TestPeakCachedPerThreadCount(t *testing.T) {
	cache := peakcache.In(filepath.Join(t.TempDir(), "infertop"))
	calls := 0
	measure := func(_ context.Context, threads int) (float64, error) {
		calls++
		return float64(10 * threads), nil
	}
	ctx := context.Background()
	for i, tc := range []struct {
		threads   int
		want      float64
		wantCalls int
	}{{2, 20, 1}, {2, 20, 1}, {3, 30, 2}, {2, 20, 2}} {
		v, err := peakCached(ctx, tc.threads, cache, blas.Options{}, measure, false)
		if err != nil || v != tc.want || calls != tc.wantCalls {
			t.Fatalf("step %d: %v, %v after %d measurements; want %v after %d", i, v, err, calls, tc.want, tc.wantCalls)
		}
	}
	b, err := os.ReadFile(cache.Path())
	if err != nil || !strings.Contains(string(b), `"gflops": 30`) || !strings.Contains(string(b), `"threads": 3`) {
		t.Fatalf("cache file: %s, %v", b, err)
	}
	// Another BLAS is another entry.
	if _, err := peakCached(ctx, 2, cache, blas.Options{NoLibrary: true}, measure, false); err != nil || (calls != 3 && !blasIsFallback()) {
		t.Errorf("gonum did not get its own entry (%d measurements, %v)", calls, err)
	}
	// A damaged cache is measured again and rewritten.
	os.WriteFile(cache.Path(), []byte("{not json"), 0o644)
	before := calls
	if v, err := peakCached(ctx, 2, cache, blas.Options{}, measure, false); err != nil || v != 20 || calls != before+1 {
		t.Errorf("damaged cache: %v, %v, %d measurements", v, err, calls-before)
	}
	// No cache directory: measured every time, no error.
	if v, err := peakCached(ctx, 2, peakcache.Cache{}, blas.Options{}, measure, false); err != nil || v != 20 {
		t.Errorf("uncached: %v, %v", v, err)
	}
}

func blasIsFallback() bool {
	lib, _ := blas.Load(blas.Options{})
	return lib.Fallback()
}

func TestMeasurePeak(t *testing.T) {
	v, err := measurePeak(context.Background(), 2, blas.Options{}, 50*time.Millisecond)
	if err != nil || v <= 0 {
		t.Fatalf("peak %v, %v", v, err)
	}
	t.Logf("sgemm peak with 2 threads: %.1f GFLOP/s (%s)", v, BLASDescription())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := measurePeak(ctx, 1, blas.Options{}, time.Second); err == nil {
		t.Error("a cancelled calibration returned no error")
	}
}

func TestPeakGFLOPSUsesUserCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	v, err := PeakGFLOPS(context.Background(), 1)
	if err != nil || v <= 0 {
		t.Fatalf("PeakGFLOPS: %v, %v", v, err)
	}
	if _, err := os.Stat(peakcache.Default().Path()); err != nil {
		t.Errorf("no cache file: %v", err)
	}
	start := time.Now()
	v2, err := PeakGFLOPS(context.Background(), 1)
	if err != nil || v2 != v {
		t.Errorf("second call %v, %v; want the cached %v", v2, err, v)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Logf("the cached read took %v", d) // not a failure on a busy machine
	}
}

// A figure cached from a busy machine stays until a recalibration replaces
// it: engine.Options.Recalibrate measures again and rewrites the cache.
func TestRecalibrateReplacesACachedPeak(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	lib, _ := blas.Load(blas.Options{})
	if err := peakcache.Default().Put(peakKey(lib.Description(), 1), peakcache.Entry{GFLOPS: 0.5, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	lin, err := presets.BuildModel("linear", presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	peakOf := func(recal bool) float64 {
		t.Helper()
		ex, err := New(cpuDev, lin, engine.Options{Threads: 1, Recalibrate: recal})
		if err != nil {
			t.Fatal(err)
		}
		defer ex.Close()
		return ex.Info().PeakGFLOPS
	}
	if v := peakOf(false); v != 0.5 {
		t.Fatalf("cached peak %v, want the cached 0.5", v)
	}
	fresh := peakOf(true)
	if fresh <= 0.5 {
		t.Fatalf("recalibrated peak %v, want a real measurement above the planted 0.5", fresh)
	}
	if v := peakOf(false); v != fresh {
		t.Errorf("after recalibrating the cache gives %v, want %v", v, fresh)
	}
}
