package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/runner"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeSnapshot is run 7 of mlp at batch 256 on cuda:0: 10 batches of 1 ms
// (two chart buckets around 1 ms) and 2 of 20 ms.
func fakeSnapshot() runner.Snapshot {
	return runner.Snapshot{
		RunID: 7, Seq: 40, Time: t0, Model: "mlp", Device: "cuda:0", Batch: 256, State: runner.Stable,
		Measured: 3 * time.Second,
		Window:   runner.Throughput{Duration: time.Second, Batches: 4, Samples: 1024, SamplesPerSec: 1024},
		Overall:  runner.Throughput{Duration: 3 * time.Second, Batches: 12, Samples: 3072, SamplesPerSec: 1024},
		Latency:  runner.Percentiles{Count: 12, P50: time.Millisecond, P99: 20 * time.Millisecond, Mean: 4 * time.Millisecond},
		Histogram: []runner.Bucket{
			{Lo: 900 * time.Microsecond, Hi: 1100 * time.Microsecond, Count: 10},
			{Lo: 19 * time.Millisecond, Hi: 21 * time.Millisecond, Count: 2},
		},
		GFLOPS: 12.5,
		Memory: engine.Memory{HostBytes: 4096, DeviceBytes: map[string]int64{"cuda:0": 1 << 20}},
		Info:   engine.Info{Device: "cuda:0", Engine: "cuda+cublas", PeakGFLOPS: 50000, Precision: engine.FP16},
		// One batch 3.1e-4 off the CPU's float32.
		Accuracy: runner.Accuracy{Base: "cpu fp32", RelErr: 3.1e-4, Tolerance: 1e-2},
		// 128 J over the last window's 1024 samples.
		WindowEnergy: runner.Energy{Valid: true, Joules: 128, Samples: 1024, JoulesPerSample: 0.125},
	}
}

func fakeSample() gpuinfo.Sample {
	g := gpuinfo.GPU{
		Index: 0, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-0000", PCIBusID: "00000000:18:00.0",
		MemoryTotalBytes: gpuinfo.Some[uint64](80 << 30), MemoryUsedBytes: gpuinfo.Some[uint64](20 << 30),
		UtilGPUPercent: gpuinfo.Some[uint32](87), UtilMemoryPercent: gpuinfo.Some[uint32](35),
		TemperatureC: gpuinfo.Some[uint32](61), PowerDrawWatts: gpuinfo.Some(512.5), PowerLimitWatts: gpuinfo.Some(700.0),
		SMClockMHz: gpuinfo.Some[uint32](1755), MemClockMHz: gpuinfo.Some[uint32](2619),
		EnergyTotalJoules: gpuinfo.Some(123456.5),
	}
	g1 := gpuinfo.GPU{Index: 1, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-0001", PCIBusID: "00000000:2A:00.0",
		TemperatureC: gpuinfo.Some[uint32](40)} // every other reading missing
	return gpuinfo.Sample{Time: t0, DriverVersion: "550.54.15", GPUs: []gpuinfo.GPU{g1, g}}
}

