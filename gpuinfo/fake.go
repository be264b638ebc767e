package gpuinfo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/gpus"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// FakeName is the product name of every simulated GPU.
const FakeName = "FAKE NVIDIA H100 80GB HBM3"

// MaxFakeGPUs bounds --fake-gpus.
const MaxFakeGPUs = 64

// FakeOptions configure simulated GPUs.
type FakeOptions struct {
	// Seed fixes the simulated values' phases; 0 seeds from the time.
	Seed uint64
	// Now is the simulation's clock; nil means time.Now.
	Now func() time.Time
	// SelfPID is the PID shown as this process on GPU 0; 0 means os.Getpid().
	SelfPID int
}

// OpenFake returns a Monitor over n simulated H100-like GPUs, built on
// go-nvml's mock server. Every name starts with "FAKE" and every Sample has
// Fake set, so no display can pass the numbers off as real.
func OpenFake(n int, opts FakeOptions) (*Monitor, error) {
	srv, err := FakeServer(n, opts)
	if err != nil {
		return nil, err
	}
	m, err := OpenLibrary(srv, Options{SelfPID: opts.SelfPID})
	if err != nil {
		return nil, err
	}
	m.fake = true
	for i := range m.info {
		m.info[i].Fake = true
	}
	return m, nil
}

// FakeServer builds the mock NVML server behind OpenFake. Its devices are
// *server.Device values whose …Func fields tests may replace to inject errors.
func FakeServer(n int, opts FakeOptions) (*server.Server, error) {
	if n < 1 || n > MaxFakeGPUs {
		return nil, fmt.Errorf("fake GPUs: %d is out of range (1 to %d)", n, MaxFakeGPUs)
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SelfPID == 0 {
		opts.SelfPID = os.Getpid()
	}
	cfg := gpus.H100_SXM5_80GB
	cfg.Name = FakeName
	srv := dgxh100.NewWithGPUs(gpus.Multiple(n, cfg)...)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x1f2e3d4c))
	start := opts.Now()
	for i, d := range srv.Devices {
		sd := d.(*server.Device)
		f := &fakeGPU{index: i, now: opts.Now, start: start, last: start,
			phase: rng.Float64() * 2 * math.Pi, period: 15 + rng.Float64()*15,
			energyMJ: 1_000_000 + rng.Uint64N(50_000_000), selfPID: uint32(opts.SelfPID)}
		sd.UUID = fmt.Sprintf("GPU-fa4e0000-%04x-4000-8000-%012x", i, opts.Seed&0xffffffffffff)
		sd.PciBusID = fakeBusID(i)
		f.install(sd)
	}
	return srv, nil
}

// fakeBusID uses a DGX H100's bus numbers for the first eight GPUs.
func fakeBusID(i int) string {
	buses := []int{0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb}
	b := 0xe0 + i
	if i < len(buses) {
		b = buses[i]
	}
	return fmt.Sprintf("00000000:%02X:00.0", b)
}

// fakeGPU simulates one GPU; values are smooth functions of time, and the
// energy counter integrates the simulated power.
type fakeGPU struct {
	index         int
	now           func() time.Time
	start         time.Time
	phase, period float64
	selfPID       uint32

	mu       sync.Mutex
	last     time.Time
	energyMJ uint64
}

const (
	fakeTotal      = 80 << 30
	fakeReserved   = 512 << 20
	fakeLimitMW    = 700_000
	fakeSMMaxMHz   = 1980
	fakeMemMaxMHz  = 2619
	fakeIdleUtilPc = 5
)

// util is the simulated kernel-active percentage at the current time.
func (f *fakeGPU) util() uint32 {
	t := f.now().Sub(f.start).Seconds()
	u := 55 + 40*math.Sin(2*math.Pi*t/f.period+f.phase) + 4*math.Sin(2*math.Pi*t/1.7+2*f.phase)
	return uint32(math.Max(0, math.Min(100, math.Round(u))))
}

func (f *fakeGPU) powerMW() uint32 { return 72_000 + f.util()*6_000 }

func (f *fakeGPU) usedBytes() uint64 {
	return 2<<30 + uint64(f.util())*(300<<20)
}

func (f *fakeGPU) install(d *server.Device) {
	d.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) {
		p := nvml.PciInfo{PciDeviceId: d.Config.PciDeviceId}
		for j, c := range d.PciBusID {
			p.BusId[j] = int8(c)
		}
		fmt.Sscanf(d.PciBusID, "%x:%x:%x.", &p.Domain, &p.Bus, &p.Device)
		return p, nvml.SUCCESS
	}
	d.GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) {
		u := f.usedBytes()
		return nvml.Memory_v2{Total: fakeTotal, Reserved: fakeReserved, Used: u, Free: fakeTotal - fakeReserved - u}, nvml.SUCCESS
	}
	d.GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) {
		u := f.usedBytes() + fakeReserved
		return nvml.Memory{Total: fakeTotal, Used: u, Free: fakeTotal - u}, nvml.SUCCESS
	}
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		u := f.util()
		return nvml.Utilization{Gpu: u, Memory: u * 2 / 5}, nvml.SUCCESS
	}
	d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 32 + f.util()*3/8, nvml.SUCCESS }
	d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return f.powerMW(), nvml.SUCCESS }
	d.GetPowerManagementLimitFunc = func() (uint32, nvml.Return) { return fakeLimitMW, nvml.SUCCESS }
	d.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return fakeLimitMW, nvml.SUCCESS }
	d.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_MEM {
			return fakeMemMaxMHz, nvml.SUCCESS
		}
		if f.util() < fakeIdleUtilPc {
			return 345, nvml.SUCCESS
		}
		return fakeSMMaxMHz - f.util()*3/2, nvml.SUCCESS
	}
	d.GetMaxClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_MEM {
			return fakeMemMaxMHz, nvml.SUCCESS
		}
		return fakeSMMaxMHz, nvml.SUCCESS
	}
	reasons := func() (uint64, nvml.Return) {
		switch u := f.util(); {
		case u < fakeIdleUtilPc:
			return uint64(ClockEventIdle), nvml.SUCCESS
		case u > 90:
			return uint64(ClockEventSwPowerCap), nvml.SUCCESS
		}
		return 0, nvml.SUCCESS
	}
	d.GetCurrentClocksEventReasonsFunc = reasons
	d.GetCurrentClocksThrottleReasonsFunc = reasons
	d.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) {
		f.mu.Lock()
		defer f.mu.Unlock()
		now := f.now()
		if dt := now.Sub(f.last).Seconds(); dt > 0 {
			f.energyMJ += uint64(float64(f.powerMW()) * dt)
			f.last = now
		}
		return f.energyMJ, nvml.SUCCESS
	}
	d.GetPcieThroughputFunc = func(c nvml.PcieUtilCounter) (uint32, nvml.Return) {
		kb := f.util() * 40_000
		if c == nvml.PCIE_UTIL_RX_BYTES {
			kb /= 4
		}
		return kb, nvml.SUCCESS
	}
	d.GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
		pid := 40000 + uint32(f.index)
		if f.index == 0 {
			pid = f.selfPID
		}
		return []nvml.ProcessInfo{{Pid: pid, UsedGpuMemory: f.usedBytes() - 512<<20}}, nvml.SUCCESS
	}
}
