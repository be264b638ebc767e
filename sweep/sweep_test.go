package sweep

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
)

const mib = 1 << 20

// fakeProber follows known curves: throughput sps(b), p99 lat(b) in ms and
// engine memory mem(b), with batches above limit refused as out of memory.
type fakeProber struct {
	sps func(b int) float64
	p99 func(b int) float64
	mem func(b int) int64
	// est is the memory estimate the fit check compares with limit (nil: mem).
	est      func(b int) int64
	limit    int64
	measured []int
	probed   []int
	// cancelAt cancels the context when this batch is measured.
	cancelAt int
	cancel   context.CancelFunc
}

func (f *fakeProber) estimate(b int) int64 {
	if f.est != nil {
		return f.est(b)
	}
	return f.mem(b)
}

func (f *fakeProber) fits(b int) error {
	if f.limit > 0 && f.estimate(b) > f.limit {
		return &engine.OOMError{Device: "fake", Batch: b, Need: f.estimate(b), Available: f.limit}
	}
	return nil
}

func (f *fakeProber) Fits(_ context.Context, b int) error {
	f.probed = append(f.probed, b)
	return f.fits(b)
}

func (f *fakeProber) Measure(_ context.Context, b int) (Point, error) {
	if b == f.cancelAt {
		f.cancel()
		return Point{}, context.Canceled
	}
	if err := f.fits(b); err != nil {
		return Point{}, err
	}
	f.measured = append(f.measured, b)
	pt := Point{Batch: b, SamplesPerSec: f.sps(b), P99MS: f.p99(b), P50MS: f.p99(b) / 2, EngineBytes: f.mem(b), Stable: true}
	if f.limit > 0 {
		pt.EstimateBytes = f.estimate(b)
	}
	return pt, nil
}

// saturating is sps = 1000·b/(b+16): each batch takes (b+16) ms.
func saturating() *fakeProber {
	return &fakeProber{
		sps: func(b int) float64 { return 1000 * float64(b) / float64(b+16) },
		p99: func(b int) float64 { return float64(b + 16) },
		mem: func(b int) int64 { return 10*mib + int64(b)*mib },
	}
}

func batches(pts []Point) []int {
	var out []int
	for _, p := range pts {
		out = append(out, p.Batch)
	}
	return out
}

func TestKneeAndGainStop(t *testing.T) {
	p := saturating()
	res, err := Run(context.Background(), Config{}, p)
	if err != nil {
		t.Fatal(err)
	}
	// Gains: 128→256 +5.88 %, 256→512 +3.03 %, 512→1024 +1.54 %: two in a row under 5 %.
	if want := []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; !slices.Equal(batches(res.Points), want) {
		t.Fatalf("batches %v, want %v", batches(res.Points), want)
	}
	if res.Stop != StopGain {
		t.Errorf("stop %q, want gain", res.Stop)
	}
	if res.Rec.Batch != 256 || !res.Rec.Knee {
		t.Errorf("recommendation %+v, want the knee at 256", res.Rec)
	}
	if !strings.Contains(res.Rec.Why, "(+3.0 % at 512, +4.6 % at 1024)") || !strings.Contains(res.Rec.Why, "941 samples/s") {
		t.Errorf("why = %q", res.Rec.Why)
	}
	if res.Rec.HeadroomKnown {
		t.Error("headroom known without a limit")
	}
}

func TestSLOStopAndRecommendation(t *testing.T) {
	p := saturating()
	res, err := Run(context.Background(), Config{SLOP99: 50 * time.Millisecond, MemLimit: 1000 * mib}, p)
	if err != nil {
		t.Fatal(err)
	}
	// p99 = b+16 ms: 64 → 80 ms and 128 → 144 ms break the 50 ms SLO twice in a row.
	if want := []int{1, 2, 4, 8, 16, 32, 64, 128}; !slices.Equal(batches(res.Points), want) {
		t.Fatalf("batches %v, want %v", batches(res.Points), want)
	}
	if res.Stop != StopSLO {
		t.Errorf("stop %q, want slo", res.Stop)
	}
	want := "batch 32 has the highest throughput (667 samples/s) whose p99 (48 ms) meets the 50 ms SLO; batch 64 takes 80 ms"
	if res.Rec.Batch != 32 || res.Rec.Why != want {
		t.Errorf("recommendation %+v\nwant batch 32, %q", res.Rec, want)
	}
	// Headroom by the fit: 1000 MiB − (10 MiB + 32 MiB).
	if !res.Rec.HeadroomKnown || res.Rec.HeadroomBytes != 958*mib {
		t.Errorf("headroom %d, want %d", res.Rec.HeadroomBytes, 958*mib)
	}
	if res.SLOMS != 50 {
		t.Errorf("SLO %v ms", res.SLOMS)
	}
}

