package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"infertop/internal/atomicfile"
	"infertop/internal/units"
	"infertop/runner"
	"infertop/sweep"
)

// RunExport is the JSON document the dashboard's e key writes: the
// snapshot (with its percentiles and events) and whatever the tuning views
// measured.
type RunExport struct {
	Exported  time.Time            `json:"exported"`
	Snapshot  runner.Snapshot      `json:"snapshot"`
	LatencyMS map[string]float64   `json:"latency_ms"`
	Events    []string             `json:"events"`
	Sweep     *sweep.Result        `json:"sweep,omitempty"`
	Compare   *sweep.CompareResult `json:"compare,omitempty"`
}

// NewRunExport is the export of s with the sweep and race the tuning views
// hold (nil, or without points: none).
func NewRunExport(s runner.Snapshot, sw *sweep.Result, cmp *sweep.CompareResult) RunExport {
	l := s.Latency
	doc := RunExport{Exported: s.Time, Snapshot: s, LatencyMS: map[string]float64{
		"min": units.MS(l.Min), "p50": units.MS(l.P50), "p90": units.MS(l.P90), "p95": units.MS(l.P95), "p99": units.MS(l.P99),
		"p999": units.MS(l.P999), "max": units.MS(l.Max), "mean": units.MS(l.Mean), "count": float64(l.Count)}}
	for _, e := range s.Events {
		doc.Events = append(doc.Events, e.Time.UTC().Format(time.RFC3339Nano)+" "+e.Kind.String()+": "+e.Text)
	}
	if sw != nil && len(sw.Points) > 0 {
		doc.Sweep = sw
	}
	if cmp != nil && len(cmp.Points) > 0 {
		doc.Compare = cmp
	}
	return doc
}

// WriteRunExport writes doc to a file named after its run in dir ("": the
// working directory) and returns the file's absolute path.
func WriteRunExport(dir string, doc RunExport) (string, error) {
	if dir == "" {
		dir = "."
	}
	s := doc.Snapshot
	name := fmt.Sprintf("infertop-run-%s-%s-%s.json", FileStem(s.Model), strings.ReplaceAll(s.Device, ":", ""), s.Time.UTC().Format("20060102-150405"))
	path := filepath.Join(dir, name)
	b, err := marshalPlain(doc, "  ")
	if err == nil {
		err = writeWhole(path, b)
	}
	if abs, aerr := filepath.Abs(path); aerr == nil {
		path = abs
	}
	return path, err
}

// DashboardResult is what the dashboard writes on exit when
// INFERTOP_DASHBOARD_RESULT names a file (scripts/tui-overhead.sh compares it
// with `infertop bench`).
type DashboardResult struct {
	Model         string  `json:"model"`
	Device        string  `json:"device"`
	Batch         int     `json:"batch"`
	State         string  `json:"state"`
	MeasuredSec   float64 `json:"measured_seconds"`
	Samples       int64   `json:"samples"`
	SamplesPerSec float64 `json:"samples_per_second"`
}

// WriteDashboardResult writes the final snapshot's figures to path.
func WriteDashboardResult(path string, s runner.Snapshot) error {
	b, err := marshalPlain(DashboardResult{
		Model: s.Model, Device: s.Device, Batch: s.Batch, State: s.State.String(),
		MeasuredSec: s.Measured.Seconds(), Samples: s.Overall.Samples, SamplesPerSec: s.Overall.SamplesPerSec,
	}, "  ")
	if err != nil {
		return fmt.Errorf("encoding the dashboard result: %w", err)
	}
	if err := writeWhole(path, b); err != nil {
		return fmt.Errorf("writing the dashboard result: %w", err)
	}
	return nil
}

// writeWhole writes b to path through a temporary file renamed into place,
// so that path holds the whole document or what it held before.
func writeWhole(path string, b []byte) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
