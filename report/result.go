// Package report writes everything that leaves the program for people (an
// aligned table, a sentence, a plot) and for scripts (JSON, CSV), with the
// metadata needed to compare runs across machines: bench, sweep and compare
// results and their baselines, the devices listing, the presets, a
// recording's events, the dashboard's e export and exit result. Its number
// formats are internal/units'.
//
// It never draws a screen, and never imports session, metrics, ui, cli or
// bubbletea: commands and the dashboard's session call it.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"time"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/internal/units"
	"infertop/runner"
)

// Result is one bench invocation: where it ran and one row per batch size.
type Result struct {
	Meta Meta  `json:"meta"`
	Rows []Row `json:"rows"`
	// Baseline compares the rows with an earlier bench's (absent without
	// --baseline; BenchBaselineRows makes it).
	Baseline []BenchBaselineRow `json:"baseline,omitempty"`
}

// Meta describes the program, the machine and the options of a run.
// Documents written before models name the model "preset"; they read the same.
type Meta struct {
	Version      string `json:"version"`
	Go           string `json:"go"`
	CPUModel     string `json:"cpu_model"`
	Threads      int    `json:"threads"`
	Engine       string `json:"engine"`
	EngineDetail string `json:"engine_detail"`
	Device       string `json:"device"`
	// Precision is what the engine multiplied and convolved in (fp32,
	// tf32, fp16 or bf16: engine.Info.Precision); absent in files written
	// before precisions existed, and when no engine opened.
	Precision string `json:"precision,omitempty"`
	// Model names what ran: a preset, or a file's path (several, comma-separated,
	// when a bench measured more than one).
	Model   string         `json:"model"`
	Options map[string]any `json:"options"`
	Start   time.Time      `json:"start"`
}

// NewMeta fills the machine's side of Meta (Go version, CPU model from
// cpuinfoPath, normally /proc/cpuinfo) and the engine's side from info.
func NewMeta(version string, info engine.Info, model string, options map[string]any, start time.Time, cpuinfoPath string) Meta {
	threads := info.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	m := Meta{
		Version: version, Go: runtime.Version(), CPUModel: hostinfo.CPUModel(cpuinfoPath), Threads: threads,
		Engine: info.Engine, EngineDetail: info.Detail, Device: info.Device, Model: model,
		Options: options, Start: start.UTC(),
	}
	if info.Engine != "" {
		m.Precision = info.Precision.String()
	}
	return m
}

// precisionNote is " · fp16" for a table's machine line: the precision a
// GPU ran in; "" on the CPU (float32 only) and where it is not known.
func precisionNote(m Meta) string {
	if m.Precision == "" || m.Device == "cpu" {
		return ""
	}
	return " · " + m.Precision
}