func TestOOMBisectionAndFit(t *testing.T) {
	p := &fakeProber{
		sps:   func(b int) float64 { return 100 * float64(b) },
		p99:   func(int) float64 { return 10 },
		mem:   func(b int) int64 { return 10*mib + int64(b)*mib },
		limit: 1000 * mib, // batches up to 990 fit
	}
	res, err := Run(context.Background(), Config{MemLimit: 1000 * mib, EstimateEdge: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopOOM || res.Edge == nil {
		t.Fatalf("stop %q edge %v", res.Stop, res.Edge)
	}
	if res.Edge.Failed != 1024 || res.Edge.Largest != 990 || !res.Edge.ByEstimate {
		t.Errorf("edge %+v, want 1024 failed, 990 largest", *res.Edge)
	}
	if want := []int{768, 896, 960, 992, 976, 984, 988, 990, 991}; !slices.Equal(p.probed, want) {
		t.Errorf("probes %v, want %v", p.probed, want)
	}
	if want := []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 990}; !slices.Equal(p.measured, want) {
		t.Errorf("measured %v, want %v", p.measured, want)
	}
	f := res.Fit
	if f == nil || math.Abs(f.A-10*mib) > 1e-3 || math.Abs(f.B-mib) > 1e-6 || f.Points != 11 {
		t.Fatalf("fit %+v, want 10 MiB + 1 MiB·b over 11 points", f)
	}
	if f.PredictedOOM != 991 {
		t.Errorf("predicted out-of-memory batch %d, want 991", f.PredictedOOM)
	}
	if res.Rec.Batch != 990 || res.Rec.HeadroomBytes != 0 {
		t.Errorf("recommendation %+v, want 990 with no headroom", res.Rec)
	}
	if !slices.Contains(res.Notes, CPUEdgeNote) {
		t.Errorf("notes %v lack the CPU edge note", res.Notes)
	}
	if !strings.Contains(res.StopText, "largest batch that fits is 990") {
		t.Errorf("stop text %q", res.StopText)
	}
}

// On the CPU the edge is the memory estimate, which counts more than the
// engine holds: the memory model fits the estimate, so that its prediction
// says what the edge says, and once bisection has found the edge it is the
// prediction; each bisection step says whether its batch fitted.
func TestCPUEdgeAndPredictionAgree(t *testing.T) {
	p := &fakeProber{
		sps:   func(b int) float64 { return 100 * float64(b) },
		p99:   func(int) float64 { return 10 },
		mem:   func(b int) int64 { return 10*mib + int64(b)*mib },     // what the engine holds
		est:   func(b int) int64 { return 10*mib + int64(b)*3*mib/2 }, // the estimate the edge is judged by
		limit: 1000 * mib,                                             // the estimate fits up to 660
	}
	var lines []string
	res, err := Run(context.Background(), Config{Batches: []int{1, 64, 1024}, MemLimit: 1000 * mib, EstimateEdge: true,
		Progress: func(_ Result, status string) { lines = append(lines, status) }}, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Edge == nil || res.Edge.Largest != 660 || res.Fit == nil || res.Fit.Of != OfEstimate || res.Fit.PredictedOOM != 661 || !res.Fit.FromEdge {
		t.Fatalf("edge %+v, fit %+v: want 660 the largest, the estimate's fit predicting 661", res.Edge, res.Fit)
	}
	if got := res.Fit.String(); got != "memory estimate ≈ 10.0 MiB + 1.5 MiB × batch" {
		t.Errorf("fit %q", got)
	}
	want := []string{
		"batch 1024 does not fit (batch 1024 needs 1.5 GiB on fake, 1000.0 MiB available): bisecting between 64 and 1024 for the largest that does",
		"  batch 544 fits; the edge is between 544 and 1024",
		"  batch 784 does not fit (batch 784 needs 1.2 GiB on fake, 1000.0 MiB available); the edge is between 544 and 784",
	}
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "fit") {
			got = append(got, l)
		}
	}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("bisection lines\n%q\nwant them to begin\n%q", got, want)
	}
}

