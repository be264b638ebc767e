package gpuinfo

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"infertop/internal/units"
)

func TestReadConvertsKnownRawValues(t *testing.T) {
	srv, devs := fakeServer(t, 1)
	d := devs[0]
	d.GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) {
		return nvml.Memory_v2{Total: 85520809984, Reserved: 575668224, Used: 4246732800, Free: 80698408960}, nvml.SUCCESS
	}
	d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 123456, nvml.SUCCESS }
	d.GetPowerManagementLimitFunc = func() (uint32, nvml.Return) { return 700000, nvml.SUCCESS }
	d.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 5000123, nvml.SUCCESS }
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) { return nvml.Utilization{Gpu: 87, Memory: 41}, nvml.SUCCESS }
	d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 54, nvml.SUCCESS }
	d.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		return map[nvml.ClockType]uint32{nvml.CLOCK_SM: 1755, nvml.CLOCK_MEM: 2619}[c], nvml.SUCCESS
	}
	d.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return 0x60, nvml.SUCCESS }
	d.GetPcieThroughputFunc = func(nvml.PcieUtilCounter) (uint32, nvml.Return) { return 1000, nvml.SUCCESS }
	m := openServer(t, srv)
	s := m.Read()
	m.ReadPCIe(&s)
	g := s.GPUs[0]
	check := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("power W", g.PowerDrawWatts.V, 123.456)
	check("limit W", g.PowerLimitWatts.V, 700)
	check("energy J", g.EnergyTotalJoules.V, 5000.123)
	check("memory GiB", BytesToGiB(g.MemoryTotalBytes.V), 79.6474609375)
	check("used MiB", BytesToMiB(g.MemoryUsedBytes.V), 4050)
	if g.PCIeTXBytesPerSec.V != 1024000 || g.PCIeRXBytesPerSec.V != 1024000 {
		t.Errorf("PCIe = %v/%v B/s", g.PCIeTXBytesPerSec, g.PCIeRXBytesPerSec)
	}
	if g.MemoryReservedBytes.V != 575668224 || g.MemoryV1 {
		t.Errorf("memory: %+v", g)
	}
	if g.UtilGPUPercent.V != 87 || g.UtilMemoryPercent.V != 41 || g.TemperatureC.V != 54 {
		t.Errorf("util/temp: %v %v %v", g.UtilGPUPercent, g.UtilMemoryPercent, g.TemperatureC)
	}
	if g.SMClockMHz.V != 1755 || g.MemClockMHz.V != 2619 {
		t.Errorf("clocks %v %v", g.SMClockMHz, g.MemClockMHz)
	}
	if got := g.ClockEvents.V.String(); got != "sw thermal, hw thermal" {
		t.Errorf("reasons %q", got)
	}
	if g.MemoryMiB() != "4050 / 81559 MiB" {
		t.Errorf("MemoryMiB %q", g.MemoryMiB())
	}
	if g.PCIBusID != "00000000:18:00.0" || !strings.HasPrefix(g.UUID, "GPU-") {
		t.Errorf("ids %q %q", g.PCIBusID, g.UUID)
	}
}

func TestUnsupportedFieldIsNAAndTheRestContinues(t *testing.T) {
	srv, devs := fakeServer(t, 1)
	devs[0].GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	devs[0].GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	devs[0].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NO_PERMISSION }
	devs[0].GetUtilizationRatesFunc = nil // the mock panics
	g := openServer(t, srv).Read().GPUs[0]
	if g.TemperatureC.OK || g.EnergyTotalJoules.OK || g.PowerDrawWatts.OK || g.UtilGPUPercent.OK {
		t.Fatal("failed fields must be missing")
	}
	if !g.MemoryUsedBytes.OK || !g.SMClockMHz.OK || !g.PowerLimitWatts.OK || g.Err != "" {
		t.Fatalf("other fields must continue: %+v", g)
	}
	notes := strings.Join(g.Notes, "\n")
	if strings.Contains(notes, "temperature") || !strings.Contains(notes, "power draw: NVML: insufficient permissions") ||
		!strings.Contains(notes, "utilization: NVML call panicked") {
		t.Fatalf("notes = %q", notes)
	}
	if Format(g.TemperatureC, "%d") != NA {
		t.Fatal("missing reading must format as n/a")
	}
}

func TestMemoryFallsBackToV1AndSaysSo(t *testing.T) {
	srv, devs := fakeServer(t, 1)
	devs[0].GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) { return nvml.Memory_v2{}, nvml.ERROR_FUNCTION_NOT_FOUND }
	devs[0].GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) {
		return nvml.Memory{Total: 8 * units.GiB, Used: 3 * units.GiB, Free: 5 * units.GiB}, nvml.SUCCESS
	}
	g := openServer(t, srv).Read().GPUs[0]
	if !g.MemoryV1 || g.MemoryUsedBytes.V != 3*units.GiB || g.MemoryReservedBytes.OK {
		t.Fatalf("v1 fallback: %+v", g)
	}
	if !strings.Contains(strings.Join(g.Notes, ""), "includes driver-reserved memory") {
		t.Fatalf("notes = %q", g.Notes)
	}
}

func TestMemoryV1WhenTheDriverLacksTheSymbol(t *testing.T) {
	srv, devs := fakeServer(t, 1)
	srv.LookupSymbolFunc = func(string) error { return errors.New("undefined symbol") }
	devs[0].GetMemoryInfo_v2Func = nil // must not be called: it would crash a real old driver
	devs[0].GetCurrentClocksEventReasonsFunc = nil
	g := openServer(t, srv).Read().GPUs[0]
	if !g.MemoryV1 || !g.MemoryUsedBytes.OK || !g.ClockEvents.OK {
		t.Fatalf("%+v", g)
	}
}

func TestGarbageProcessesAreDropped(t *testing.T) {
	srv, devs := fakeServer(t, 1)
	devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
		return []nvml.ProcessInfo{
			{Pid: 0, UsedGpuMemory: 1 * units.GiB},
			{Pid: 77, UsedGpuMemory: 1 << 50},
			{Pid: 4242, UsedGpuMemory: 512 * units.MiB},
			{Pid: 99, UsedGpuMemory: ^uint64(0)},
		}, nvml.SUCCESS
	}
	p := openServer(t, srv).Read().GPUs[0].Processes
	if !p.OK || len(p.V) != 2 {
		t.Fatalf("processes = %+v", p)
	}
	if p.V[0].PID != 4242 || !p.V[0].Self || p.V[0].UsedMemoryBytes.V != 512*units.MiB {
		t.Errorf("self = %+v", p.V[0])
	}
	if p.V[1].PID != 99 || p.V[1].Self || p.V[1].UsedMemoryBytes.OK {
		t.Errorf("not-available memory = %+v", p.V[1])
	}
}

func TestClockEventWords(t *testing.T) {
	cases := map[ClockEvents]string{
		0:              "none",
		ClockEventIdle: "idle",
		ClockEventSwPowerCap | ClockEventHwSlowdown: "sw power cap, hw slowdown",
		1 << 20: "0x100000",
	}
	for c, want := range cases {
		if got := c.String(); got != want {
			t.Errorf("%#x = %q, want %q", uint64(c), got, want)
		}
	}
}
