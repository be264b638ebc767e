package metrics

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/gpuinfo"
	"infertop/runner"
)

// states are the values of infertop_state's state label, in runner order.
func states() []runner.State {
	return []runner.State{runner.Idle, runner.Warming, runner.Measuring, runner.Stable, runner.Paused, runner.Error, runner.Done}
}

// Collector turns a Feed into metrics at each scrape; every metric it may
// send is described, so the registry checks them.
type Collector struct {
	feed *Feed
	d    descs
	sd   servingDescs
	// gpuOnly leaves out the run series (a compare serves its own).
	gpuOnly bool
}

type descs struct {
	runInfo, samplesPerSec, samplesTotal, batchesTotal, latency, p50, p99, state,
	flops, peakFlops, engineBytes, measured, sampleJoules, stepSeconds, relErr *prometheus.Desc
	gpuInfo, fbUsed, fbTotal, util, memUtil, temp, power, powerLimit, smClock, memClock, energy *prometheus.Desc
}

func newDescs() descs {
	// Every run series has the labels model, device and batch; every GPU
	// series uuid, index and fake ("true" for a simulated GPU, whose
	// readings are made up: no series of one may pass for a real GPU's).
	run := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("infertop_"+name, help, append([]string{"model", "device", "batch"}, extra...), nil)
	}
	gpu := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("infertop_gpu_"+name, help, append([]string{"uuid", "index", "fake"}, extra...), nil)
	}
	return descs{
		runInfo:       run("run_info", "The run now measured: always 1; run_id changes whenever what is measured changes, engine names the implementation, precision what it multiplies and convolves in (fp32, tf32, fp16 or bf16).", "run_id", "engine", "precision"),
		samplesPerSec: run("samples_per_second", "Samples (batch × batches) per second over the last completed measurement window."),
		samplesTotal:  run("samples_total", "Samples measured after warm-up, over every run with these labels."),
		batchesTotal:  run("batches_total", "Batches measured after warm-up, over every run with these labels."),
		latency:       run("batch_latency_seconds", "Wall latency of each measured batch (re-binned from the runner's HDR chart), over every run with these labels."),
		p50:           run("batch_latency_p50_seconds", "Median batch latency of the current run, from its HDR histogram."),
		p99:           run("batch_latency_p99_seconds", "99th percentile batch latency of the current run, from its HDR histogram."),
		state:         run("state", "1 for the state the current run is in, 0 for the others.", "state"),
		flops:         run("achieved_flop_per_second", "Achieved floating-point operations per second: the model's analytic FLOPs per sample × samples/s (GFLOP/s × 1e9)."),
		peakFlops:     run("peak_flop_per_second", "The device's measured sgemm peak in FLOP/s, when calibrated."),
		engineBytes:   run("engine_memory_bytes", "Memory the engine holds, by where it is held (\"host\", or a device such as \"cuda:0\").", "held_on"),
		measured:      run("measured_seconds", "Wall time of the current run's measured batches (warm-up and pauses excluded)."),
		relErr:        run("relative_error_ratio", "How far one batch of the prepared batch size lay from the baseline's outputs on the same inputs, max|out−base| / max|base| over the outputs: a GPU run against the CPU engine in float32 (baseline \"cpu fp32\"), checked once per prepared batch. Absent until checked, and for CPU runs.", "baseline"),
		stepSeconds: run("step_seconds", fmt.Sprintf("Time of one step of the engine's plan in the current run's profiling batches (--profile: one batch in N, left out of every other figure): the median, and the count and sum over every profiling batch; the %d slowest steps only, labelled by the step's name and op.", StepSeries),
			"step", "op"),
		sampleJoules: run("energy_per_sample_joules", "Energy per sample over the last completed measurement window, in joules: the increase of the run's device's energy counters (a GPU run's GPUs through NVML, a CPU run's CPU packages through RAPL) between the window's boundaries, read by the runner, over the window's samples. Absent when unknown (no counter, or one that cannot be read)."),

		gpuInfo:    gpu("info", "A GPU NVML sees: always 1 (dcgm-exporter's modelName and pci_bus_id labels; fake is \"true\" for simulated GPUs, on every GPU series).", "name", "pci_bus_id", "driver_version"),
		fbUsed:     gpu("framebuffer_used_bytes", "Device memory used, in bytes (dcgm-exporter: DCGM_FI_DEV_FB_USED, in MiB)."),
		fbTotal:    gpu("framebuffer_total_bytes", "Device memory in total, in bytes (dcgm-exporter: DCGM_FI_DEV_FB_TOTAL, in MiB)."),
		util:       gpu("utilization_ratio", "Share of the driver's sample period during which a kernel ran, 0 to 1 (dcgm-exporter: DCGM_FI_DEV_GPU_UTIL, in percent)."),
		memUtil:    gpu("memory_utilization_ratio", "Share of the sample period during which device memory was read or written, 0 to 1 (dcgm-exporter: DCGM_FI_DEV_MEM_COPY_UTIL, in percent)."),
		temp:       gpu("temperature_celsius", "GPU core temperature in degrees Celsius (dcgm-exporter: DCGM_FI_DEV_GPU_TEMP)."),
		power:      gpu("power_watts", "Board power draw in watts (dcgm-exporter: DCGM_FI_DEV_POWER_USAGE)."),
		powerLimit: gpu("power_limit_watts", "Power management limit in watts (dcgm-exporter: DCGM_FI_DEV_POWER_MGMT_LIMIT)."),
		smClock:    gpu("sm_clock_hertz", "SM clock in hertz (dcgm-exporter: DCGM_FI_DEV_SM_CLOCK, in MHz)."),
		memClock:   gpu("memory_clock_hertz", "Memory clock in hertz (dcgm-exporter: DCGM_FI_DEV_MEM_CLOCK, in MHz)."),
		energy:     gpu("energy_joules_total", "Energy used since the driver was loaded, in joules (dcgm-exporter: DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, in mJ)."),
	}
}

