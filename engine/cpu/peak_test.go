package cpu

import (
	"context"
	"math"
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

// fakeRounds measures threads × 10 GFLOP/s in every round on a quiet machine.
func fakeRounds(calls *int) func(context.Context, int, blas.Options) (rounds, error) {
	return func(_ context.Context, threads int, _ blas.Options) (rounds, error) {
		*calls++
		g := float64(10 * threads)
		return rounds{gflops: []float64{g, g * 0.99, g, g * 0.98, g}, busy: 0.97}, nil
	}
}

var testClock = func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }

func testCache(t *testing.T) peakCache {
	return peakCache{cache: peakcache.In(filepath.Join(t.TempDir(), "infertop")), cpus: 4, now: testClock}
}

func TestPeakCachedPerThreadCount(t *testing.T) {
	pc := testCache(t)
	calls := 0
	measure := fakeRounds(&calls)
	ctx := context.Background()
	for i, tc := range []struct {
		threads   int
		want      float64
		wantCalls int
		cached    bool
	}{{2, 20, 1, false}, {2, 20, 1, true}, {3, 30, 2, false}, {2, 20, 2, true}} {
		c, err := peakCached(ctx, tc.threads, pc, blas.Options{}, measure, false)
		if err != nil || c.gflops != tc.want || calls != tc.wantCalls || c.peak.Cached != tc.cached {
			t.Fatalf("step %d: %+v, %v after %d measurements; want %v after %d, cached %v", i, c, err, calls, tc.want, tc.wantCalls, tc.cached)
		}
	}
	b, err := os.ReadFile(pc.cache.Path())
	if err != nil || !strings.Contains(string(b), `"gflops": 30`) || !strings.Contains(string(b), `"threads": 3`) ||
		!strings.Contains(string(b), `"runs": 5`) || !strings.Contains(string(b), `"busy": 0.97`) {
		t.Fatalf("cache file: %s, %v", b, err)
	}
	// Another BLAS is another entry.
	if _, err := peakCached(ctx, 2, pc, blas.Options{NoLibrary: true}, measure, false); err != nil || (calls != 3 && !blasIsFallback()) {
		t.Errorf("gonum did not get its own entry (%d measurements, %v)", calls, err)
	}
	// A damaged cache is measured again and rewritten.
	os.WriteFile(pc.cache.Path(), []byte("{not json"), 0o644)
	before := calls
	if c, err := peakCached(ctx, 2, pc, blas.Options{}, measure, false); err != nil || c.gflops != 20 || calls != before+1 {
		t.Errorf("damaged cache: %+v, %v, %d measurements", c, err, calls-before)
	}
	// No cache directory: measured every time, no error.
	pc.cache = peakcache.Cache{}
	if c, err := peakCached(ctx, 2, pc, blas.Options{}, measure, false); err != nil || c.gflops != 20 {
		t.Errorf("uncached: %+v, %v", c, err)
	}
}

func blasIsFallback() bool {
	lib, _ := blas.Load(blas.Options{})
	return lib.Fallback()
}

// The peak is the best round; its spread is how far the median round lies
// below it.
func TestSummarize(t *testing.T) {
	c := summarize(rounds{gflops: []float64{65.6, 113.8, 119.6, 104.5, 118.0}, busy: 0.9})
	if c.gflops != 119.6 || c.peak.Runs != 5 || c.peak.Busy != 0.9 {
		t.Errorf("%+v", c)
	}
	if want := (119.6 - 113.8) / 119.6; math.Abs(c.peak.Spread-want) > 1e-12 {
		t.Errorf("spread %v, want %v", c.peak.Spread, want)
	}
	if c := summarize(rounds{gflops: []float64{10, 20, 30, 40}}); c.gflops != 40 || c.peak.Spread != (40-25)/40.0 {
		t.Errorf("even count: %+v", c)
	}
	if c := summarize(rounds{}); c.gflops != 0 || c.peak.Runs != 0 {
		t.Errorf("no rounds: %+v", c)
	}
}