func TestRunMetrics(t *testing.T) {
	f := NewFeed()
	f.ObserveSnapshot(fakeSnapshot())
	const want = `
# HELP infertop_run_info The run now measured: always 1; run_id changes whenever what is measured changes, engine names the implementation, precision what it multiplies and convolves in (fp32, tf32, fp16 or bf16).
# TYPE infertop_run_info gauge
infertop_run_info{batch="256",device="cuda:0",engine="cuda+cublas",model="mlp",precision="fp16",run_id="7"} 1
# HELP infertop_relative_error_ratio How far one batch of the prepared batch size lay from the baseline's outputs on the same inputs, max|out−base| / max|base| over the outputs: a GPU run against the CPU engine in float32 (baseline "cpu fp32"), checked once per prepared batch. Absent until checked, and for CPU runs.
# TYPE infertop_relative_error_ratio gauge
infertop_relative_error_ratio{baseline="cpu fp32",batch="256",device="cuda:0",model="mlp"} 0.00031
# HELP infertop_samples_per_second Samples (batch × batches) per second over the last completed measurement window.
# TYPE infertop_samples_per_second gauge
infertop_samples_per_second{batch="256",device="cuda:0",model="mlp"} 1024
# HELP infertop_samples_total Samples measured after warm-up, over every run with these labels.
# TYPE infertop_samples_total counter
infertop_samples_total{batch="256",device="cuda:0",model="mlp"} 3072
# HELP infertop_batch_latency_p50_seconds Median batch latency of the current run, from its HDR histogram.
# TYPE infertop_batch_latency_p50_seconds gauge
infertop_batch_latency_p50_seconds{batch="256",device="cuda:0",model="mlp"} 0.001
# HELP infertop_batch_latency_p99_seconds 99th percentile batch latency of the current run, from its HDR histogram.
# TYPE infertop_batch_latency_p99_seconds gauge
infertop_batch_latency_p99_seconds{batch="256",device="cuda:0",model="mlp"} 0.02
# HELP infertop_achieved_flop_per_second Achieved floating-point operations per second: the model's analytic FLOPs per sample × samples/s (GFLOP/s × 1e9).
# TYPE infertop_achieved_flop_per_second gauge
infertop_achieved_flop_per_second{batch="256",device="cuda:0",model="mlp"} 1.25e+10
# HELP infertop_engine_memory_bytes Memory the engine holds, by where it is held ("host", or a device such as "cuda:0").
# TYPE infertop_engine_memory_bytes gauge
infertop_engine_memory_bytes{batch="256",device="cuda:0",held_on="cuda:0",model="mlp"} 1.048576e+06
infertop_engine_memory_bytes{batch="256",device="cuda:0",held_on="host",model="mlp"} 4096
# HELP infertop_energy_per_sample_joules Energy per sample over the last completed measurement window, in joules: the increase of the run's device's energy counters (a GPU run's GPUs through NVML, a CPU run's CPU packages through RAPL) between the window's boundaries, read by the runner, over the window's samples. Absent when unknown (no counter, or one that cannot be read).
# TYPE infertop_energy_per_sample_joules gauge
infertop_energy_per_sample_joules{batch="256",device="cuda:0",model="mlp"} 0.125
`
	names := []string{"infertop_run_info", "infertop_relative_error_ratio", "infertop_samples_per_second", "infertop_samples_total",
		"infertop_batch_latency_p50_seconds", "infertop_batch_latency_p99_seconds",
		"infertop_achieved_flop_per_second", "infertop_engine_memory_bytes", "infertop_energy_per_sample_joules"}
	if err := testutil.CollectAndCompare(NewCollector(f), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}

// Without a figure (not checked yet, or the check failed) there is no
// relative error series.
func TestRelativeErrorAbsentWithoutAFigure(t *testing.T) {
	for _, a := range []runner.Accuracy{{}, {Base: "cpu fp32", Err: "the CPU engine: out of memory"}} {
		f := NewFeed()
		s := fakeSnapshot()
		s.Accuracy = a
		f.ObserveSnapshot(s)
		if n := testutil.CollectAndCount(NewCollector(f), "infertop_relative_error_ratio"); n != 0 {
			t.Errorf("%+v: %d relative error series, want none", a, n)
		}
	}
}

func TestEnergyPerSampleAbsentWhenUnknown(t *testing.T) {
	f := NewFeed()
	s := fakeSnapshot()
	s.WindowEnergy = runner.Energy{}
	f.ObserveSnapshot(s)
	if n := testutil.CollectAndCount(NewCollector(f), "infertop_energy_per_sample_joules"); n != 0 {
		t.Errorf("%d energy per sample series for an unknown figure, want none", n)
	}
}

func TestStateIsOneHot(t *testing.T) {
	f := NewFeed()
	f.ObserveSnapshot(fakeSnapshot())
	out, err := testutil.CollectAndFormat(NewCollector(f), expfmt.TypeTextPlain, "infertop_state")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "infertop_state{") {
			continue
		}
		one := strings.HasSuffix(l, " 1")
		if want := strings.Contains(l, `state="stable"`); one != want {
			t.Errorf("%s: want %v", l, want)
		}
	}
	if n := strings.Count(string(out), "infertop_state{"); n != 7 {
		t.Errorf("%d state series, want 7:\n%s", n, out)
	}
}