// NewCollector returns a collector over feed.
func NewCollector(feed *Feed) *Collector {
	return &Collector{feed: feed, d: newDescs(), sd: newServingDescs()}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	d := c.d
	if !c.gpuOnly {
		for _, x := range []*prometheus.Desc{d.runInfo, d.samplesPerSec, d.samplesTotal, d.batchesTotal, d.latency,
			d.p50, d.p99, d.state, d.flops, d.peakFlops, d.engineBytes, d.measured, d.sampleJoules, d.stepSeconds, d.relErr} {
			ch <- x
		}
		for _, x := range c.sd.all() {
			ch <- x
		}
	}
	for _, x := range []*prometheus.Desc{d.gpuInfo, d.fbUsed, d.fbTotal,
		d.util, d.memUtil, d.temp, d.power, d.powerLimit, d.smClock, d.memClock, d.energy} {
		ch <- x
	}
}

// Collect reads the feed once and sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	v := c.feed.view()
	if !c.gpuOnly {
		c.collectTotals(ch, v)
	}
	if v.hasSnap && !c.gpuOnly {
		c.collectRun(ch, v.snap)
	}
	if v.hasSmp {
		c.collectGPUs(ch, v.sample)
	}
}

func (c *Collector) collectTotals(ch chan<- prometheus.Metric, v view) {
	bounds := c.feed.bounds
	for k, t := range v.totals {
		l := []string{k.model, k.device, k.batch}
		ch <- prometheus.MustNewConstMetric(c.d.samplesTotal, prometheus.CounterValue, t.samples, l...)
		ch <- prometheus.MustNewConstMetric(c.d.batchesTotal, prometheus.CounterValue, t.batches, l...)
		cum := make(map[float64]uint64, len(bounds))
		var n uint64
		for i, ub := range bounds {
			if i < len(t.buckets) {
				n += t.buckets[i]
			}
			cum[ub] = n
		}
		ch <- prometheus.MustNewConstHistogram(c.d.latency, t.count, t.sum, cum, l...)
	}
}

