package runner

import (
	"fmt"
	"strings"
	"time"

	"infertop/engine"
)

// Snapshot is everything a display or a report needs about a run at one moment.
// It is a plain value: every slice and map in it is a copy owned by the reader,
// so it can be kept, compared and read from any goroutine. Displays never compute
// statistics; they read them here.
type Snapshot struct {
	// RunID changes whenever what is measured changes (batch, model, device,
	// reset of the statistics, restart after an error). A display drops
	// snapshots whose RunID is older than one it has already shown.
	RunID uint64
	// Seq counts published snapshots across the runner's life.
	Seq uint64
	// Time is when the snapshot was taken (by the runner's clock).
	Time time.Time
	// Model, Device and Batch say what runs: the model's catalog name (a
	// preset's, or a file's path), the device's canonical name.
	Model, Device string
	Batch         int
	// State is where the run is; Err is the error text in state Error.
	State State
	Err   string

	// Elapsed is the time since this RunID began (warm-up, measuring and pauses).
	Elapsed time.Duration
	// WarmupTime is the time spent warming up in this RunID, WarmupBatches the
	// batches thrown away. WarmupSettled is false when warm-up ended at MaxWarmup
	// without two consecutive windows agreeing.
	WarmupTime    time.Duration
	WarmupBatches int64
	WarmupSettled bool
	// WarmupWindow is the last completed warm-up window's throughput: a
	// live figure while warming up, which displays mark as warming (the
	// batches are thrown away, not measured).
	WarmupWindow Throughput `json:",omitzero"`
	// Measured is the wall time of measured batches (pauses and re-warm-ups excluded).
	Measured time.Duration

	// Window is the last completed window; Overall covers everything measured
	// since measuring started (or since the last Reset).
	Window, Overall Throughput
	// WindowEnergy is the device's energy per sample over the last
	// completed window (a GPU run's GPUs, a CPU run's CPU packages), from
	// the energy counter read by the runner where the window opened and
	// closed (Config.Energy). OverallEnergy adds up every completed window
	// of this RunID whose energy is known: its Samples say how many of
	// Overall's samples it covers. Both are unknown (Valid false) without a
	// counter.
	WindowEnergy, OverallEnergy Energy `json:",omitzero"`
	// EnergyNote says why the energy per sample is unknown, in a few words
	// for where the figure would be: the device has no counter and why
	// (EnergyNoter), a failed read, a counter that did not advance; "" when
	// it is known or may yet be.
	EnergyNote string `json:",omitempty"`
	// Latency holds the percentiles of every measured batch's wall latency.
	Latency Percentiles
	// Split is the device-measured time of each part of a batch (GPU engines).
	Split Split
	// GFLOPS is the achieved rate from the model's analytic FLOPs and Overall
	// samples/s; PctPeak is its share of Info.PeakGFLOPS (0 when the peak is unknown).
	GFLOPS, PctPeak float64
	// PeakStale says the peak PctPeak divides by is not one: a window beat
	// it even after it was measured again, or PctPeak is above 100. Every
	// display that shows PctPeak says so beside it.
	PeakStale bool `json:",omitempty"`
	// Stability says which rule holds and by how much.
	Stability Stability

	// Memory and Info are what the executor reported at the snapshot
	// (Info.Precision is the precision that runs).
	Memory engine.Memory
	Info   engine.Info
	// Accuracy is how far one batch of the prepared batch size lay from
	// the baseline's outputs on the same inputs (Config.Check); zero when
	// it was not checked.
	Accuracy Accuracy `json:",omitzero"`

	// Windows are the most recent completed measurement windows, oldest first.
	Windows []Window
	// Histogram holds log-spaced latency buckets of the measured batches, from
	// the smallest to the largest latency seen, for a chart.
	Histogram []Bucket
	// Events are the most recent events, oldest first.
	Events []Event

	// Profile is where a batch's time goes, step by step, when the profile
	// is on (Config.ProfileEvery); nil when it is off.
	Profile *Profile `json:",omitempty"`

	// Serving is what a serving-mode run (Server) measured; nil for a
	// closed-loop run of batches back to back (Runner).
	Serving *Serving `json:",omitempty"`

	// LatenciesRecorded and LatenciesDropped count the per-batch latencies kept
	// for export (Config.RecordLatencies) and those that did not fit.
	LatenciesRecorded, LatenciesDropped int64
}

// Throughput counts samples (batch × batches) over wall time.
type Throughput struct {
	// Duration is the wall time covered.
	Duration time.Duration
	// Batches and Samples run in that time.
	Batches, Samples int64
	// SamplesPerSec and BatchesPerSec are the counts over Duration.
	SamplesPerSec, BatchesPerSec float64
}

