package metrics

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"infertop/sweep"
)

// raceWindower runs 5 batches per window: side A at 2 ms per batch, side B
// at 4 ms per batch at batch 1 and 1 ms at batch 4, so B overtakes at 4.
type raceWindower struct{ batch int }

func (w *raceWindower) Prepare(_ context.Context, b int) error { w.batch = b; return nil }

func (w *raceWindower) Window(_ context.Context, side int) (sweep.WindowResult, error) {
	per := 2 * time.Millisecond
	if side == 1 {
		per = map[int]time.Duration{1: 4 * time.Millisecond, 4: time.Millisecond}[w.batch]
	}
	lat := []time.Duration{per, per, per, per, per}
	return sweep.WindowResult{Samples: int64(5 * w.batch), Duration: 5 * per, Latencies: lat}, nil
}

// fakeCompare races cpu ×1 thread (A) against cpu (all cores) (B) at
// batches 1 and 4, two pairs each, feeding f.
func fakeCompare(t *testing.T, f *CompareFeed) sweep.CompareResult {
	t.Helper()
	res, err := sweep.Compare(context.Background(), sweep.CompareConfig{Model: "mlp",
		A: sweep.Side{Device: "cpu", Threads: 1}, B: sweep.Side{Device: "cpu"}, Batches: []int{1, 4}, Pairs: 2,
		OnWindow: f.ObserveWindow, OnBatch: func(p sweep.ComparePoint, _ sweep.CompareResult) { f.ObserveBatch(p) }},
		&raceWindower{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCompareMetricsKeepBothSidesApart(t *testing.T) {
	a, b := sweep.Side{Device: "cpu", Threads: 1}, sweep.Side{Device: "cpu"}
	f := NewCompareFeed("mlp", a, b)
	res := fakeCompare(t, f)
	if res.Crossover != 4 {
		t.Fatalf("the fake race's crossover is %d", res.Crossover)
	}
	reg := NewCompareRegistry(NewFeed(), f)
	// Batch 4 is the batch now raced: A 20 samples in 10 ms, B 20 in 5 ms.
	const want = `
# HELP infertop_compare_side_info A side of the compare: always 1; threads is the CPU thread count (0 = all cores), config the side as the output names it.
# TYPE infertop_compare_side_info gauge
infertop_compare_side_info{config="cpu (all cores)",device="cpu",model="mlp",side="b",threads="0"} 1
infertop_compare_side_info{config="cpu ×1 thread",device="cpu",model="mlp",side="a",threads="1"} 1
# HELP infertop_samples_per_second Samples (batch × batches) per second of the side's last measured window at the batch now raced.
# TYPE infertop_samples_per_second gauge
infertop_samples_per_second{batch="4",device="cpu",model="mlp",side="a"} 2000
infertop_samples_per_second{batch="4",device="cpu",model="mlp",side="b"} 4000
# HELP infertop_samples_total Samples measured in the side's windows (warm-up excluded) at this batch.
# TYPE infertop_samples_total counter
infertop_samples_total{batch="1",device="cpu",model="mlp",side="a"} 10
infertop_samples_total{batch="1",device="cpu",model="mlp",side="b"} 10
infertop_samples_total{batch="4",device="cpu",model="mlp",side="a"} 40
infertop_samples_total{batch="4",device="cpu",model="mlp",side="b"} 40
# HELP infertop_batch_latency_p50_seconds Median batch latency of the side over its windows so far at the batch now raced (exact).
# TYPE infertop_batch_latency_p50_seconds gauge
infertop_batch_latency_p50_seconds{batch="4",device="cpu",model="mlp",side="a"} 0.002
infertop_batch_latency_p50_seconds{batch="4",device="cpu",model="mlp",side="b"} 0.001
# HELP infertop_measured_seconds Wall time of the side's windows so far at the batch now raced (warm-up excluded).
# TYPE infertop_measured_seconds gauge
infertop_measured_seconds{batch="4",device="cpu",model="mlp",side="a"} 0.02
infertop_measured_seconds{batch="4",device="cpu",model="mlp",side="b"} 0.01
# HELP infertop_compare_speed_up_ratio B's samples/s over A's across every window so far at this batch (the latest value for batches already raced).
# TYPE infertop_compare_speed_up_ratio gauge
infertop_compare_speed_up_ratio{batch="1",model="mlp"} 0.5
infertop_compare_speed_up_ratio{batch="4",model="mlp"} 2
# HELP infertop_compare_window_pairs Window pairs (A B or B A) finished at this batch.
# TYPE infertop_compare_window_pairs gauge
infertop_compare_window_pairs{batch="1",model="mlp"} 2
infertop_compare_window_pairs{batch="4",model="mlp"} 2
# HELP infertop_compare_crossover_batch First finished batch at which B overtakes A after A was at least as fast at the batch before; 0 while there is none.
# TYPE infertop_compare_crossover_batch gauge
infertop_compare_crossover_batch{model="mlp"} 4
`
	names := []string{"infertop_compare_side_info", "infertop_samples_per_second", "infertop_samples_total",
		"infertop_batch_latency_p50_seconds", "infertop_measured_seconds", "infertop_compare_speed_up_ratio",
		"infertop_compare_window_pairs", "infertop_compare_crossover_batch"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// The histogram counts every latency exactly: A's 10 batches of 2 ms at
	// batch 4 in the 2.5 ms bucket, none in the 1 ms one.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() != "infertop_batch_latency_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["batch"] != "4" || l["side"] != "a" {
				continue
			}
			found = true
			h := m.GetHistogram()
			if h.GetSampleCount() != 10 || math.Abs(h.GetSampleSum()-0.02) > 1e-12 {
				t.Errorf("histogram of A at 4: count %d sum %v, want 10 and 0.02", h.GetSampleCount(), h.GetSampleSum())
			}
			for _, bk := range h.GetBucket() {
				wantN := uint64(0)
				if bk.GetUpperBound() >= 0.0025 {
					wantN = 10
				}
				if bk.GetCumulativeCount() != wantN {
					t.Errorf("bucket le=%v holds %d, want %d", bk.GetUpperBound(), bk.GetCumulativeCount(), wantN)
				}
			}
		}
	}
	if !found {
		t.Error("no latency histogram for side a at batch 4")
	}
}

func TestCompareRegistryServesGPUsButNoRunSeries(t *testing.T) {
	feed := NewFeed()
	feed.ObserveSnapshot(fakeSnapshot()) // not expected during a compare; ignored if it came
	feed.ObserveSample(fakeSample())
	reg := NewCompareRegistry(feed, NewCompareFeed("mlp", sweep.Side{Device: "cpu", Threads: 1}, sweep.Side{Device: "cuda:0"}))
	if n, err := testutil.GatherAndCount(reg, "infertop_run_info", "infertop_state"); err != nil || n != 0 {
		t.Errorf("run series in a compare: %d (%v)", n, err)
	}
	if n, err := testutil.GatherAndCount(reg, "infertop_gpu_temperature_celsius"); err != nil || n != 2 {
		t.Errorf("GPU temperatures: %d (%v), want 2", n, err)
	}
	// Before the first window: the sides and a crossover of 0, nothing else.
	if n, err := testutil.GatherAndCount(reg, "infertop_samples_per_second", "infertop_compare_speed_up_ratio"); err != nil || n != 0 {
		t.Errorf("series before any window: %d (%v)", n, err)
	}
	if n, err := testutil.GatherAndCount(reg, "infertop_compare_side_info", "infertop_compare_crossover_batch"); err != nil || n != 3 {
		t.Errorf("side info and crossover: %d (%v), want 3", n, err)
	}
}
