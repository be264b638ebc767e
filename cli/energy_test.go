package cli

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/presets"
	"infertop/record"
)

// mockGPUs is an NVML mock of n GPUs that is not labelled simulated (as a
// real driver would be), with each GPU's energy counter fixed at counters[i]
// when counters is given, else rising with the simulated power.
func mockGPUs(t *testing.T, n int, counters []uint64) func() (*gpuinfo.Monitor, error) {
	t.Helper()
	srv, err := gpuinfo.FakeServer(n, gpuinfo.FakeOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range srv.Devices {
		if counters != nil {
			d.(*server.Device).GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return counters[i], nvml.SUCCESS }
		}
	}
	return func() (*gpuinfo.Monitor, error) { return gpuinfo.OpenLibrary(srv, gpuinfo.Options{SelfPID: 1}) }
}

func TestEnergyMeterReadsTheGPUsOfEachDevice(t *testing.T) {
	counters := []uint64{1_000, 20_000, 300_000}
	mon, err := mockGPUs(t, 3, counters)()
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	// The dashboard's meter: NVML for the GPUs, RAPL for the CPU (a fake
	// package that advanced 1 J since it was opened).
	meter := dashboardEnergy(mon, dashboardDevices(newRegistry(), mon, nil, "2,0"), fakeRAPL)
	for _, tc := range []struct {
		device string
		mj     uint64
		ok     bool
	}{
		{"cpu", 1000, true},
		{"cuda:0", counters[2], true}, // CUDA_VISIBLE_DEVICES=2,0
		{"cuda:1", counters[0], true},
		{"cuda:all", counters[2] + counters[0], true},
		{"cuda:2", 0, false},
	} {
		mj, ok, err := meter.ReadEnergy(tc.device)
		if mj != tc.mj || ok != tc.ok || err != nil {
			t.Errorf("%s: %d mJ ok %v err %v; want %d mJ ok %v", tc.device, mj, ok, err, tc.mj, tc.ok)
		}
	}
}

func TestEnergyMeterWithoutCounters(t *testing.T) {
	if energyMeter(nil, map[string][]int{"cuda:0": {0}}) != nil {
		t.Error("a meter without NVML")
	}
	fake, err := gpuinfo.OpenFake(1, gpuinfo.FakeOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if energyMeter(fake, map[string][]int{"cuda:0": {0}}) != nil {
		t.Error("a meter over simulated GPUs (--fake-gpus), whose energy is not the run's")
	}
	if dashboardEnergy(nil, nil, noRAPL) != nil {
		t.Error("a dashboard meter with neither NVML nor RAPL counters")
	}
	srv, err := gpuinfo.FakeServer(1, gpuinfo.FakeOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dev := srv.Devices[0].(*server.Device)
	mon, err := gpuinfo.OpenLibrary(srv, gpuinfo.Options{SelfPID: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	meter := energyMeter(mon, map[string][]int{"cuda:0": {0}})
	dev.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	if mj, ok, err := meter.ReadEnergy("cuda:0"); ok || err != nil || mj != 0 {
		t.Errorf("no counter: %d %v %v; want unknown without an error", mj, ok, err)
	}
	dev.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	if _, ok, err := meter.ReadEnergy("cuda:0"); ok || err == nil {
		t.Errorf("lost GPU: ok %v err %v; want an error", ok, err)
	}
}

// gpuExec is a fake executor that says it runs on cuda:0.
type gpuExec struct{ sleepExec }

func (e *gpuExec) Info() engine.Info { return engine.Info{Device: "cuda:0", Engine: "fake-cuda"} }

// A bench on a GPU reads the GPU's energy counter at every window: its
// recording carries the runner's energy per sample.
func TestBenchOnGPURecordsEnergyPerSample(t *testing.T) {
	deps := fakeDeps(nil)
	deps.registry = engine.NewRegistry()
	deps.registry.Register(engine.CUDA, func(engine.Device, *presets.Preset, engine.Options) (engine.Executor, error) {
		return &gpuExec{}, nil
	})
	deps.openNVML = mockGPUs(t, 2, nil)
	path := filepath.Join(t.TempDir(), "bench.jsonl")
	code, _, stderr := runBenchTest(context.Background(), deps, append(fast, "--device", "cuda:0", "--batch", "4", "--record", path)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last *record.Entry
	for i, e := range rec.Entries {
		if e.Kind == record.KindSnapshot {
			last = &rec.Entries[i]
		}
	}
	if last == nil {
		t.Fatal("no snapshot recorded")
	}
	s := last.Snapshot
	w := s.WindowEnergy
	if s.Device != "cuda:0" || !w.Valid || w.Joules <= 0 || w.Samples != s.Window.Samples || w.JoulesPerSample != w.Joules/float64(w.Samples) {
		t.Fatalf("device %s window %+v energy %+v", s.Device, s.Window, w)
	}
	// The simulated GPU draws at most 700 W: the energy is the window's, not
	// more (the slack covers the read that follows the window's last batch).
	if most := 700*s.Window.Duration.Seconds()*1.5 + 0.1; w.Joules > most {
		t.Errorf("%v J over a %v window", w.Joules, s.Window.Duration)
	}
	if o := s.OverallEnergy; !o.Valid || o.Samples == 0 || o.Samples > s.Overall.Samples {
		t.Errorf("overall energy %+v of %d samples", o, s.Overall.Samples)
	}
}
