package gpuinfo

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func TestEnergyMillijoulesSumsOnlyTheCounters(t *testing.T) {
	srv, devs := fakeServer(t, 3)
	counters := []uint64{5_000_123, 7_000_000, 9_999}
	for i, d := range devs {
		d.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return counters[i], nvml.SUCCESS }
	}
	m := openServer(t, srv)
	// From here on, any other reading than the energy counter fails the test.
	for _, d := range devs {
		d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
			t.Error("EnergyMillijoules read the utilization")
			return nvml.Utilization{}, nvml.ERROR_UNKNOWN
		}
		d.GetPowerUsageFunc = func() (uint32, nvml.Return) {
			t.Error("EnergyMillijoules read the power draw")
			return 0, nvml.ERROR_UNKNOWN
		}
		d.GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) {
			t.Error("EnergyMillijoules read the memory")
			return nvml.Memory_v2{}, nvml.ERROR_UNKNOWN
		}
	}
	if got, err := m.EnergyMillijoules([]int{0, 2}); err != nil || got != 5_000_123+9_999 {
		t.Errorf("GPUs 0 and 2: %d, %v; want %d", got, err, 5_000_123+9_999)
	}
	if got, err := m.EnergyMillijoules([]int{1}); err != nil || got != 7_000_000 {
		t.Errorf("GPU 1: %d, %v", got, err)
	}
}

func TestEnergyMillijoulesFollowsTheSimulatedPower(t *testing.T) {
	var mu sync.Mutex
	now := t0
	m, err := OpenFake(2, FakeOptions{Seed: 1, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before, err := m.EnergyMillijoules([]int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	power := 0.0
	for _, g := range m.Read().GPUs {
		power += g.PowerDrawWatts.V
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	after, err := m.EnergyMillijoules([]int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	// The simulation integrates the power at the time of the reading: the
	// increase is between 0 and the 2 × 700 W limit over 2 s, and not far
	// from the power read at the start (it changes slowly).
	if d := float64(after-before) / 1000; d <= 0 || d > 2*2*700 || d < 0.5*2*power || d > 1.5*2*power {
		t.Errorf("the counters rose by %v J over 2 s at %v W", d, power)
	}
}

func TestEnergyMillijoulesErrors(t *testing.T) {
	srv, devs := fakeServer(t, 2)
	devs[1].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	m := openServer(t, srv)
	if _, err := m.EnergyMillijoules([]int{0, 1}); !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "GPU 1") {
		t.Errorf("a GPU without a counter: %v", err)
	}
	devs[0].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	if _, err := m.EnergyMillijoules([]int{0}); !errors.Is(err, ErrGPULost) || !strings.Contains(err.Error(), "GPU 0") {
		t.Errorf("a lost GPU: %v", err)
	}
	for _, idx := range [][]int{nil, {2}, {-1}} {
		if _, err := m.EnergyMillijoules(idx); err == nil {
			t.Errorf("indexes %v: no error", idx)
		}
	}
}
