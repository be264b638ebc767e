package ui

import (
	"testing"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

func TestJoulesPerSample(t *testing.T) {
	if v, ok := joulesPerSample(256, 20480); !ok || v != 0.0125 {
		t.Fatalf("got %v %v, want 0.0125", v, ok)
	}
	for _, n := range []int64{0, -5} {
		if _, ok := joulesPerSample(10, n); ok {
			t.Fatalf("%d samples gave a figure", n)
		}
	}
}

func TestEnergyOnlyWhileMeasuringOneRun(t *testing.T) {
	s := gpuSnapshot()
	var e energy
	e.update(gpuSample(t0), s, []int{0})
	if e.ok {
		t.Fatal("a figure from the first sample")
	}
	s.Overall.Samples += 1000
	e.update(gpuSample(t0), s, []int{0})
	if !e.ok || e.last != 0.256 {
		t.Fatalf("got %v %v, want 256 J / 1000 samples", e.last, e.ok)
	}
	s.RunID++ // a new run: the interval straddles two runs
	s.Overall.Samples += 1000
	e.update(gpuSample(t0), s, []int{0, 1})
	if e.last != 0.256 {
		t.Fatalf("a figure across two runs: %v", e.last)
	}
	s.State = runner.Paused
	e.update(gpuSample(t0), s, []int{0})
	if e.ok {
		t.Fatal("a figure while paused")
	}
	s.State = runner.Measuring
	e.update(gpuSample(t0), s, nil)
	if e.ok {
		t.Fatal("a figure for a CPU run")
	}
}

func TestHistoryKeepsOnePointPerWindow(t *testing.T) {
	h := newHistory()
	s := cpuSnapshot()
	if !h.addSnapshot(s) || len(h.throughput) != 10 {
		t.Fatalf("%d points", len(h.throughput))
	}
	if h.addSnapshot(s) {
		t.Fatal("the same windows were added twice")
	}
	last := h.throughput[9]
	if !last.T.Equal(s.Time) || last.Value != s.Windows[9].SamplesPerSec {
		t.Fatalf("last point %+v", last)
	}
	s.RunID++
	s.Windows = s.Windows[:1]
	if !h.addSnapshot(s) || len(h.throughput) != 11 {
		t.Fatal("a new run's first window was not added")
	}
	for range utilLen + 5 {
		h.addSample(gpuinfo.Sample{GPUs: []gpuinfo.GPU{{Index: 0, UtilGPUPercent: gpuinfo.Some[uint32](50)}}})
	}
	if len(h.util[0]) != utilLen {
		t.Fatalf("utilization kept %d readings", len(h.util[0]))
	}
}

func TestParseProc(t *testing.T) {
	stat := "4242 (infer top) R 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000 18446744073709551615"
	r, err := parseProc(stat, "25000 4000 1000 100 0 5000 0", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if r.cpu != 3*time.Second || r.Threads != 11 || r.RSSBytes != 4000*4096 {
		t.Fatalf("cpu %v threads %d rss %d", r.cpu, r.Threads, r.RSSBytes)
	}
	if _, err := parseProc("garbage", "1 2", 4096); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestHostSamplerStops(t *testing.T) {
	ctx, cancel := contextWithCancel()
	h := StartHostSampler(ctx, time.Hour, "/proc/self")
	r := <-h.C()
	if r.Err != "" || r.RSSBytes <= 0 || r.Threads <= 0 {
		t.Fatalf("first reading %+v", r)
	}
	cancel()
	h.Wait()
	if _, ok := <-h.C(); ok {
		t.Fatal("channel not closed after the sampler ended")
	}
}
