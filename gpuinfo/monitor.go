// Package gpuinfo reads NVIDIA GPU telemetry through NVML (go-nvml, which loads
// libnvidia-ml.so.1 at run time, so programs build and run without a driver).
// A Monitor owns the NVML session; a Sampler reads every GPU at an interval in
// its own goroutine and publishes Samples. Readings are in base units (bytes,
// watts, joules, MHz, percent, °C) and are the quantities nvidia-smi shows.
// Failure is soft: a field the device does not support is missing (n/a), and
// every other failure carries an explanation.
//
// It is hostinfo's sibling and, like it, sits below everything that uses
// it: it never imports an engine, the runner, hostinfo, session, report, ui
// or cli.
package gpuinfo

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Options configure a Monitor.
type Options struct {
	// SelfPID is the process marked "this process" in process lists;
	// 0 means os.Getpid().
	SelfPID int
}

// Monitor is an open NVML session and the GPUs it found. Its methods are safe
// for concurrent use.
type Monitor struct {
	lib     Library
	devs    []Device
	devErr  []error // why a device handle could not be had; nil when it could
	info    []DeviceInfo
	driver  string
	fake    bool
	selfPID uint32
	// useV2Memory and useEventReasons record which newer entry points this
	// driver has (older drivers lack the symbols; calling them would crash).
	useV2Memory, useEventReasons bool

	closeOnce sync.Once
	closeErr  error
}

// Open loads libnvidia-ml.so.1, initialises NVML and lists the GPUs. Without a
// driver it returns ErrNoDriver, whose text explains it.
func Open(opts Options) (*Monitor, error) {
	return OpenLibrary(nvml.New(), opts)
}

// OpenLibrary is Open on a given NVML implementation (a go-nvml mock in tests).
func OpenLibrary(lib Library, opts Options) (m *Monitor, err error) {
	if lib == nil {
		return nil, ErrNoDriver
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("NVML initialisation panicked: %v", r)
		}
	}()
	if e := nvmlError("NVML init", lib.Init()); e != nil {
		// The sentinels' texts already begin "NVML:"; a prefix would say it twice.
		if base := errors.Unwrap(e); base != nil && base != ErrNotSupported {
			return nil, base
		}
		return nil, e
	}
	m = &Monitor{lib: lib, selfPID: uint32(opts.SelfPID)}
	if m.selfPID == 0 {
		m.selfPID = uint32(os.Getpid())
	}
	if err := m.enumerate(); err != nil {
		lib.Shutdown()
		return nil, err
	}
	return m, nil
}

func (m *Monitor) enumerate() error {
	m.driver, _ = call("driver version", m.lib.SystemGetDriverVersion)
	if ext := m.lib.Extensions(); ext != nil {
		m.useV2Memory = ext.LookupSymbol("nvmlDeviceGetMemoryInfo_v2") == nil
		m.useEventReasons = ext.LookupSymbol("nvmlDeviceGetCurrentClocksEventReasons") == nil
	}
	n, err := call("device count", m.lib.DeviceGetCount)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		d, err := call(fmt.Sprintf("GPU %d", i), func() (nvml.Device, nvml.Return) { return m.lib.DeviceGetHandleByIndex(i) })
		if err == nil && d == nil {
			err = fmt.Errorf("GPU %d: NVML returned no handle", i)
		}
		m.devErr = append(m.devErr, err)
		if err != nil {
			m.devs = append(m.devs, nil)
			m.info = append(m.info, DeviceInfo{Index: i, Fake: m.fake})
			continue
		}
		m.devs = append(m.devs, d)
		m.info = append(m.info, readInfo(i, d, m.fake))
	}
	return nil
}

// readInfo reads a device's identity; fields that fail stay empty.
func readInfo(i int, d Device, fake bool) DeviceInfo {
	info := DeviceInfo{Index: i, Fake: fake}
	info.Name, _ = call("name", d.GetName)
	info.UUID, _ = call("uuid", d.GetUUID)
	if p, err := call("pci info", d.GetPciInfo); err == nil {
		info.PCIBusID = busID(p)
	}
	return info
}

// busID formats the PCI bus id as nvidia-smi does: "00000000:XX:00.0".
func busID(p nvml.PciInfo) string {
	b := make([]byte, 0, len(p.BusId))
	for _, c := range p.BusId {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	if len(b) > 0 {
		return string(b)
	}
	if p.Domain == 0 && p.Bus == 0 && p.Device == 0 {
		return ""
	}
	return fmt.Sprintf("%08X:%02X:%02X.0", p.Domain, p.Bus, p.Device)
}

// Devices lists the GPUs in NVML index order.
func (m *Monitor) Devices() []DeviceInfo { return append([]DeviceInfo(nil), m.info...) }

// DriverVersion is the NVIDIA driver version, or "" when unknown.
func (m *Monitor) DriverVersion() string { return m.driver }

// Fake reports whether the GPUs are simulated.
func (m *Monitor) Fake() bool { return m.fake }

// Close shuts NVML down; later calls return the first result.
func (m *Monitor) Close() error {
	m.closeOnce.Do(func() {
		_, m.closeErr = call("NVML shutdown", func() (struct{}, nvml.Return) { return struct{}{}, m.lib.Shutdown() })
	})
	if m.closeErr != nil && !errors.Is(m.closeErr, ErrNotSupported) {
		return m.closeErr
	}
	return nil
}
