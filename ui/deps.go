// Package ui is infertop's live dashboard: a bubbletea v2 program whose root
// model routes keys and data to small components (header, throughput, latency,
// GPU, host, event log, pickers, and serving mode's queue depth, request
// latency and batcher panels). It only draws and routes keys: statistics
// come from the runner's Snapshots, telemetry from gpuinfo's Samples and
// hostinfo's readings, and everything else (the run's controls, whether a
// batch fits, the sweep and race jobs, the export) is asked of a Session,
// in a command, never on the UI goroutine (CheckBatch, which is quick, aside).
//
// It never imports session, cli, report, metrics, onnx or an engine's
// implementation (engine/...): the application reaches it only through
// Options, and the models it lists come in its model.Catalog.
package ui

import (
	"context"
	"time"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/model"
	"infertop/record"
	"infertop/runner"
	"infertop/serve"
	"infertop/sweep"
)

// Session is everything the dashboard asks of the application (session's
// Dashboard in the program, a read-only one in a replay, fakes in tests).
// Every call but CheckBatch may block, so the dashboard makes them only
// inside commands.
type Session interface {
	// Pause, Resume, Reset, SetBatch, SetModel and SetDevice control the run.
	Pause() error
	Resume() error
	Reset() error
	SetBatch(n int) error
	SetModel(name string) error
	SetDevice(name string) error
	// SetProfile times each step of one batch in every (0: off), for the
	// Layers panel (runner.Runner.SetProfile).
	SetProfile(every int) error
	// SetServing switches the run to serving mode (on: requests arriving
	// one by one, a dynamic batcher, instances; the session picks the
	// settings: the dashboard's --arrival flags, else a Poisson rate of
	// half the closed-loop throughput on screen) or back to batches back
	// to back (off), under a new RunID. Snapshot.Serving says which runs.
	SetServing(on bool) error
	// SetRate changes serving mode's arrival rate, in requests per second
	// (an error for closed-loop clients, which set their own).
	SetRate(rate float64) error
	// SetServePolicy changes serving mode's batcher (max batch, max delay,
	// preferred sizes).
	SetServePolicy(p serve.Policy) error
	// CheckBatch says, at once, why the model on screen cannot run at batch
	// n (a fixed-batch export) or why n would not fit the device the run is
	// on, or nil.
	CheckBatch(n int) error
	// Sweep sweeps the named model on device (the s key), calling progress
	// after every step; it returns when a stop rule holds or ctx ends.
	Sweep(ctx context.Context, model, device string, progress func(sweep.Result, string)) (sweep.Result, error)
	// Compare races two configurations of the named model at batch (the c
	// key) until ctx ends, calling progress after every window.
	Compare(ctx context.Context, model string, batch int, progress func(sweep.CompareResult)) (sweep.CompareResult, error)
	// Export writes the run shown (the e key) with what the tuning views
	// measured (nil: nothing) and returns the file's path.
	Export(s runner.Snapshot, sw *sweep.Result, cmp *sweep.CompareResult) (string, error)
}

// DeviceChoice is one entry of the device picker, as a recording keeps it.
type DeviceChoice = record.Device

// Options are everything the dashboard is given. Only Session, Snapshots and
// Catalog are required.
type Options struct {
	// Session receives the person's commands and questions.
	Session Session
	// Snapshots delivers the runner's snapshots; RunnerDone is closed when its loop ends.
	Snapshots  <-chan runner.Snapshot
	RunnerDone <-chan struct{}
	// Initial is shown before the first snapshot arrives (the runner's Latest).
	Initial runner.Snapshot
	// Samples delivers GPU telemetry; nil when NVML is absent, and NVMLError then says why.
	Samples   <-chan gpuinfo.Sample
	NVMLError string
	// Host delivers process CPU and memory readings; nil for none.
	Host <-chan hostinfo.Stat
	// Catalog lists the models for the picker (the presets, then the files
	// given) and gives each one's default batch.
	Catalog *model.Catalog
	// Files opens model files from the picker's "open a file…" entry, adding
	// them to Catalog; nil leaves the entry out (a replay).
	Files Files
	// Devices lists the device picker's entries.
	Devices []DeviceChoice
	// MaxBatch bounds typed batch sizes (default 1<<24).
	MaxBatch int
	// Location formats clock times on the chart axis (default time.Local).
	Location *time.Location
	// NoColor draws without colours (NO_COLOR).
	NoColor bool
	// Serving names what the run is published on (e.g. the metrics URL), shown
	// in the header; empty when nothing is.
	Serving string
	// Dark picks the palette before the terminal reports its background.
	Dark bool
}
