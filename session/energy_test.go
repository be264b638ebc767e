package session

import (
	"errors"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/internal/fake"
	"infertop/runner"
)

func TestEnergyMeterReadsTheGPUsOfEachDevice(t *testing.T) {
	counters := []uint64{1_000, 20_000, 300_000}
	open, err := fake.NVML(3, func(i int) uint64 { return counters[i] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	mon, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	// The dashboard's meter: NVML for the GPUs, RAPL for the CPU (a fake
	// package that advanced 1 J since it was opened).
	m := Machine{Registry: NewRegistry(), OpenRAPL: fake.RAPL}
	meter := dashboardEnergy(m, gpus{mon: mon}, m.deviceList(gpus{mon: mon, visible: "2,0"}))
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
	sim, err := gpuinfo.OpenFake(1, gpuinfo.FakeOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if energyMeter(sim, map[string][]int{"cuda:0": {0}}) != nil {
		t.Error("a meter over simulated GPUs (--fake-gpus), whose energy is not the run's")
	}
	// Without counters the meter reads none and says why, for each device.
	none := dashboardEnergy(Machine{OpenRAPL: fake.NoRAPL}, gpus{err: errNoNVML}, nil)
	if _, ok, err := none.ReadEnergy("cpu"); ok || err != nil {
		t.Errorf("a dashboard meter with neither NVML nor RAPL counters read the CPU: %v %v", ok, err)
	}
	noter := none.(runner.EnergyNoter)
	if cpu, gpu := noter.EnergyNote("cpu"), noter.EnergyNote("cuda:0"); cpu != "no RAPL counters here (a virtual machine?)" || gpu != "no NVML" {
		t.Errorf("notes %q and %q", cpu, gpu)
	}
	if n := dashboardEnergy(Machine{OpenRAPL: fake.RAPL}, gpus{mon: sim}, nil).(runner.EnergyNoter); n.EnergyNote("cpu") != "" ||
		n.EnergyNote("cuda:0") != "simulated GPUs have no energy counter" {
		t.Errorf("with RAPL and simulated GPUs: %q, %q", n.EnergyNote("cpu"), n.EnergyNote("cuda:0"))
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

// The meter answers the CPU from RAPL and passes GPUs on; without counters
// it is what it was.
func TestWithCPUEnergy(t *testing.T) {
	gpus := energyFunc(func(d string) (uint64, bool, error) { return 42, d == "cuda:0", nil })
	m, _ := withCPUEnergy(gpus, fake.RAPL, []string{"cpu", "cuda:0"})
	if mj, ok, err := m.ReadEnergy("cpu"); !ok || err != nil || mj != 1000 {
		t.Errorf("cpu: %d mJ %v %v, want 1000 (1 J since the counter was opened)", mj, ok, err)
	}
	if mj, ok, _ := m.ReadEnergy("cuda:0"); !ok || mj != 42 {
		t.Errorf("cuda:0 not passed on: %d %v", mj, ok)
	}
	if m, _ := withCPUEnergy(gpus, fake.RAPL, []string{"cuda:0"}); isCPUEnergy(m) {
		t.Error("no CPU among the devices: the meter should stay the GPUs'")
	}
	if m, err := withCPUEnergy(nil, fake.NoRAPL, []string{"cpu"}); m != nil || !errors.Is(err, hostinfo.ErrNoRAPL) {
		t.Errorf("without counters: %v, %v", m, err)
	}
	if m, _ := withCPUEnergy(nil, fake.RAPL, []string{"cpu"}); !isCPUEnergy(m) {
		t.Error("the CPU's counters were not used")
	} else if _, ok, _ := m.ReadEnergy("cuda:1"); ok {
		t.Error("a GPU answered without a GPU meter")
	}
}

func isCPUEnergy(m runner.EnergyMeter) bool { _, ok := m.(cpuEnergy); return ok }

type energyFunc func(string) (uint64, bool, error)

func (f energyFunc) ReadEnergy(d string) (uint64, bool, error) { return f(d) }