func TestLatencyHistogram(t *testing.T) {
	f := NewFeed()
	f.ObserveSnapshot(fakeSnapshot())
	out, err := testutil.CollectAndFormat(NewCollector(f), expfmt.TypeTextPlain, "infertop_batch_latency_seconds")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`infertop_batch_latency_seconds_bucket{batch="256",device="cuda:0",model="mlp",le="0.0005"} 0`,
		`infertop_batch_latency_seconds_bucket{batch="256",device="cuda:0",model="mlp",le="0.0025"} 10`,
		`infertop_batch_latency_seconds_bucket{batch="256",device="cuda:0",model="mlp",le="0.01"} 10`,
		`infertop_batch_latency_seconds_bucket{batch="256",device="cuda:0",model="mlp",le="0.025"} 12`,
		`infertop_batch_latency_seconds_bucket{batch="256",device="cuda:0",model="mlp",le="+Inf"} 12`,
		`infertop_batch_latency_seconds_sum{batch="256",device="cuda:0",model="mlp"} 0.048`,
		`infertop_batch_latency_seconds_count{batch="256",device="cuda:0",model="mlp"} 12`,
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
}

// Counters add up over runs with the same labels and never go back.
func TestCountersSurviveNewRuns(t *testing.T) {
	f := NewFeed()
	s := fakeSnapshot()
	f.ObserveSnapshot(s)
	// Reset: a new run id starts from zero under the same labels.
	s.RunID, s.Seq, s.Overall.Samples, s.Overall.Batches = 8, 41, 512, 2
	f.ObserveSnapshot(s)
	// Another batch size is another series; the first keeps its total.
	b := s
	b.RunID, b.Seq, b.Batch, b.Overall.Samples = 9, 42, 512, 100
	f.ObserveSnapshot(b)
	const want = `
# HELP infertop_samples_total Samples measured after warm-up, over every run with these labels.
# TYPE infertop_samples_total counter
infertop_samples_total{batch="256",device="cuda:0",model="mlp"} 3584
infertop_samples_total{batch="512",device="cuda:0",model="mlp"} 100
`
	if err := testutil.CollectAndCompare(NewCollector(f), strings.NewReader(want), "infertop_samples_total"); err != nil {
		t.Fatal(err)
	}
	// The run_info follows the latest run only.
	if n := testutil.CollectAndCount(NewCollector(f), "infertop_run_info"); n != 1 {
		t.Errorf("%d run_info series, want 1", n)
	}
}

