package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"infertop/engine"
)

// fakeWindower gives side 0 a fixed 1000 samples/s and side 1 100·batch
// samples/s; every window lasts 1 s and, with drift, each window runs
// drift × (its index) faster than the first.
type fakeWindower struct {
	batch  int
	calls  int
	drift  float64
	order  []int
	cancel func()
	stopAt int
}

func (f *fakeWindower) Prepare(_ context.Context, b int) error { f.batch = b; return nil }

func (f *fakeWindower) Window(_ context.Context, side int) (WindowResult, error) {
	if f.stopAt > 0 && f.calls == f.stopAt {
		f.cancel()
		return WindowResult{}, context.Canceled
	}
	sps := 1000.0
	if side == 1 {
		sps = 100 * float64(f.batch)
	}
	sps *= 1 + f.drift*float64(f.calls)
	f.calls++
	f.order = append(f.order, side)
	per := time.Duration(float64(time.Second) * float64(f.batch) / sps)
	samples := int64(math.Round(sps))
	lat := make([]time.Duration, max(samples/int64(f.batch), 1))
	for i := range lat {
		lat[i] = per
	}
	return WindowResult{Samples: samples, Duration: time.Second, Latencies: lat}, nil
}

var (
	cpu1   = Side{Device: "cpu", Threads: 1}
	cpuAll = Side{Device: "cpu"}
)

