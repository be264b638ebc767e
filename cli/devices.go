package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"infertop/engine"
	"infertop/engine/cpu"
	"infertop/gpuinfo"
	"infertop/hostinfo"
)

// devicesDeps are what runDevices reaches outside the process; tests replace them.
type devicesDeps struct {
	// open opens NVML (or returns why it cannot).
	open func() (*gpuinfo.Monitor, error)
	// blas describes the CPU engine's BLAS.
	blas func() string
	// rapl opens the CPU packages' energy counters (nil: none).
	rapl func() (*hostinfo.RAPL, error)
	// visible is CUDA_VISIBLE_DEVICES.
	visible string
	// clock drives --watch; nil means the system clock.
	clock gpuinfo.Clock
}

func runDevices(ctx context.Context, env Env, args []string) int {
	return devicesMain(ctx, env, args, devicesDeps{
		open:    func() (*gpuinfo.Monitor, error) { return gpuinfo.Open(gpuinfo.Options{}) },
		blas:    cpu.BLASDescription,
		rapl:    openRAPL,
		visible: os.Getenv("CUDA_VISIBLE_DEVICES"),
	})
}

type devicesFlags struct {
	format   string
	watch    bool
	interval time.Duration
	fake     int
	pcie     bool
}

func devicesMain(ctx context.Context, env Env, args []string, deps devicesDeps) int {
	fs := newFlags(env, "devices", "devices [--format table|json] [--watch] [--interval 500ms] [--fake-gpus N] [--pcie]")
	var f devicesFlags
	fs.StringVar(&f.format, "format", "table", "output format: table or json (with --watch: one JSON object per line)")
	fs.BoolVar(&f.watch, "watch", false, "print one line per GPU every interval until Ctrl-C")
	fs.DurationVar(&f.interval, "interval", gpuinfo.DefaultInterval, "sampling interval (minimum 100ms)")
	fs.IntVar(&f.fake, "fake-gpus", 0, "simulate N GPUs (clearly labelled FAKE) instead of asking NVML")
	fs.BoolVar(&f.pcie, "pcie", false, "also sample PCIe TX/RX throughput (each read blocks about 20 ms)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case f.format != "table" && f.format != "json":
		return usageErr(env, "devices", "unknown format %q (valid: table, json)", f.format)
	case f.interval < gpuinfo.MinInterval:
		return usageErr(env, "devices", "--interval %v is too short (the minimum is %v)", f.interval, gpuinfo.MinInterval)
	case f.fake < 0 || f.fake > gpuinfo.MaxFakeGPUs:
		return usageErr(env, "devices", "--fake-gpus %d is out of range (0 to %d)", f.fake, gpuinfo.MaxFakeGPUs)
	}
	open := deps.open
	if f.fake > 0 {
		open = func() (*gpuinfo.Monitor, error) { return gpuinfo.OpenFake(f.fake, gpuinfo.FakeOptions{}) }
	}
	m, nvmlErr := open()
	if m != nil {
		defer m.Close()
	}
	if f.watch {
		return watchDevices(ctx, env, f, deps, m, nvmlErr)
	}
	rep := buildReport(f, deps, m, nvmlErr)
	if f.format == "json" {
		if err := writeJSON(env.Stdout, rep); err != nil {
			fmt.Fprintf(env.Stderr, "infertop devices: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	writeDevicesTable(env.Stdout, rep)
	return ExitOK
}

// devicesReport is the whole listing; its JSON keys carry their units.
type devicesReport struct {
	Engines []engineRow `json:"engines"`
	CPUBLAS string      `json:"cpu_blas"`
	// CPUEnergy says where a CPU run's energy per sample comes from, or why
	// there is none.
	CPUEnergy     string     `json:"cpu_energy"`
	NVML          nvmlStatus `json:"nvml"`
	Fake          bool       `json:"fake"`
	SampledAt     time.Time  `json:"sampled_at"`
	GPUs          []gpuRow   `json:"gpus"`
	CUDAOrderNote string     `json:"cuda_order_note"`
}

type engineRow struct {
	Device    string `json:"device"`
	Available bool   `json:"available"`
	Why       string `json:"why,omitempty"`
}

type nvmlStatus struct {
	Available     bool   `json:"available"`
	Error         string `json:"error,omitempty"`
	DriverVersion string `json:"driver_version,omitempty"`
}

// cpuEnergySource says which counters measure a CPU run's energy, or why
// none does.
func cpuEnergySource(open func() (*hostinfo.RAPL, error)) string {
	if open == nil {
		return "none"
	}
	c, err := open()
	if err != nil {
		return "none: " + err.Error()
	}
	return "RAPL counters of " + c.Zones() + " (whole packages, every process on them)"
}

// gpuRow is one GPU's reading plus the CUDA device name that selects it.
type gpuRow struct {
	CUDADevice string `json:"cuda_device"`
	gpuinfo.GPU
}

func buildReport(f devicesFlags, deps devicesDeps, m *gpuinfo.Monitor, nvmlErr error) devicesReport {
	reg := newRegistry()
	rep := devicesReport{
		Engines: []engineRow{
			{"cpu", reg.Has(engine.CPU), reg.Why(engine.CPU)},
			{"cuda:N", reg.Has(engine.CUDA), reg.Why(engine.CUDA)},
		},
		CPUBLAS:       deps.blas(),
		CPUEnergy:     cpuEnergySource(deps.rapl),
		CUDAOrderNote: "cuda:N is CUDA ordinal N with CUDA_DEVICE_ORDER=PCI_BUS_ID, matched to NVML by PCI bus id and UUID",
	}
	if m == nil {
		if nvmlErr == nil {
			nvmlErr = errors.New("NVML not opened")
		}
		rep.NVML.Error = nvmlErr.Error()
		return rep
	}
	rep.NVML = nvmlStatus{Available: true, DriverVersion: m.DriverVersion()}
	s := m.Read()
	if f.pcie {
		m.ReadPCIe(&s)
	}
	rep.Fake, rep.SampledAt = s.Fake, s.Time
	rep.GPUs = rowsFor(m, s, deps.visible)
	return rep
}

// rowsFor pairs each GPU with its cuda:N name ("" when CUDA cannot see it).
func rowsFor(m *gpuinfo.Monitor, s gpuinfo.Sample, visible string) []gpuRow {
	cuda := map[string]string{}
	for n, d := range m.CUDAOrder(visible) {
		cuda[d.PCIBusID+"|"+d.UUID] = fmt.Sprintf("cuda:%d", n)
	}
	rows := make([]gpuRow, len(s.GPUs))
	for i, g := range s.GPUs {
		rows[i] = gpuRow{CUDADevice: cuda[g.PCIBusID+"|"+g.UUID], GPU: g}
	}
	return rows
}