// Percentiles of per-batch wall latency (host time around Executor.Run, which
// for GPU engines returns after the stream is synchronized). Values come from an
// HDR histogram with 3 significant digits; Min and Max are exact.
type Percentiles struct {
	// Count is the number of batches the percentiles are taken over.
	Count                              int64
	Min, P50, P90, P95, P99, P999, Max time.Duration
	Mean                               time.Duration
	// P25 and P75 bound the interquartile range used by the IQR rule.
	P25, P75 time.Duration
}

// Split is the device-side timing of the measured batches, as trtexec reports it.
type Split struct {
	// Valid says the engine measured these (GPU engines); all else is zero otherwise.
	Valid bool
	// H2D, Compute and D2H are the copy in, the kernels and the copy out;
	// Enqueue is the host time spent issuing the work.
	H2D, Compute, D2H, Enqueue Stat
	// TransferBound: the median H2D or D2H copy takes at least as long as the
	// median compute, so copies rather than kernels may bound throughput.
	TransferBound bool
	// LaunchBound: the median enqueue time is at least 0.8 × the median compute,
	// so issuing work may bound throughput and the GPU may be under-used.
	LaunchBound bool
}

// Stat is the median and mean of one part of the split.
type Stat struct {
	P50, Mean time.Duration
}

// Warnings returns the split's warnings as sentences (none when Valid is false).
func (s Split) Warnings() []string {
	var w []string
	if s.Valid && s.TransferBound {
		w = append(w, "transfer-bound: a host-device copy takes at least as long as the compute")
	}
	if s.Valid && s.LaunchBound {
		w = append(w, "launch-bound: enqueue time is at least 0.8 × the compute time")
	}
	return w
}

// Stability reports the two rules separately; a run is Stable when both hold.
type Stability struct {
	// Windows: perf_analyzer's rule. The last 3 windows' throughput and p50 each
	// lie within 10 % of their mean. False until 3 windows exist.
	Windows bool
	// IQR: torch.utils.benchmark's rule. (p75 − p25) / p50 of all measured
	// batches is below 10 %.
	IQR bool
	// WindowCount is the number of completed measurement windows.
	WindowCount int
	// ThroughputSpread and P50Spread are the largest relative distance of one of
	// the last 3 windows from their mean (0 when fewer than 3 windows).
	ThroughputSpread, P50Spread float64
	// IQROverMedian is (p75 − p25) / p50 of the measured batches.
	IQROverMedian float64
}

// Both reports whether both rules hold.
func (s Stability) Both() bool { return s.Windows && s.IQR }

// Why says in figures which rules do not hold, e.g. "IQR/median 10.4 % (limit
// 10 %)" or "windows within 12.3 % (limit 10 %), IQR/median 10.4 % (limit
// 10 %)"; "" when both hold.
func (s Stability) Why() string {
	limit := 100 * StabilityThreshold
	var parts []string
	switch {
	case s.Windows:
	case s.WindowCount < StabilityWindows:
		parts = append(parts, fmt.Sprintf("%d of %d windows measured", s.WindowCount, StabilityWindows))
	default:
		parts = append(parts, fmt.Sprintf("windows within %.1f %% (limit %.0f %%)", 100*max(s.ThroughputSpread, s.P50Spread), limit))
	}
	if !s.IQR {
		parts = append(parts, fmt.Sprintf("IQR/median %.1f %% (limit %.0f %%)", 100*s.IQROverMedian, limit))
	}
	return strings.Join(parts, ", ")
}

// Window is one completed measurement window.
type Window struct {
	// Index counts windows from 0 since measuring started.
	Index int
	// End is the measured time at the window's end.
	End time.Duration
	// Throughput over the window.
	Throughput
	// P50 is the window's median batch latency.
	P50 time.Duration
	// Energy is the device's energy over the window's batches (see Snapshot.WindowEnergy).
	Energy Energy `json:",omitzero"`
}

// Bucket is one bar of the latency chart: Count batches took between Lo and Hi.
type Bucket struct {
	Lo, Hi time.Duration
	Count  int64
}

// EventKind classifies events.
type EventKind int

// Event kinds.
const (
	EventStarted EventKind = iota
	EventWarmupDone
	EventStable
	EventUnstable
	EventBatch
	EventModel
	EventDevice
	EventPaused
	EventResumed
	EventReset
	EventError
	EventOutOfMemory
	EventDone
	EventWarning
)

var eventNames = [...]string{"started", "warm-up done", "stable", "unstable", "batch", "model", "device",
	"paused", "resumed", "reset", "error", "out of memory", "done", "warning"}

// String names the kind.
func (k EventKind) String() string {
	if k < 0 || int(k) >= len(eventNames) {
		return "event"
	}
	return eventNames[k]
}

// Event is something that happened in the run, with a sentence for a log panel.
type Event struct {
	// Seq increases by one per event over the runner's life, so a display can
	// tell which events it has already shown.
	Seq  uint64
	Time time.Time
	Kind EventKind
	Text string
}