// UnmarshalJSON reads Meta as this build writes it, and as builds before
// models wrote it (the model under "preset").
func (m *Meta) UnmarshalJSON(b []byte) error {
	type plain Meta
	var v struct {
		plain
		Preset string `json:"preset"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = Meta(v.plain)
	if m.Model == "" {
		m.Model = v.Preset
	}
	return nil
}

// Row is the measurement of one model at one batch size on one device.
type Row struct {
	Model  string `json:"model"`
	Device string `json:"device"`
	// Precision is what the row's engine multiplied and convolved in
	// (engine.Info.Precision); absent where no engine opened.
	Precision     string    `json:"precision,omitempty"`
	Batch         int       `json:"batch"`
	SamplesPerSec float64   `json:"samples_per_sec"`
	BatchesPerSec float64   `json:"batches_per_sec"`
	LatencyMS     LatencyMS `json:"latency_ms"`
	Batches       int64     `json:"batches"`
	Samples       int64     `json:"samples"`
	// MeasuredS is the measured time in seconds, which can be longer than
	// asked for (a run ends on a window boundary, after at least the windows
	// the stability rule compares); WarmupS the warm-up thrown away before it.
	MeasuredS float64   `json:"measured_s"`
	WarmupS   float64   `json:"warmup_s"`
	Stable    bool      `json:"stable"`
	Stability Stability `json:"stability"`
	GFLOPS    float64   `json:"gflops"`
	PctPeak   float64   `json:"pct_peak"`
	// PeakGFLOPS is the device's sgemm peak PctPeak divides by, and Peak
	// how it was taken (rounds, spread, cached or not); PeakStale says a
	// window beat it, so PctPeak is not a share of a true peak.
	PeakGFLOPS  float64     `json:"peak_gflops,omitempty"`
	Peak        engine.Peak `json:"peak,omitzero"`
	PeakStale   bool        `json:"peak_stale,omitempty"`
	EngineBytes int64       `json:"engine_bytes"`
	// Plan is how the engine computed this batch where that depends on the
	// batch (engine.Info.Plan: the CUDA engine's convolution ways).
	Plan string `json:"plan,omitempty"`
	// H2DMS, ComputeMS and D2HMS are medians in ms (GPU rows; omitted on the CPU).
	H2DMS     float64 `json:"h2d_ms,omitempty"`
	ComputeMS float64 `json:"compute_ms,omitempty"`
	D2HMS     float64 `json:"d2h_ms,omitempty"`
	// Energy is the device's energy per sample over the measured windows
	// whose energy is known (the snapshot's OverallEnergy): the joules the
	// GPUs' NVML or the CPU packages' RAPL counters advanced by, over the
	// samples of those windows. Omitted while unknown (no counter).
	Energy runner.Energy `json:"energy,omitzero"`
	// EnergyNote says why Energy is unknown (runner.Snapshot.EnergyNote):
	// no counter and why, a failed read.
	EnergyNote string `json:"energy_note,omitempty"`
	// Profile is where a batch's time goes, step by step (bench --profile);
	// absent without it.
	Profile *Profile `json:"profile,omitempty"`
	// Serving is what a serving-mode run measured (bench --arrival);
	// absent for batches back to back.
	Serving  *ServingRow `json:"serving,omitempty"`
	Warnings []string    `json:"warnings"`
	Error    string      `json:"error"`
}

// LatencyMS are per-batch latency percentiles in milliseconds.
type LatencyMS struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Stability reports each rule and the spread it measured.
type Stability struct {
	Windows       bool    `json:"windows"`
	IQR           bool    `json:"iqr"`
	WindowSpread  float64 `json:"window_spread"`
	IQROverMedian float64 `json:"iqr_over_median"`
}

// FromSnapshot turns a run's final snapshot into a row. A run that is not
// stable is still a row: Stable is false and a warning names the failing rules.
func FromSnapshot(s runner.Snapshot) Row {
	r := Row{
		Model: s.Model, Device: s.Device, Batch: s.Batch,
		SamplesPerSec: s.Overall.SamplesPerSec, BatchesPerSec: s.Overall.BatchesPerSec,
		LatencyMS: LatencyMS{units.MS(s.Latency.P50), units.MS(s.Latency.P90), units.MS(s.Latency.P95), units.MS(s.Latency.P99), units.MS(s.Latency.P999), units.MS(s.Latency.Max)},
		Batches:   s.Overall.Batches, Samples: s.Overall.Samples,
		MeasuredS: s.Measured.Seconds(), WarmupS: s.WarmupTime.Seconds(),
		Stable: s.Stability.Both(),
		Stability: Stability{Windows: s.Stability.Windows, IQR: s.Stability.IQR,
			WindowSpread: max(s.Stability.ThroughputSpread, s.Stability.P50Spread), IQROverMedian: s.Stability.IQROverMedian},
		GFLOPS: s.GFLOPS, PctPeak: s.PctPeak, PeakGFLOPS: s.Info.PeakGFLOPS, Peak: s.Info.Peak, PeakStale: s.PeakStale || s.PctPeak > 100,
		EngineBytes: s.Memory.HostBytes, Plan: s.Info.Plan,
		Energy: s.OverallEnergy, Profile: NewProfile(s.Profile), Warnings: []string{}, Error: s.Err,
	}
	if s.Info.Engine != "" {
		r.Precision = s.Info.Precision.String()
	}
	for _, b := range s.Memory.DeviceBytes {
		r.EngineBytes += b
	}
	if s.Serving != nil {
		r.Serving = NewServingRow(s.Serving)
		r.Warnings = append(r.Warnings, servingWarnings(s.Serving)...)
	}
	if !s.OverallEnergy.Valid {
		r.EnergyNote = s.EnergyNote
	}
	if s.Split.Valid {
		r.H2DMS, r.ComputeMS, r.D2HMS = units.MS(s.Split.H2D.P50), units.MS(s.Split.Compute.P50), units.MS(s.Split.D2H.P50)
		r.Warnings = append(r.Warnings, s.Split.Warnings()...)
	}
	if !r.Stable && s.Err == "" {
		r.Warnings = append(r.Warnings, "unstable: "+s.Stability.Why())
	}
	if r.PeakStale {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%% of peak is stale: a window beat the sgemm peak of %.3g GFLOP/s, which a peak cannot be (see the events; infertop calibrate measures it again)", s.Info.PeakGFLOPS))
	}
	if !s.WarmupSettled && s.Err == "" {
		r.Warnings = append(r.Warnings, "warm-up did not settle")
	}
	if s.LatenciesDropped > 0 {
		r.Warnings = append(r.Warnings, "exported times truncated")
	}
	return r
}

// NoteMeasured adds a warning to r when its measured time differs from the
// asked duration by more than 5 %: a run ends on a window boundary, after at
// least the StabilityWindows windows the stability rule compares, so the
// table says what was really measured.
func (r *Row) NoteMeasured(asked time.Duration) {
	m := time.Duration(r.MeasuredS * float64(time.Second))
	if asked <= 0 || r.Error != "" || math.Abs(float64(m-asked)) <= 0.05*float64(asked) {
		return
	}
	r.Warnings = append(r.Warnings, fmt.Sprintf("measured %.2f s, not the %v asked for: a run ends on a window boundary, after at least the %d windows the stability rule compares",
		r.MeasuredS, asked, runner.StabilityWindows))
}
