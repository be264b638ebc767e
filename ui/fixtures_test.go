package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/report"
	"infertop/runner"
	"infertop/serve"
	"infertop/sweep"
)

// fakeControl is the dashboard's session in tests: it records control
// calls (err, when set, is returned by them), refuses batches above
// fitLimit, runs the tuning jobs sweep and compare (nil: they fail) and
// writes exports to exportDir as the program's session does.
type fakeControl struct {
	mu       sync.Mutex
	calls    []string
	err      error
	fitLimit int
	// check, when set, is asked first by CheckBatch (a fixed-batch model's refusal).
	check   func(n int) error
	sweep   func(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error)
	compare func(ctx context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error)
	// exportDir is where Export writes.
	exportDir string
}

func (f *fakeControl) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}
func (f *fakeControl) Pause() error             { return f.rec("pause") }
func (f *fakeControl) Resume() error            { return f.rec("resume") }
func (f *fakeControl) Reset() error             { return f.rec("reset") }
func (f *fakeControl) SetBatch(n int) error     { return f.rec(fmt.Sprintf("batch %d", n)) }
func (f *fakeControl) SetModel(s string) error  { return f.rec("model " + s) }
func (f *fakeControl) SetDevice(s string) error { return f.rec("device " + s) }
func (f *fakeControl) SetProfile(n int) error   { return f.rec(fmt.Sprintf("profile %d", n)) }
func (f *fakeControl) SetServing(on bool) error {
	if on {
		return f.rec("serving on")
	}
	return f.rec("serving off")
}
func (f *fakeControl) SetRate(r float64) error { return f.rec(fmt.Sprintf("rate %g", r)) }

// SetServePolicy records every field of the policy, so that a test sees
// what a key kept as well as what it changed.
func (f *fakeControl) SetServePolicy(p serve.Policy) error {
	return f.rec(fmt.Sprintf("policy max batch %d, max delay %s, preferred %s, queue limit %d, request %d",
		p.MaxBatch, p.MaxDelay, serve.FormatSizes(p.Preferred), p.QueueLimit, p.RequestSize))
}

// errNoJob is what a tuning job returns when the test gave none.
var errNoJob = errors.New("no job in this test")

func (f *fakeControl) CheckBatch(n int) error {
	if f.check != nil {
		if err := f.check(n); err != nil {
			return err
		}
	}
	if f.fitLimit > 0 && n > f.fitLimit {
		return fmt.Errorf("batch %d needs about 12.0 GiB, only 8.0 GiB free in host memory", n)
	}
	return nil
}

func (f *fakeControl) Sweep(ctx context.Context, preset, device string, progress func(sweep.Result, string)) (sweep.Result, error) {
	if f.sweep == nil {
		return sweep.Result{}, errNoJob
	}
	return f.sweep(ctx, preset, device, progress)
}

func (f *fakeControl) Compare(ctx context.Context, preset string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error) {
	if f.compare == nil {
		return sweep.CompareResult{}, errNoJob
	}
	return f.compare(ctx, preset, batch, progress)
}

func (f *fakeControl) Export(s runner.Snapshot, sw *sweep.Result, cmp *sweep.CompareResult) (string, error) {
	return report.WriteRunExport(f.exportDir, report.NewRunExport(s, sw, cmp))
}

