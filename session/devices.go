package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/record"
	"infertop/report"
)

// deviceList is the dashboard's device picker: cpu, each cuda:N the monitor
// sees (in CUDA's PCI bus order) and cuda:all, each available or not with
// the reason.
func (m Machine) deviceList(g gpus) []record.Device {
	reg := m.Registry
	out := []record.Device{{Name: "cpu", Detail: "host processor", Available: reg.Has(engine.CPU), Why: reg.Why(engine.CPU)}}
	cudaWhy := reg.Why(engine.CUDA)
	if g.mon == nil {
		why := cudaWhy
		if why == "" && g.err != nil {
			why = "no GPU visible: " + g.err.Error()
		}
		return append(out, record.Device{Name: "cuda:0", Why: why})
	}
	if g.mon.Fake() {
		cudaWhy = "the GPUs are simulated (--fake-gpus): telemetry only"
	}
	order := g.mon.CUDAOrder(g.visible)
	var all []int
	for n, d := range order {
		out = append(out, record.Device{
			Name: fmt.Sprintf("cuda:%d", n), Detail: d.Name + " (" + d.PCIBusID + ")", BusID: d.PCIBusID,
			GPUIndexes: []int{d.Index}, Available: cudaWhy == "", Why: cudaWhy,
		})
		all = append(all, d.Index)
	}
	if len(order) == 0 {
		return append(out, record.Device{Name: "cuda:0", Why: "no GPU visible to CUDA (CUDA_VISIBLE_DEVICES)"})
	}
	return append(out, record.Device{
		Name: "cuda:all", Detail: fmt.Sprintf("data parallel over %d GPUs", len(order)),
		GPUIndexes: all, Available: cudaWhy == "", Why: cudaWhy,
	})
}

// defaultDevice is cuda:0 when this build has CUDA and a real GPU is visible, else cpu.
func defaultDevice(devices []record.Device) string {
	for _, d := range devices {
		if CUDABuild && d.Name == "cuda:0" && d.Available {
			return "cuda:0"
		}
	}
	return cpuDevice
}

// GPUs is an NVML session for `infertop devices`: the listing, or the GPUs'
// readings line by line.
type GPUs struct {
	m    Machine
	gpus gpus
}

// OpenGPUs opens NVML, or n simulated GPUs when n > 0; Close ends it.
func (m Machine) OpenGPUs(fake int) *GPUs { return &GPUs{m: m, gpus: m.openFake(fake)} }

// Close ends the NVML session.
func (d *GPUs) Close() { d.gpus.close() }

// Err says why there are no GPUs (nil when NVML answered).
func (d *GPUs) Err() error {
	if d.gpus.mon != nil {
		return nil
	}
	return d.gpus.err
}

// Fake reports whether the GPUs are simulated.
func (d *GPUs) Fake() bool { return d.gpus.mon != nil && d.gpus.mon.Fake() }

// Listing is what the engines of this build, the CPU and NVML say now; pcie
// also samples the PCIe throughput.
func (d *GPUs) Listing(pcie bool) report.Devices {
	reg := d.m.Registry
	blas := ""
	if d.m.BLAS != nil {
		blas = d.m.BLAS()
	}
	rep := report.Devices{
		Engines: []report.EngineRow{
			{Device: "cpu", Available: reg.Has(engine.CPU), Why: reg.Why(engine.CPU)},
			{Device: "cuda:N", Available: reg.Has(engine.CUDA), Why: reg.Why(engine.CUDA)},
		},
		CPUBLAS:       blas,
		CPUEnergy:     d.m.cpuEnergySource(),
		CUDAOrderNote: "cuda:N is CUDA ordinal N with CUDA_DEVICE_ORDER=PCI_BUS_ID, matched to NVML by PCI bus id and UUID",
	}
	mon := d.gpus.mon
	if mon == nil {
		err := d.gpus.err
		if err == nil {
			err = errors.New("NVML not opened")
		}
		rep.NVML.Error = err.Error()
		return rep
	}
	rep.NVML = report.NVMLStatus{Available: true, DriverVersion: mon.DriverVersion()}
	s := mon.Read()
	if pcie {
		mon.ReadPCIe(&s)
	}
	rep.Fake, rep.SampledAt = s.Fake, s.Time
	rep.GPUs = d.rows(s)
	return rep
}

// rows pairs each GPU with its cuda:N name ("" when CUDA cannot see it).
func (d *GPUs) rows(s gpuinfo.Sample) []report.GPURow {
	cuda := map[string]string{}
	for n, g := range d.gpus.mon.CUDAOrder(d.gpus.visible) {
		cuda[g.PCIBusID+"|"+g.UUID] = fmt.Sprintf("cuda:%d", n)
	}
	rows := make([]report.GPURow, len(s.GPUs))
	for i, g := range s.GPUs {
		rows[i] = report.GPURow{CUDADevice: cuda[g.PCIBusID+"|"+g.UUID], GPU: g}
	}
	return rows
}

// Watch samples the GPUs every interval until ctx ends, calls begin once
// sampling has started, and hands each GPU's reading to each, in order; an
// error from each ends it. A sampler that cannot start (an interval below
// MinInterval) is a UsageError.
func (d *GPUs) Watch(ctx context.Context, interval time.Duration, pcie bool, begin func(), each func(report.WatchLine) error) error {
	ctx, cancel := context.WithCancel(ctx)
	s, err := d.gpus.mon.Start(ctx, gpuinfo.SamplerOptions{Interval: interval, PCIe: pcie, Clock: d.m.Clock})
	if err != nil {
		cancel()
		return usage("%v", err)
	}
	defer s.Wait()
	defer cancel() // before the wait: an error from each ends the sampler too
	begin()
	for smp := range s.Samples() {
		for _, r := range d.rows(smp) {
			if err := each(report.WatchLine{Time: smp.Time, Fake: smp.Fake, GPURow: r}); err != nil {
				return err
			}
		}
	}
	return nil
}