func (c *Collector) collectRun(ch chan<- prometheus.Metric, s runner.Snapshot) {
	k := keyOf(s)
	l := []string{k.model, k.device, k.batch}
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(append([]string(nil), l...), extra...)...)
	}
	gauge(c.d.runInfo, 1, strconv.FormatUint(s.RunID, 10), s.Info.Engine, s.Info.Precision.String())
	if a := s.Accuracy; a.Checked() && a.Err == "" {
		gauge(c.d.relErr, a.RelErr, a.Base)
	}
	gauge(c.d.samplesPerSec, s.Window.SamplesPerSec)
	if s.Serving != nil {
		c.collectServing(ch, s, l)
	} else if s.Latency.Count > 0 {
		gauge(c.d.p50, s.Latency.P50.Seconds())
		gauge(c.d.p99, s.Latency.P99.Seconds())
	}
	for _, st := range states() {
		gauge(c.d.state, b2f(st == s.State), st.String())
	}
	gauge(c.d.flops, s.GFLOPS*1e9)
	if s.Info.PeakGFLOPS > 0 {
		gauge(c.d.peakFlops, s.Info.PeakGFLOPS*1e9)
	}
	gauge(c.d.engineBytes, float64(s.Memory.HostBytes), "host")
	for _, dev := range slices.Sorted(maps.Keys(s.Memory.DeviceBytes)) {
		gauge(c.d.engineBytes, float64(s.Memory.DeviceBytes[dev]), dev)
	}
	gauge(c.d.measured, s.Measured.Seconds())
	if s.WindowEnergy.Valid {
		gauge(c.d.sampleJoules, s.WindowEnergy.JoulesPerSample)
	}
	c.collectSteps(ch, s, l)
}

// StepSeries is how many steps infertop_step_seconds has series for: the
// slowest, so that a model of hundreds of steps stays a few series.
const StepSeries = 10

// collectSteps sends the slowest steps' times of the run's profile (none
// without one).
func (c *Collector) collectSteps(ch chan<- prometheus.Metric, s runner.Snapshot, l []string) {
	p := s.Profile
	if p == nil || p.Batches == 0 {
		return
	}
	for _, st := range p.Steps[:min(len(p.Steps), StepSeries)] {
		labels := append(append([]string(nil), l...), st.Name, st.Op)
		ch <- prometheus.MustNewConstSummary(c.d.stepSeconds, uint64(p.Batches), st.Sum.Seconds(),
			map[float64]float64{0.5: st.P50.Seconds()}, labels...)
	}
}

func (c *Collector) collectGPUs(ch chan<- prometheus.Metric, smp gpuinfo.Sample) {
	gpus := slices.Clone(smp.GPUs)
	slices.SortFunc(gpus, func(a, b gpuinfo.GPU) int { return cmp.Compare(a.Index, b.Index) })
	for _, g := range gpus {
		l := []string{g.UUID, strconv.Itoa(g.Index), strconv.FormatBool(g.Fake || smp.Fake)}
		gauge := func(d *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(append([]string(nil), l...), extra...)...)
		}
		gauge(c.d.gpuInfo, 1, g.Name, g.PCIBusID, smp.DriverVersion)
		optU64(gauge, c.d.fbUsed, g.MemoryUsedBytes, 1)
		optU64(gauge, c.d.fbTotal, g.MemoryTotalBytes, 1)
		optU32(gauge, c.d.util, g.UtilGPUPercent, 0.01)
		optU32(gauge, c.d.memUtil, g.UtilMemoryPercent, 0.01)
		optU32(gauge, c.d.temp, g.TemperatureC, 1)
		optF64(gauge, c.d.power, g.PowerDrawWatts)
		optF64(gauge, c.d.powerLimit, g.PowerLimitWatts)
		optU32(gauge, c.d.smClock, g.SMClockMHz, 1e6)
		optU32(gauge, c.d.memClock, g.MemClockMHz, 1e6)
		if g.EnergyTotalJoules.OK {
			ch <- prometheus.MustNewConstMetric(c.d.energy, prometheus.CounterValue, g.EnergyTotalJoules.V, l...)
		}
	}
}

type gaugeFunc func(d *prometheus.Desc, v float64, extra ...string)

func optU64(g gaugeFunc, d *prometheus.Desc, o gpuinfo.Opt[uint64], scale float64) {
	if o.OK {
		g(d, float64(o.V)*scale)
	}
}

func optU32(g gaugeFunc, d *prometheus.Desc, o gpuinfo.Opt[uint32], scale float64) {
	if o.OK {
		g(d, float64(o.V)*scale)
	}
}

func optF64(g gaugeFunc, d *prometheus.Desc, o gpuinfo.Opt[float64]) {
	if o.OK {
		g(d, o.V)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