// A figure whose rounds disagree, taken on a busy machine or with more
// threads than CPUs is used for the run that measured it but never cached,
// and says why.
func TestUntrustedPeakIsNotCached(t *testing.T) {
	for _, c := range []struct {
		name    string
		r       rounds
		threads int
		why     string
	}{
		{"spread", rounds{gflops: []float64{65.6, 113.8, 119.6, 104.5, 80}, busy: 0.95}, 2, "its 5 rounds spread 13 % (limit 10 %)"},
		{"busy", rounds{gflops: []float64{50, 50, 50}, busy: 0.55}, 2, "the machine was busy: the calibration got 55 % of its threads' time (limit 85 %)"},
		{"threads", rounds{gflops: []float64{0.39, 0.39, 0.39}, busy: 0.9}, 100000, "100000 threads on 4 CPUs take turns"},
	} {
		pc := testCache(t)
		measure := func(context.Context, int, blas.Options) (rounds, error) { return c.r, nil }
		got, err := peakCached(context.Background(), c.threads, pc, blas.Options{}, measure, false)
		if err != nil || got.peak.Cached || got.peak.NotCached != c.why || got.gflops != summarize(c.r).gflops {
			t.Errorf("%s: %+v, %v; want not cached because %q", c.name, got, err, c.why)
		}
		if len(pc.cache.All()) != 0 {
			t.Errorf("%s: cached %v", c.name, pc.cache.All())
		}
	}
}

// Cached entries not worth trusting are measured again, and the new figure
// says what it replaced: one from a version that measured once, one for more
// threads than CPUs, a 2-thread peak below the 1-thread one.
func TestDistrustedCacheIsMeasuredAgain(t *testing.T) {
	lib, _ := blas.Load(blas.Options{})
	key := func(threads int) string { return peakKey(peakLibrary(lib.Description(), peakISA()), threads) }
	for _, c := range []struct {
		name    string
		entries map[string]peakcache.Entry
		threads int
		why     string
	}{
		{"old version", map[string]peakcache.Entry{key(2): {GFLOPS: 150}}, 2, "the cached figure was one short try of an earlier version"},
		{"too many threads", map[string]peakcache.Entry{key(8): {GFLOPS: 3, Runs: 7}}, 8, "the cached figure is for 8 threads on 4 CPUs"},
		{"below fewer threads", map[string]peakcache.Entry{key(1): {GFLOPS: 80, Runs: 7}, key(2): {GFLOPS: 65.6, Runs: 7}}, 2,
			"the cached 2-thread figure (65.6 GFLOP/s) is below the 1-thread one (80 GFLOP/s)"},
	} {
		pc := testCache(t)
		for k, e := range c.entries {
			if err := pc.cache.Put(k, e); err != nil {
				t.Fatal(err)
			}
		}
		calls := 0
		got, err := peakCached(context.Background(), c.threads, pc, blas.Options{}, fakeRounds(&calls), false)
		if err != nil || calls != 1 || got.peak.Cached || got.peak.Replaced != c.why || got.gflops != float64(10*c.threads) {
			t.Errorf("%s: %+v, %v after %d measurements; want measured again because %q", c.name, got, err, calls, c.why)
		}
	}
	// A 2-thread figure within the spread of the 1-thread one stands.
	pc := testCache(t)
	_ = pc.cache.Put(key(1), peakcache.Entry{GFLOPS: 80, Runs: 7})
	_ = pc.cache.Put(key(2), peakcache.Entry{GFLOPS: 75, Runs: 7})
	calls := 0
	if got, _ := peakCached(context.Background(), 2, pc, blas.Options{}, fakeRounds(&calls), false); !got.peak.Cached || got.gflops != 75 || calls != 0 {
		t.Errorf("a 2-thread figure 6 %% below the 1-thread one was not used: %+v", got)
	}
}

