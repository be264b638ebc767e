// Package record writes a run as it happens to a JSON Lines file, and reads
// such a file back for replay. The first line is a Header (format version,
// build, machine, options); every further line is one runner Snapshot, GPU
// Sample, runner Event or host reading (or, for a compare, one measured
// window or compare event; from the dashboard's sweep, a snapshot or event
// of one of its probe runs), stamped with its offset from the start of the
// recording. Lines are written whole, buffered and flushed at
// least every second, so a program that is killed leaves a file that is valid
// up to its last whole line; the reader replays such a file up to there and
// says where it stopped.
//
// It never imports session, report, ui or cli: session records, replay reads.
package record

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"infertop/gpuinfo"
	"infertop/runner"
)

// FormatVersion is the version this build writes; it reads this and older ones.
const FormatVersion = 1

// Line types, the "type" field of every line.
const (
	TypeHeader   = "header"
	TypeSnapshot = "snapshot"
	TypeSample   = "gpu_sample"
	TypeEvent    = "event"
	TypeHost     = "host"
)

// Header is the first line of a recording.
type Header struct {
	// Format is the file format's version (FormatVersion when written by this build).
	Format int `json:"format"`
	// Started is when the recording began; every line's offset counts from it.
	Started time.Time `json:"started"`
	// Command is the command that recorded ("dashboard", "bench", "sweep").
	Command string `json:"command"`
	// Build and Machine say what ran where.
	Build   Build   `json:"build"`
	Machine Machine `json:"machine"`
	// Options are the command's options, by flag name.
	Options map[string]any `json:"options,omitempty"`
	// Devices are the devices the dashboard offered, so a replay shows the
	// same names and marks the same GPUs in use.
	Devices []Device `json:"devices,omitempty"`
}

// Device is one device the recording program could run on.
type Device struct {
	Name       string `json:"name"`
	Detail     string `json:"detail,omitempty"`
	BusID      string `json:"bus_id,omitempty"`
	GPUIndexes []int  `json:"gpu_indexes,omitempty"`
	Available  bool   `json:"available"`
	Why        string `json:"why,omitempty"`
}

// Build describes the program that recorded.
type Build struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	// CUDA is true for a build with the CUDA engine.
	CUDA bool `json:"cuda"`
}

// Machine describes the computer the run was on.
type Machine struct {
	Hostname string `json:"hostname,omitempty"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUModel string `json:"cpu_model"`
	CPUs     int    `json:"cpus"`
	// GPUs are the GPUs NVML listed (none without a driver); Driver is its version.
	GPUs   []gpuinfo.DeviceInfo `json:"gpus,omitempty"`
	Driver string               `json:"driver_version,omitempty"`
	// NVMLError says why no GPU was listed, when NVML could not be opened.
	NVMLError string `json:"nvml_error,omitempty"`
}

// line is the envelope of every line after the header.
type line struct {
	Type string `json:"type"`
	// At is the offset from Header.Started, in nanoseconds.
	At       int64           `json:"at_ns"`
	Snapshot *snapshotJSON   `json:"snapshot,omitempty"`
	Sample   *gpuinfo.Sample `json:"gpu_sample,omitempty"`
	Event    *runner.Event   `json:"event,omitempty"`
	Host     json.RawMessage `json:"host,omitempty"`

	// Case is the selftest case an event line reports (selftest recordings only).
	Case *Case `json:"selftest_case,omitempty"`
	// A compare's lines (TypeCompareWindow, TypeCompareEvent).
	CompareWindow *CompareWindow `json:"compare_window,omitempty"`
	CompareEvent  *CompareEvent  `json:"compare_event,omitempty"`
}

// headerLine is the first line.
type headerLine struct {
	Type string `json:"type"`
	Header
}

// snapshotJSON is a runner.Snapshot as written: the stability figures may be
// infinite, which JSON numbers cannot say, the events are written as event
// lines of their own, so the snapshot only says which ones it carried, and
// a step profile only once per ProfileInterval of a run.
// Recordings made before models name the model "Preset", which is read as
// the snapshot's Model.
type snapshotJSON struct {
	*runner.Snapshot
	Stability stabilityJSON `json:"Stability"`
	Events    eventsRef     `json:"Events"`
	Preset    string        `json:"Preset,omitempty"`
	// SameProfile says the snapshot's step profile is left out: a replay
	// shows the one of the last line of its series that carried one
	// (written at most once per ProfileInterval while the run is the same).
	SameProfile bool `json:"SameProfile,omitempty"`
}

// eventsRef names the snapshot's events: Count events ending with LastSeq.
type eventsRef struct {
	Count   int    `json:"count"`
	LastSeq uint64 `json:"last_seq"`
}

type stabilityJSON struct {
	Windows, IQR                               bool
	WindowCount                                int
	ThroughputSpread, P50Spread, IQROverMedian jsonFloat
}

func toStabilityJSON(s runner.Stability) stabilityJSON {
	return stabilityJSON{s.Windows, s.IQR, s.WindowCount, jsonFloat(s.ThroughputSpread), jsonFloat(s.P50Spread), jsonFloat(s.IQROverMedian)}
}

func (s stabilityJSON) stability() runner.Stability {
	return runner.Stability{Windows: s.Windows, IQR: s.IQR, WindowCount: s.WindowCount,
		ThroughputSpread: float64(s.ThroughputSpread), P50Spread: float64(s.P50Spread), IQROverMedian: float64(s.IQROverMedian)}
}

// jsonFloat writes NaN and ±Inf as the strings "NaN", "+Inf" and "-Inf".
type jsonFloat float64

// MarshalJSON writes the number, or a string for values JSON has no number for.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number or one of the three strings.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
	case `"+Inf"`:
		*f = jsonFloat(math.Inf(1))
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
	default:
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = jsonFloat(v)
	}
	return nil
}
