package session

import (
	"path/filepath"
	"testing"
	"time"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/internal/fake"
	"infertop/presets"
	"infertop/record"
	"infertop/runner"
)

// sleepMachine has a fake CPU engine (fake.Sleep, no out-of-memory edge of
// its own) and 1 GiB of host memory.
func sleepMachine() Machine {
	return Machine{
		Registry:   fake.SleepRegistry(0, nil),
		HostMemory: func() (hostinfo.Memory, error) { return hostinfo.Memory{Available: 1 << 30, Source: "test"}, nil },
		RSS:        func() int64 { return 42 << 20 },
	}
}

// raceMachine races on fake.Clock executors.
func raceMachine() Machine {
	reg, now := fake.ClockRegistry(nil)
	return Machine{Registry: reg, Now: now}
}

// testDashboard is a dashboard's session without its run: what its s and c
// jobs and CheckBatch use.
func testDashboard(m Machine, spec DashboardSpec, g gpus, devices []record.Device, rec *record.Recorder) *Dashboard {
	if spec.Catalog == nil {
		spec.Catalog = presets.NewModels(presets.DefaultSeed)
	}
	return &Dashboard{m: m, spec: spec, gpus: g, Devices: devices, rec: rec}
}

// fakeGPUMonitor is the monitor --fake-gpus opens, on a stopped clock so
// that the simulated used memory holds still.
func fakeGPUMonitor(t *testing.T, n int) *gpuinfo.Monitor {
	t.Helper()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mon, err := gpuinfo.OpenFake(n, gpuinfo.FakeOptions{Seed: 7, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Close() })
	return mon
}

// dashboardRecorder starts a dashboard recording in a temporary file with
// the snapshot the dashboard shows first, as OpenDashboard does.
func dashboardRecorder(t *testing.T) (*record.Recorder, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dash.jsonl")
	rec, err := record.Create(path, record.Header{Command: "dashboard", Options: map[string]any{"model": "linear"}})
	if err != nil {
		t.Fatal(err)
	}
	rec.Snapshot(runner.Snapshot{RunID: 1, Model: "linear", Device: "cpu", Batch: 1, State: runner.Paused,
		Events: []runner.Event{{Seq: 0, Kind: runner.EventStarted, Text: "started linear on cpu"}}})
	return rec, path
}

// readRecording closes rec and reads its file back whole.
func readRecording(t *testing.T, rec *record.Recorder, path string) *record.Recording {
	t.Helper()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := record.ReadFile(path)
	if err != nil || r.Stopped != nil {
		t.Fatalf("reading the recording: %v %v", err, r.Stopped)
	}
	return r
}

// replayable reports whether the replay can open the recording at path and
// finds snapshots to play in the dashboard.
func replayable(t *testing.T, path string) bool {
	t.Helper()
	f, err := record.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Stopped == nil && f.Has(record.KindSnapshot)
}