func (f *fakeControl) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// t0 is the fake clock's start.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// cpuSnapshot is a measuring mlp run on the CPU with ten windows.
func cpuSnapshot() runner.Snapshot {
	s := runner.Snapshot{
		RunID: 3, Seq: 40, Time: t0.Add(13 * time.Second), Model: "mlp", Device: "cpu", Batch: 256,
		State: runner.Stable, Elapsed: 13 * time.Second, WarmupTime: 3 * time.Second, WarmupBatches: 108,
		WarmupSettled: true, Measured: 10 * time.Second,
		Window:  runner.Throughput{Duration: time.Second, Batches: 43, Samples: 43 * 256, SamplesPerSec: 11008, BatchesPerSec: 43},
		Overall: runner.Throughput{Duration: 10 * time.Second, Batches: 420, Samples: 420 * 256, SamplesPerSec: 10752, BatchesPerSec: 42},
		Latency: runner.Percentiles{Count: 420, Min: 14 * time.Millisecond, P25: 21 * time.Millisecond, P50: 23 * time.Millisecond,
			P75: 25 * time.Millisecond, P90: 30 * time.Millisecond, P95: 33 * time.Millisecond, P99: 41 * time.Millisecond,
			P999: 52 * time.Millisecond, Max: 54 * time.Millisecond, Mean: 23800 * time.Microsecond},
		GFLOPS: 40.1, PctPeak: 61.5,
		Stability: runner.Stability{Windows: true, IQR: true, WindowCount: 10, ThroughputSpread: 0.03, P50Spread: 0.02, IQROverMedian: 0.08},
		Memory:    engine.Memory{HostBytes: 10 << 20},
		Info:      engine.Info{Device: "cpu", Engine: "cpu+openblas", Detail: "OpenBLAS 0.3.21", Threads: 2, PeakGFLOPS: 65.2},
	}
	for i := range 10 {
		v := 10000 + float64((i*37)%9)*150
		s.Windows = append(s.Windows, runner.Window{Index: i, End: time.Duration(i+1) * time.Second,
			Throughput: runner.Throughput{Duration: time.Second, SamplesPerSec: v, BatchesPerSec: v / 256}, P50: 23 * time.Millisecond})
	}
	lo := 14 * time.Millisecond
	for i := range 32 {
		hi := lo + lo/20
		s.Histogram = append(s.Histogram, runner.Bucket{Lo: lo, Hi: hi, Count: int64(40 - (i-10)*(i-10)/4)})
		lo = hi
	}
	for i := range s.Histogram {
		s.Histogram[i].Count = max(s.Histogram[i].Count, 0)
	}
	s.Events = []runner.Event{
		{Seq: 0, Time: t0, Kind: runner.EventStarted, Text: "started mlp on cpu"},
		{Seq: 1, Time: t0.Add(3 * time.Second), Kind: runner.EventWarmupDone, Text: "warm-up done after 3.0 s (108 batches excluded)"},
		{Seq: 2, Time: t0.Add(6 * time.Second), Kind: runner.EventStable, Text: "stable: windows within 3 %, IQR/median 8 %"},
		{Seq: 3, Time: t0.Add(7 * time.Second), Kind: runner.EventOutOfMemory, Text: "batch 1048576 needs 12.0 GiB on cpu, 3.1 GiB available"},
	}
	return s
}

// gpuSnapshot is a measuring run on cuda:0 with the device split and its warnings.
func gpuSnapshot() runner.Snapshot {
	s := cpuSnapshot()
	s.Device, s.Batch, s.State = "cuda:0", 4096, runner.Measuring
	s.Stability.IQR = false
	s.Info = engine.Info{Device: "cuda:0", Engine: "cuda+cublas", Detail: "cuBLAS 12.4, NVIDIA H100 80GB HBM3", PeakGFLOPS: 51000, Precision: engine.FP16}
	s.Accuracy = runner.Accuracy{Base: "cpu fp32", RelErr: 3.1e-4, Tolerance: 1e-2}
	s.Memory = engine.Memory{HostBytes: 64 << 20, DeviceBytes: map[string]int64{"cuda:0": 3 << 30}}
	s.Split = runner.Split{Valid: true, H2D: runner.Stat{P50: 900 * time.Microsecond}, Compute: runner.Stat{P50: 700 * time.Microsecond},
		D2H: runner.Stat{P50: 20 * time.Microsecond}, Enqueue: runner.Stat{P50: 600 * time.Microsecond}, TransferBound: true, LaunchBound: true}
	// The runner's figure for the last window: 256 J over 10 batches of 2048.
	s.WindowEnergy = runner.Energy{Valid: true, Joules: 256, Samples: 20480, JoulesPerSample: 0.0125}
	s.OverallEnergy = runner.Energy{Valid: true, Joules: 2560, Samples: 204800, JoulesPerSample: 0.0125}
	return s
}