func TestCompareCrossover(t *testing.T) {
	w := &fakeWindower{}
	res, err := Compare(context.Background(), CompareConfig{Model: "p", A: cpu1, B: cpuAll, Batches: []int{1, 4, 16, 64}, Pairs: 2}, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 4 {
		t.Fatalf("%d points", len(res.Points))
	}
	want := []float64{0.1, 0.4, 1.6, 6.4}
	for i, p := range res.Points {
		if math.Abs(p.SpeedUp-want[i]) > 1e-9 || p.Lo != p.SpeedUp || p.Hi != p.SpeedUp || p.Pairs != 2 {
			t.Errorf("batch %d: ×%v [%v, %v] pairs %d, want ×%v", p.Batch, p.SpeedUp, p.Lo, p.Hi, p.Pairs, want[i])
		}
	}
	if res.Crossover != 16 {
		t.Errorf("crossover %d, want 16", res.Crossover)
	}
	if wantText := "cpu (all cores) overtakes cpu ×1 thread at batch 16 (×1.60; ×0.40 at batch 4)"; res.CrossoverText != wantText {
		t.Errorf("crossover text %q", res.CrossoverText)
	}
	// A B then B A for every pair.
	if got := w.order[:4]; got[0] != 0 || got[1] != 1 || got[2] != 1 || got[3] != 0 {
		t.Errorf("order %v, want 0 1 1 0", got)
	}
	// Batch 16: side 1 runs 1600 samples/s, 100 batches of 10 ms per window.
	b := res.Points[2].B
	if b.Count != 200 || b.P50MS != 10 || b.P99MS != 10 || b.SamplesPerSec != 1600 {
		t.Errorf("side B at 16: %+v", b)
	}
}

func TestCompareAlternationCancelsLinearDrift(t *testing.T) {
	// Windows at speeds 1.00 (A), 1.01 (B), 1.02 (B), 1.03 (A): both sides
	// sum to 2.03, so the speed-up over both pairs is the true 0.8 exactly,
	// while each pair alone is off by the drift.
	w := &fakeWindower{drift: 0.01}
	res, err := Compare(context.Background(), CompareConfig{A: cpu1, B: cpuAll, Batches: []int{8}, Pairs: 2}, w)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Points[0]
	if math.Abs(p.SpeedUp-0.8) > 1e-3 {
		t.Errorf("speed-up %v, want 0.8", p.SpeedUp)
	}
	lo, hi := 0.8*1.02/1.03, 0.8*1.01
	if math.Abs(p.Lo-lo) > 1e-3 || math.Abs(p.Hi-hi) > 1e-3 {
		t.Errorf("spread [%v, %v], want [%v, %v]", p.Lo, p.Hi, lo, hi)
	}
}

func TestCompareInterruptedAndRefusals(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &fakeWindower{stopAt: 5, cancel: cancel}
	var live []float64
	res, err := Compare(ctx, CompareConfig{A: cpu1, B: cpuAll, Batches: []int{4, 8}, Pairs: 2,
		Progress: func(r CompareResult) { live = append(live, r.Points[len(r.Points)-1].SpeedUp) }}, w)
	if err != nil {
		t.Fatal(err)
	}
	// Batch 4 finished (4 windows); batch 8's first pair was cut: no point for it.
	if !res.Interrupted || len(res.Points) != 1 || res.Points[0].Batch != 4 {
		t.Errorf("interrupted %v points %+v", res.Interrupted, res.Points)
	}
	if len(live) != 7 { // 5 windows and 2 finished pairs
		t.Errorf("live speed-ups %v", live)
	}
	if _, err := Compare(context.Background(), CompareConfig{A: cpu1, B: cpu1, Batches: []int{1}}, w); !errors.Is(err, ErrSameSides) {
		t.Errorf("identical sides: %v", err)
	}
	if _, err := Compare(context.Background(), CompareConfig{A: cpu1, B: cpuAll}, w); err == nil {
		t.Error("no batches accepted")
	}
}

func TestPercentileNearestRank(t *testing.T) {
	v := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for q, want := range map[float64]time.Duration{50: 5, 90: 9, 99: 10, 10: 1, 0: 1} {
		if got := Percentile(v, q); got != want {
			t.Errorf("p%v = %v, want %v", q, got, want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}

func TestSideNames(t *testing.T) {
	for s, want := range map[Side]string{cpu1: "cpu ×1 thread", cpuAll: "cpu (all cores)", {Device: "cpu", Threads: 4}: "cpu ×4 threads", {Device: "cuda:0"}: "cuda:0",
		{Device: "cuda:0", Precision: engine.FP16}: "cuda:0 (fp16)", {Device: "cuda:all", Precision: engine.TF32}: "cuda:all (tf32)"} {
		if s.String() != want {
			t.Errorf("%+v = %q", s, s.String())
		}
	}
}

// A side's JSON names its precision (none for float32), and a side written
// before precisions existed ("tf32": true) reads as tf32.
func TestSideJSON(t *testing.T) {
	for s, want := range map[Side]string{
		{Device: "cuda:0", Precision: engine.BF16}: `{"device":"cuda:0","threads":0,"precision":"bf16"}`,
		{Device: "cpu", Threads: 1}:                `{"device":"cpu","threads":1}`,
	} {
		b, err := json.Marshal(s)
		if err != nil || string(b) != want {
			t.Errorf("%v: %s, %v; want %s", s, b, err, want)
		}
		var back Side
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s read back as %+v, %v", b, back, err)
		}
	}
	var old Side
	if err := json.Unmarshal([]byte(`{"device":"cuda:0","threads":0,"tf32":true}`), &old); err != nil || old != (Side{Device: "cuda:0", Precision: engine.TF32}) {
		t.Errorf("an old TF32 side read as %+v, %v", old, err)
	}
}

func TestCompareWindowAndBatchHooks(t *testing.T) {
	// Windows at drift 0.01, batch 8: A 1000 then (4th) 1030 samples/s,
	// B 808 then 816 samples/s, every window 1 s.
	w := &fakeWindower{drift: 0.01}
	var evs []WindowEvent
	var done []ComparePoint
	res, err := Compare(context.Background(), CompareConfig{A: cpu1, B: cpuAll, Batches: []int{8}, Pairs: 2,
		OnWindow: func(e WindowEvent) { evs = append(evs, e) },
		OnBatch:  func(p ComparePoint, sofar CompareResult) { done = append(done, p) }}, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Fatalf("%d window events", len(evs))
	}
	for i, want := range []struct{ side, pair int }{{0, 1}, {1, 1}, {1, 2}, {0, 2}} {
		if evs[i].Side != want.side || evs[i].Pair != want.pair || evs[i].Batch != 8 {
			t.Errorf("event %d: side %d pair %d batch %d, want %+v", i, evs[i].Side, evs[i].Pair, evs[i].Batch, want)
		}
	}
	if evs[0].Window.Samples != 1000 || evs[2].Window.Samples != 816 {
		t.Errorf("windows %+v %+v", evs[0].Window, evs[2].Window)
	}
	// The last window's point: A over both its windows, one pair finished.
	last := evs[3].Point
	if last.A.SamplesPerSec != 1015 || last.Pairs != 1 || last.B.SamplesPerSec != 812 {
		t.Errorf("point at the last window: %+v", last)
	}
	a, b := res.Points[0].A.WindowSpread, res.Points[0].B.WindowSpread
	if math.Abs(a-15.0/1015) > 1e-12 || math.Abs(b-4.0/812) > 1e-12 {
		t.Errorf("window spreads %v %v, want %v %v", a, b, 15.0/1015, 4.0/812)
	}
	if evs[0].Point.A.WindowSpread != 0 {
		t.Errorf("spread of one window: %v", evs[0].Point.A.WindowSpread)
	}
	if len(done) != 1 || done[0].Pairs != 2 || done[0].SpeedUp != res.Points[0].SpeedUp {
		t.Errorf("batches done %+v", done)
	}
}
