package record

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"infertop/runner"
)

// Case is one selftest case: a model at a batch size run on a device and
// compared with a baseline, or a model the device's engine refused to open
// (Refused, Batch 0: every batch). The recording carries it on the event
// line of the case (an event whose Text is String()).
type Case struct {
	// Model names the model (a preset, or a file's path).
	Model string
	Batch int
	// Device is the device tested; Baseline what its outputs were compared
	// with ("reference" or "cpu").
	Device, Baseline string
	// Precision is what the device computed in ("fp16"); "" in recordings
	// made before precisions existed, which were float32 or TF32 (the
	// header's options say which).
	Precision string
	// Pass is the verdict: the outputs were compared and MaxRelErr is within Tolerance.
	Pass bool
	// Refused says the device's engine cannot run the model (Error lists
	// what it lacks): neither a pass nor a failure.
	Refused bool
	// Compared is true when outputs were compared; MaxRelErr
	// (max|out−base| / max|base|) means something only then.
	Compared  bool
	MaxRelErr float64
	Tolerance float64
	// Error says why the case failed (empty for a pass).
	Error string
	// Took is the wall time of the device's warm run, BaselineTook the baseline's.
	Took, BaselineTook time.Duration
}

// caseJSON is a Case as written: max_rel_err only when compared, and as a
// string when it is not a finite number. Recordings made before models name
// the model "preset".
type caseJSON struct {
	Model          string     `json:"model"`
	Preset         string     `json:"preset,omitempty"`
	Batch          int        `json:"batch"`
	Device         string     `json:"device"`
	Baseline       string     `json:"baseline"`
	Precision      string     `json:"precision,omitempty"`
	Verdict        string     `json:"verdict"`
	MaxRelErr      *jsonFloat `json:"max_rel_err,omitempty"`
	Tolerance      jsonFloat  `json:"tolerance"`
	Error          string     `json:"error,omitempty"`
	TookNS         int64      `json:"took_ns"`
	BaselineTookNS int64      `json:"baseline_took_ns"`
}

// Verdicts, as written.
const (
	VerdictPass    = "PASS"
	VerdictFail    = "FAIL"
	VerdictRefused = "REFUSED"
)

// MarshalJSON writes the case with its verdict as "PASS", "FAIL" or "REFUSED".
func (c Case) MarshalJSON() ([]byte, error) {
	j := caseJSON{Model: c.Model, Batch: c.Batch, Device: c.Device, Baseline: c.Baseline, Precision: c.Precision, Verdict: c.Verdict(),
		Tolerance: jsonFloat(c.Tolerance), Error: c.Error, TookNS: int64(c.Took), BaselineTookNS: int64(c.BaselineTook)}
	if c.Compared {
		f := jsonFloat(c.MaxRelErr)
		j.MaxRelErr = &f
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Case) UnmarshalJSON(b []byte) error {
	var j caseJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Verdict != VerdictPass && j.Verdict != VerdictFail && j.Verdict != VerdictRefused {
		return fmt.Errorf("selftest case verdict %q is none of %s, %s and %s", j.Verdict, VerdictPass, VerdictFail, VerdictRefused)
	}
	if j.Model == "" {
		j.Model = j.Preset
	}
	*c = Case{Model: j.Model, Batch: j.Batch, Device: j.Device, Baseline: j.Baseline, Precision: j.Precision, Pass: j.Verdict == VerdictPass,
		Refused: j.Verdict == VerdictRefused, Tolerance: float64(j.Tolerance), Error: j.Error, Took: time.Duration(j.TookNS), BaselineTook: time.Duration(j.BaselineTookNS)}
	if j.MaxRelErr != nil {
		c.Compared, c.MaxRelErr = true, float64(*j.MaxRelErr)
	}
	return nil
}

// Verdict is "PASS", "FAIL" or "REFUSED".
func (c Case) Verdict() string {
	switch {
	case c.Refused:
		return VerdictRefused
	case c.Pass:
		return VerdictPass
	}
	return VerdictFail
}

// String reads like "PASS mlp batch 7: max rel err 1.2e-07 (tolerance 1e-03)",
// "FAIL mlp batch 7: run: out of memory" or "REFUSED x.onnx on cuda:0: ...".
func (c Case) String() string {
	if c.Refused {
		return fmt.Sprintf("%s %s on %s: %s", c.Verdict(), c.Model, c.Device, c.Error)
	}
	s := fmt.Sprintf("%s %s batch %d on %s", c.Verdict(), c.Model, c.Batch, c.Device)
	if c.Compared && !math.IsNaN(c.MaxRelErr) {
		s += fmt.Sprintf(": max rel err %.2e (tolerance %.0e, against %s)", c.MaxRelErr, c.Tolerance, c.Baseline)
	}
	if c.Error != "" {
		s += ": " + c.Error
	}
	return s
}

// Event records an event that no snapshot carries (from a command without a
// runner, such as selftest). It is numbered after the events recorded
// before it; a zero Time is set from the recording's clock.
func (r *Recorder) Event(e runner.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eventLocked(e, nil)
}

// Case records one selftest case as an event line that carries it: an
// "error" event for a failure, a "warning" one for a refusal, a "done" one
// for a pass.
func (r *Recorder) Case(c Case) {
	kind := runner.EventDone
	switch {
	case c.Refused:
		kind = runner.EventWarning
	case !c.Pass:
		kind = runner.EventError
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eventLocked(runner.Event{Kind: kind, Text: c.String()}, &c)
}

func (r *Recorder) eventLocked(e runner.Event, c *Case) {
	if r.closed {
		return
	}
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	if r.run.anyEvent {
		e.Seq = r.run.lastEvent + 1
	}
	r.run.lastEvent, r.run.anyEvent = e.Seq, true
	r.appendLine(line{Type: TypeEvent, At: r.at(), Event: &e, Case: c})
}