func gpuReading(i int, bus string) gpuinfo.GPU {
	return gpuinfo.GPU{
		Index: i, Name: "NVIDIA H100 80GB HBM3", UUID: fmt.Sprintf("GPU-%d", i), PCIBusID: bus,
		MemoryTotalBytes: gpuinfo.Some[uint64](80 << 30), MemoryUsedBytes: gpuinfo.Some[uint64](uint64(20+i*10) << 30),
		MemoryFreeBytes: gpuinfo.Some[uint64](uint64(60-i*10) << 30),
		UtilGPUPercent:  gpuinfo.Some[uint32](uint32(87 - i*40)), TemperatureC: gpuinfo.Some[uint32](uint32(61 + i)),
		PowerDrawWatts: gpuinfo.Some(512.0), PowerLimitWatts: gpuinfo.Some(700.0),
		SMClockMHz: gpuinfo.Some[uint32](1755), MemClockMHz: gpuinfo.Some[uint32](2619),
		EnergyIntervalJoules: gpuinfo.Some(256.0),
	}
}

// gpuSample is two GPUs; GPU 0 runs this process and is power capped.
func gpuSample(at time.Time) gpuinfo.Sample {
	g0, g1 := gpuReading(0, "00000000:18:00.0"), gpuReading(1, "00000000:2A:00.0")
	g0.ClockEvents = gpuinfo.Some(gpuinfo.ClockEventSwPowerCap)
	g0.Processes = gpuinfo.Some([]gpuinfo.Process{{PID: 42, UsedMemoryBytes: gpuinfo.Some[uint64](3 << 30), Self: true}})
	return gpuinfo.Sample{Time: at, Interval: 500 * time.Millisecond, DriverVersion: "550.54.15", GPUs: []gpuinfo.GPU{g0, g1}}
}

func testDevices() []DeviceChoice {
	return []DeviceChoice{
		{Name: "cpu", Detail: "host processor", Available: true},
		{Name: "cuda:0", Detail: "NVIDIA H100 80GB HBM3 (00000000:18:00.0)", BusID: "00000000:18:00.0", GPUIndexes: []int{0},
			Why: "this binary was built without CUDA"},
		{Name: "cuda:1", Detail: "NVIDIA H100 80GB HBM3 (00000000:2A:00.0)", BusID: "00000000:2A:00.0", GPUIndexes: []int{1},
			Why: "this binary was built without CUDA"},
		{Name: "cuda:all", Detail: "data parallel over 2 GPUs", GPUIndexes: []int{0, 1}, Why: "this binary was built without CUDA"},
	}
}

// newTestModel is a dashboard over s with fake feeds, sized w×h.
func newTestModel(s runner.Snapshot, w, h int) (*Model, *fakeControl) {
	fc := &fakeControl{fitLimit: 500_000}
	m := New(Options{
		Session: fc, Initial: s, Catalog: presets.NewModels(presets.DefaultSeed), Devices: testDevices(),
		NVMLError: "NVML not available: no NVIDIA driver found (libnvidia-ml.so.1)",
		Location:  time.UTC, NoColor: true, Dark: true,
	})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg(s))
	return m, fc
}

// withGPUs feeds two GPU samples (two points of each utilization sparkline)
// around a snapshot.
func withGPUs(m *Model) {
	m.opts.NVMLError = ""
	s := m.snap
	m.Update(sampleMsg(gpuSample(s.Time.Add(-500 * time.Millisecond))))
	s.Seq++
	s.Overall.Samples += 2048 * 10
	m.Update(snapshotMsg(s))
	m.Update(sampleMsg(gpuSample(s.Time)))
}

// hostReadingFixture is a fixed host reading.
func hostReadingFixture() hostinfo.Stat {
	return hostinfo.Stat{Time: t0, CPUPercent: 198.5, CPUValid: true, RSSBytes: 74 << 20, Threads: 11}
}

// errNoRoom is what a refusing controller returns.
var errNoRoom = errors.New("batch 512 needs 9.3 GiB on cuda:0, 6.1 GiB available: out of memory")

// runCmd executes cmd (and the commands of a batch) and feeds the control
// results back into m; it returns every message produced.
func runCmd(m *Model, cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, runCmd(m, c)...)
		}
		return out
	}
	if c, ok := msg.(controlMsg); ok {
		_, next := m.Update(c) // the next queued control call, if any
		return append([]tea.Msg{msg}, runCmd(m, next)...)
	}
	return []tea.Msg{msg}
}

// Short names for the states the tests set.
type runnerSnapshot = runner.Snapshot

const (
	stateWarming   = runner.Warming
	stateMeasuring = runner.Measuring
	stateStable    = runner.Stable
	statePaused    = runner.Paused
	stateError     = runner.Error
)

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