func TestFitByHand(t *testing.T) {
	// (1,2) (2,3) (3,5): mean x 2, mean y 10/3, Sxy 3, Sxx 2 → b 1.5, a 1/3.
	f := FitMemory([]Point{{Batch: 1, EngineBytes: 2}, {Batch: 2, EngineBytes: 3}, {Batch: 3, EngineBytes: 5}}, 10)
	if f == nil || math.Abs(f.B-1.5) > 1e-12 || math.Abs(f.A-1.0/3) > 1e-12 {
		t.Fatalf("fit %+v, want a 1/3, b 1.5", f)
	}
	// floor((10 − 1/3) / 1.5) = 6 fits, 7 does not.
	if f.PredictedOOM != 7 {
		t.Errorf("predicted %d, want 7", f.PredictedOOM)
	}
	if FitMemory([]Point{{Batch: 4, EngineBytes: 9}}, 10) != nil {
		t.Error("a fit from one point")
	}
	if FitMemory([]Point{{Batch: 4, EngineBytes: 9}, {Batch: 4, EngineBytes: 10}}, 10) != nil {
		t.Error("a fit from one batch size")
	}
}

func TestBatchOneDoesNotFit(t *testing.T) {
	p := saturating()
	p.limit = 5 * mib
	res, err := Run(context.Background(), Config{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Edge == nil || res.Edge.Largest != 0 || res.Edge.Probes != 0 || len(res.Points) != 0 {
		t.Errorf("edge %+v points %v", res.Edge, res.Points)
	}
	if res.Rec.Batch != 0 || res.StopText != "batch 1 does not fit" {
		t.Errorf("rec %+v stop %q", res.Rec, res.StopText)
	}
}

func TestListIgnoresGainButKeepsSLO(t *testing.T) {
	p := saturating()
	list := []int{256, 512, 1024, 2048}
	res, err := Run(context.Background(), Config{Batches: list}, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(batches(res.Points), list) || res.Stop != StopList {
		t.Errorf("batches %v stop %q", batches(res.Points), res.Stop)
	}
	// 2048 gains 5.4 % over 256 in three small steps (+3.0, +1.5, +0.8 %):
	// the knee is 512, which nothing beats by 5 %.
	if res.Rec.Batch != 512 {
		t.Errorf("knee %d, want 512", res.Rec.Batch)
	}
	res, _ = Run(context.Background(), Config{Batches: list, SLOP99: time.Millisecond}, saturating())
	if res.Stop != StopSLO || len(res.Points) != 2 || res.Rec.Batch != 0 {
		t.Errorf("stop %q points %d rec %+v", res.Stop, len(res.Points), res.Rec)
	}
	if !strings.HasPrefix(res.Rec.Why, "no batch meets the 1 ms p99 SLO: the smallest measured, batch 256, has p99 272 ms") {
		t.Errorf("why %q", res.Rec.Why)
	}
}

func TestInterruptedKeepsPoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := saturating()
	p.cancelAt, p.cancel = 8, cancel
	var seen []int
	cfg := Config{Progress: func(r Result, _ string) { seen = append(seen, len(r.Points)) }}
	res, err := Run(ctx, cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted() || !slices.Equal(batches(res.Points), []int{1, 2, 4}) {
		t.Errorf("interrupted %v, batches %v", res.Interrupted(), batches(res.Points))
	}
	if len(seen) == 0 || seen[len(seen)-1] != 3 {
		t.Errorf("progress saw %v", seen)
	}
}

func TestMaxBatchAndErrors(t *testing.T) {
	res, err := Run(context.Background(), Config{MaxBatch: 8, MinGain: 0.01}, saturating())
	if err != nil || res.Stop != StopMaxBatch || len(res.Points) != 4 {
		t.Fatalf("stop %q, %d points, %v", res.Stop, len(res.Points), err)
	}
	p := &errProber{}
	res, err = Run(context.Background(), Config{}, p)
	if err == nil || !errors.Is(err, errBoom) || len(res.Points) != 1 {
		t.Errorf("err %v, points %d", err, len(res.Points))
	}
}

var errBoom = errors.New("boom")

type errProber struct{ n int }

func (e *errProber) Fits(context.Context, int) error { return nil }
func (e *errProber) Measure(_ context.Context, b int) (Point, error) {
	e.n++
	if e.n > 1 {
		return Point{}, errBoom
	}
	return Point{SamplesPerSec: 1}, nil
}

func TestCheckBatches(t *testing.T) {
	for _, b := range [][]int{{}, {0}, {4, 4}, {8, 2}, {1, -1}} {
		if CheckBatches(b) == nil {
			t.Errorf("%v accepted", b)
		}
		if _, err := Run(context.Background(), Config{Batches: b}, saturating()); err == nil {
			t.Errorf("Run accepted %v", b)
		}
	}
	if CheckBatches(nil) != nil || CheckBatches([]int{1, 3, 9}) != nil {
		t.Error("a good list refused")
	}
}

// refusing passes every fit check but refuses to measure above 100.
type refusing struct{ fakeProber }

func (r *refusing) Measure(ctx context.Context, b int) (Point, error) {
	if b > 100 {
		return Point{}, &engine.OOMError{Device: "fake", Batch: b}
	}
	return r.fakeProber.Measure(ctx, b)
}

func TestEngineRefusesTheCheckedEdge(t *testing.T) {
	p := &refusing{*saturating()}
	p.sps = func(b int) float64 { return float64(b) }
	res, err := Run(context.Background(), Config{}, p)
	if err != nil {
		t.Fatal(err)
	}
	// 128 fails; every fit check passes, so the bisection lands on 127, which the engine refuses.
	if res.Stop != StopOOM || res.Edge.Largest != 64 || res.Edge.Failed != 128 || len(res.Points) != 7 {
		t.Errorf("stop %q edge %+v points %d", res.Stop, res.Edge, len(res.Points))
	}
	if !strings.Contains(res.StopText, "127 passed the fit check but the engine refused it") {
		t.Errorf("stop text %q", res.StopText)
	}
}

// The knee compares each batch with every larger one: a dip in a noisy curve
// does not hide a faster smaller batch, and the sentence gives each larger
// batch's gain over the knee.
func TestKneeOnCurvesThatAreNotMonotonic(t *testing.T) {
	pts := func(sps ...float64) []Point {
		var out []Point
		for i, v := range sps {
			out = append(out, Point{Batch: 1 << (3 * i), SamplesPerSec: v})
		}
		return out
	}
	for _, c := range []struct {
		sps   []float64
		batch int
		knee  bool
		why   string
	}{
		// lenet5 on this 2-vCPU VM: batch 8 is fastest; 64 and 512 are slower.
		{[]float64{19909, 51299, 34012, 41957}, 8, true,
			"batch 8 is the knee: 51299 samples/s, and no larger batch gains 5 % or more over it (-33.7 % at 64, -18.2 % at 512)"},
		{[]float64{100, 200, 150, 300}, 512, false,
			"throughput still rises at the largest batch measured (+50.0 % over batch 8, the fastest before it), so batch 512 is the fastest measured"},
		// +4 % steps add up: 1 is beaten by 64, 8 by 512.
		{[]float64{100, 104, 108, 112.3}, 64, true,
			"batch 64 is the knee: 108 samples/s, and no larger batch gains 5 % or more over it (+4.0 % at 512)"},
	} {
		r := Recommend(pts(c.sps...), 0, 0.05, nil, 0)
		if r.Batch != c.batch || r.Knee != c.knee || r.Why != c.why {
			t.Errorf("%v: %+v\nwant batch %d knee %v why %q", c.sps, r, c.batch, c.knee, c.why)
		}
	}
}
