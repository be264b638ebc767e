// Package ui is infertop's live dashboard: a bubbletea v2 program whose root
// model routes keys and data to small components (header, throughput, latency,
// GPU, host, event log, pickers). It only stores and draws: statistics come
// from the runner's Snapshots, telemetry from gpuinfo's Samples and the host
// sampler, and every control goes back through a Controller in a command, never
// on the UI goroutine.
package ui

import (
	"time"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/runner"
)

// Controller is the part of the runner's control API the dashboard uses.
// Calls block until the measurement loop takes them, so the dashboard only
// makes them inside commands.
type Controller interface {
	Pause() error
	Resume() error
	Reset() error
	SetBatch(n int) error
	SetPreset(name string) error
	SetDevice(name string) error
}

// DeviceChoice is one entry of the device picker.
type DeviceChoice struct {
	// Name is the device name the runner accepts ("cpu", "cuda:0", "cuda:all").
	Name string
	// Detail describes it (GPU name and bus id).
	Detail string
	// BusID is the GPU's PCI bus id for cuda:N, shown in the header.
	BusID string
	// GPUIndexes are the NVML indexes of the GPUs the device uses.
	GPUIndexes []int
	// Available is false when this build or machine cannot run it; Why says why.
	Available bool
	Why       string
}

// Options are everything the dashboard is given. Only Control, Snapshots and
// Catalog are required.
type Options struct {
	// Control receives the person's commands.
	Control Controller
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
	// Catalog lists the presets for the picker and the memory estimate.
	Catalog *presets.Catalog
	// Devices lists the device picker's entries.
	Devices []DeviceChoice
	// HostAvailable returns the host memory a new batch may use (engine.ReadHostMemory);
	// nil skips the check for the CPU.
	HostAvailable func() (int64, error)
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