func TestGPUMetrics(t *testing.T) {
	f := NewFeed()
	f.ObserveSample(fakeSample())
	const want = `
# HELP infertop_gpu_framebuffer_used_bytes Device memory used, in bytes (dcgm-exporter: DCGM_FI_DEV_FB_USED, in MiB).
# TYPE infertop_gpu_framebuffer_used_bytes gauge
infertop_gpu_framebuffer_used_bytes{fake="false",index="0",uuid="GPU-0000"} 2.147483648e+10
# HELP infertop_gpu_framebuffer_total_bytes Device memory in total, in bytes (dcgm-exporter: DCGM_FI_DEV_FB_TOTAL, in MiB).
# TYPE infertop_gpu_framebuffer_total_bytes gauge
infertop_gpu_framebuffer_total_bytes{fake="false",index="0",uuid="GPU-0000"} 8.589934592e+10
# HELP infertop_gpu_utilization_ratio Share of the driver's sample period during which a kernel ran, 0 to 1 (dcgm-exporter: DCGM_FI_DEV_GPU_UTIL, in percent).
# TYPE infertop_gpu_utilization_ratio gauge
infertop_gpu_utilization_ratio{fake="false",index="0",uuid="GPU-0000"} 0.87
# HELP infertop_gpu_temperature_celsius GPU core temperature in degrees Celsius (dcgm-exporter: DCGM_FI_DEV_GPU_TEMP).
# TYPE infertop_gpu_temperature_celsius gauge
infertop_gpu_temperature_celsius{fake="false",index="0",uuid="GPU-0000"} 61
infertop_gpu_temperature_celsius{fake="false",index="1",uuid="GPU-0001"} 40
# HELP infertop_gpu_power_watts Board power draw in watts (dcgm-exporter: DCGM_FI_DEV_POWER_USAGE).
# TYPE infertop_gpu_power_watts gauge
infertop_gpu_power_watts{fake="false",index="0",uuid="GPU-0000"} 512.5
# HELP infertop_gpu_sm_clock_hertz SM clock in hertz (dcgm-exporter: DCGM_FI_DEV_SM_CLOCK, in MHz).
# TYPE infertop_gpu_sm_clock_hertz gauge
infertop_gpu_sm_clock_hertz{fake="false",index="0",uuid="GPU-0000"} 1.755e+09
# HELP infertop_gpu_energy_joules_total Energy used since the driver was loaded, in joules (dcgm-exporter: DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, in mJ).
# TYPE infertop_gpu_energy_joules_total counter
infertop_gpu_energy_joules_total{fake="false",index="0",uuid="GPU-0000"} 123456.5
# HELP infertop_gpu_info A GPU NVML sees: always 1 (dcgm-exporter's modelName and pci_bus_id labels; fake is "true" for simulated GPUs, on every GPU series).
# TYPE infertop_gpu_info gauge
infertop_gpu_info{driver_version="550.54.15",fake="false",index="0",name="NVIDIA H100 80GB HBM3",pci_bus_id="00000000:18:00.0",uuid="GPU-0000"} 1
infertop_gpu_info{driver_version="550.54.15",fake="false",index="1",name="NVIDIA H100 80GB HBM3",pci_bus_id="00000000:2A:00.0",uuid="GPU-0001"} 1
`
	names := []string{"infertop_gpu_framebuffer_used_bytes", "infertop_gpu_framebuffer_total_bytes",
		"infertop_gpu_utilization_ratio", "infertop_gpu_temperature_celsius", "infertop_gpu_power_watts",
		"infertop_gpu_sm_clock_hertz", "infertop_gpu_energy_joules_total", "infertop_gpu_info"}
	if err := testutil.CollectAndCompare(NewCollector(f), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Nothing about a run before the first snapshot.
	if n := testutil.CollectAndCount(NewCollector(f), "infertop_run_info", "infertop_samples_total"); n != 0 {
		t.Errorf("%d run series before any snapshot", n)
	}
}

// The names follow Prometheus's conventions (promlint).
func TestMetricNamesLint(t *testing.T) {
	f := NewFeed()
	f.ObserveSnapshot(fakeSnapshot())
	f.ObserveSample(fakeSample())
	problems, err := testutil.CollectAndLint(NewCollector(f))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// Every series of a simulated GPU says so, not gpu_info alone: a made-up
// reading never passes for a real GPU's.
func TestSimulatedGPUSeriesAreLabelled(t *testing.T) {
	f := NewFeed()
	smp := fakeSample()
	smp.Fake = true
	f.ObserveSample(smp)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(f))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "infertop_gpu_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			n++
			fake := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "fake" {
					fake = l.GetValue()
				}
			}
			if fake != "true" {
				t.Errorf("%s %v: fake=%q", mf.GetName(), m.GetLabel(), fake)
			}
		}
	}
	if n < 8 {
		t.Errorf("%d GPU series", n)
	}
}
