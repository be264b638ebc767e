package record

import (
	"encoding/json"
	"fmt"
	"time"
)

// Line types of a compare's recording (`infertop compare --record`).
const (
	TypeCompareWindow = "compare_window"
	TypeCompareEvent  = "compare_event"
)

// CommandCompare is Header.Command of a compare's recording.
const CommandCompare = "compare"

// CompareWindow is one measured window of one side of a compare: the
// compare's counterpart of a snapshot.
type CompareWindow struct {
	// Model names the model raced (a preset, or a file's path).
	Model string `json:"model"`
	Batch int    `json:"batch"`
	// Side is "a" or "b"; Device, Threads (0 = all cores) and Config (as the
	// output names it, e.g. "cpu ×1 thread") say what the side runs.
	Side    string `json:"side"`
	Device  string `json:"device"`
	Threads int    `json:"threads"`
	Config  string `json:"config"`
	// Pair is the window pair, from 1 at each batch, this window belongs to.
	Pair int `json:"pair"`
	// The window itself: samples and batches measured in Duration.
	Samples       int64         `json:"samples"`
	Batches       int           `json:"batches"`
	Duration      time.Duration `json:"duration_ns"`
	SamplesPerSec float64       `json:"samples_per_sec"`
	// The side over its windows so far at this batch.
	SideSamplesPerSec float64 `json:"side_samples_per_sec"`
	P50MS             float64 `json:"p50_ms"`
	P90MS             float64 `json:"p90_ms"`
	P99MS             float64 `json:"p99_ms"`
	// The race so far at this batch: B/A over every window (0 until both
	// sides have one), the smallest and largest ratio of a finished window
	// pair, and how many pairs finished.
	SpeedUp   float64 `json:"speed_up"`
	SpeedUpLo float64 `json:"speed_up_lo"`
	SpeedUpHi float64 `json:"speed_up_hi"`
	Pairs     int     `json:"pairs"`
}

// Kinds of CompareEvent.
const (
	CompareBatchStarted = "batch_started"
	CompareWindowDone   = "window"
	CompareBatchDone    = "batch_done"
	CompareCrossover    = "crossover"
	CompareEnded        = "ended"
)

// CompareEvent is something that happened in a compare, with a sentence.
type CompareEvent struct {
	// Seq counts the recording's compare events from 0.
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	// Batch is the batch the event is about (0 for the end of the race).
	Batch int    `json:"batch,omitempty"`
	Text  string `json:"text"`
}

// CompareWindow records one window of a compare.
func (r *Recorder) CompareWindow(w CompareWindow) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.appendLine(line{Type: TypeCompareWindow, At: r.at(), CompareWindow: &w})
}

// CompareEvent records one event of a compare; its Seq and Time are set
// here (Seq counting from 0, Time from the recording's clock).
func (r *Recorder) CompareEvent(kind string, batch int, format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	e := CompareEvent{Seq: r.cmpSeq, Time: r.now().UTC(), Kind: kind, Batch: batch, Text: fmt.Sprintf(format, a...)}
	r.cmpSeq++
	r.appendLine(line{Type: TypeCompareEvent, At: r.at(), CompareEvent: &e})
}

// UnmarshalJSON reads a window as this build writes it, and as builds before
// models wrote it (the model under "preset").
func (w *CompareWindow) UnmarshalJSON(b []byte) error {
	type plain CompareWindow
	var v struct {
		plain
		Preset string `json:"preset"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = CompareWindow(v.plain)
	if w.Model == "" {
		w.Model = v.Preset
	}
	return nil
}