func TestMeasurePeak(t *testing.T) {
	r, err := measurePeak(context.Background(), 2, blas.Options{}, 2, 10*time.Millisecond)
	if err != nil || len(r.gflops) != 2 || r.gflops[0] <= 0 || r.busy <= 0 || r.busy > 1 {
		t.Fatalf("rounds %+v, %v", r, err)
	}
	t.Logf("sgemm rounds with 2 threads: %v GFLOP/s, %.0f %% of the threads' time (%s)", r.gflops, 100*r.busy, BLASDescription())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := measurePeak(ctx, 1, blas.Options{}, 2, time.Second); err == nil {
		t.Error("a cancelled calibration returned no error")
	}
}

func TestPeakGFLOPSUsesUserCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	c, err := peakOf(context.Background(), 1, false)
	if err != nil || c.gflops <= 0 || c.peak.Runs != peakRounds {
		t.Fatalf("peakOf: %+v, %v", c, err)
	}
	if c.peak.NotCached != "" {
		t.Skipf("this machine was too busy for a figure worth caching: %s", c.peak.NotCached)
	}
	if _, err := os.Stat(peakcache.Default().Path()); err != nil {
		t.Errorf("no cache file: %v", err)
	}
	v2, err := PeakGFLOPS(context.Background(), 1)
	if err != nil || v2 != c.gflops {
		t.Errorf("second call %v, %v; want the cached %v", v2, err, c.gflops)
	}
}

// engine.Options.Recalibrate measures again instead of reading the cache,
// and so does RecalibratePeak (the runner's, when a window beat the peak);
// Info carries how the figure was taken.
func TestRecalibrate(t *testing.T) {
	lin, err := presets.BuildModel("linear", presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	pc := testCache(t)
	lib, _ := blas.Load(blas.Options{})
	if err := pc.cache.Put(peakKey(peakLibrary(lib.Description(), peakISA()), 1), peakcache.Entry{GFLOPS: 0.5, Threads: 1, Runs: 7, Spread: 0.02}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	open := func(recal bool) *executor {
		t.Helper()
		e, err := newExecutor(cpuDev, lin, engine.Options{Threads: 1, Recalibrate: recal}, options{})
		if err != nil {
			t.Fatal(err)
		}
		e.peak = func(ctx context.Context, threads int, fresh bool) (calibration, error) {
			return peakCached(ctx, threads, pc, blas.Options{}, fakeRounds(&calls), fresh)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	if info := open(false).Info(); info.PeakGFLOPS != 0.5 || !info.Peak.Cached || info.Peak.Runs != 7 || calls != 0 {
		t.Fatalf("cached peak %v (%+v) after %d measurements, want the cached 0.5", info.PeakGFLOPS, info.Peak, calls)
	}
	if info := open(true).Info(); info.PeakGFLOPS != 10 || info.Peak.Cached || calls != 1 {
		t.Fatalf("recalibrated peak %v (%+v), want a measured 10", info.PeakGFLOPS, info.Peak)
	}
	e := open(false)
	if v := e.Info().PeakGFLOPS; v != 10 {
		t.Errorf("after recalibrating the cache gives %v, want 10", v)
	}
	var _ engine.PeakRecalibrator = e
	info, err := e.RecalibratePeak(context.Background())
	if err != nil || info.PeakGFLOPS != 10 || info.Peak.Cached || calls != 2 || info.Peak.String() != "best of 5 rounds, spread 0.0 %, 97 % of its threads' time" {
		t.Errorf("RecalibratePeak: %+v (%q), %v after %d measurements", info, info.Peak.String(), err, calls)
	}
}

// A peak measured with the packed kernel is cached under a name that says
// so: a figure of the BLAS alone is never read for it.
func TestPeakLibraryNamesThePackedKernel(t *testing.T) {
	if got := peakLibrary("OpenBLAS 0.3.21", isaAVX512); got != "OpenBLAS 0.3.21 + packed/wide-avx512" {
		t.Errorf("peakLibrary = %q", got)
	}
	if got := peakLibrary("gonum", isaNone); got != "gonum" {
		t.Errorf("peakLibrary without the packed kernel = %q", got)
	}
	if peakKey(peakLibrary("x", isaAVX2), 2) == peakKey("x", 2) {
		t.Error("the same cache key with and without the packed kernel")
	}
}
