package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"infertop/gpuinfo"
	"infertop/report"
	"infertop/session"
)

func runDevicesWith(t *testing.T, deps session.Machine, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if deps.BLAS == nil {
		deps.BLAS = func() string { return "" }
	}
	deps.Registry = session.NewRegistry()
	code := devicesMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, args, deps)
	return code, out.String(), errb.String()
}

func noDriver() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }

// mockNVML opens two simulated GPUs with fixed values on GPU 0.
func mockNVML(t *testing.T) func() (*gpuinfo.Monitor, error) {
	return func() (*gpuinfo.Monitor, error) {
		srv, err := gpuinfo.FakeServer(2, gpuinfo.FakeOptions{Seed: 7, Now: func() time.Time { return time.Unix(1e9, 0) }, SelfPID: 4242})
		if err != nil {
			t.Fatal(err)
		}
		d := srv.Devices[0].(*server.Device)
		d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 123456, nvml.SUCCESS }
		d.GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) {
			return nvml.Memory_v2{Total: 80 << 30, Reserved: 1 << 29, Used: 10 << 30, Free: 80<<30 - 1<<29 - 10<<30}, nvml.SUCCESS
		}
		d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
		return gpuinfo.OpenLibrary(srv, gpuinfo.Options{SelfPID: 4242})
	}
}

func TestDevicesWithoutDriverExplainsAndSucceeds(t *testing.T) {
	code, out, _ := runDevicesWith(t, session.Machine{OpenNVML: noDriver, BLAS: func() string { return "OpenBLAS 0.3.21 (pthread, Zen)" }})
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "NVML not available: no NVIDIA driver found (libnvidia-ml.so.1)") {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.Contains(out, "cuda:N") || !strings.Contains(out, "CPU BLAS: OpenBLAS 0.3.21 (pthread, Zen)\n") {
		t.Fatalf("engines missing:\n%s", out)
	}
}

func TestDevicesTableFromMock(t *testing.T) {
	code, out, errs := runDevicesWith(t, session.Machine{OpenNVML: mockNVML(t)})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"cuda:0  00000000:18:00.0  FAKE NVIDIA H100 80GB HBM3", "cuda:1  00000000:2A:00.0",
		"10240 / 81920 MiB (10.00 / 80.00 GiB)", "123 W / 700 W", "n/a", "/ 1980", "2619 / 2619",
		"pid 4242", "(this process)", "driver 550.54.15", "CLOCK EVENTS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestDevicesJSONCarriesMockValues(t *testing.T) {
	code, out, _ := runDevicesWith(t, session.Machine{OpenNVML: mockNVML(t)}, "--format", "json", "--pcie")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	gpus := rep["gpus"].([]any)
	g := gpus[0].(map[string]any)
	checks := map[string]any{
		"power_draw_watts":        123.456,
		"power_limit_watts":       700.0,
		"memory_used_bytes":       float64(10 << 30),
		"memory_total_bytes":      float64(80 << 30),
		"temperature_gpu_celsius": nil,
		"pci_bus_id":              "00000000:18:00.0",
		"cuda_device":             "cuda:0",
		"name":                    "FAKE NVIDIA H100 80GB HBM3",
		"clocks_max_sm_mhz":       1980.0,
	}
	for k, want := range checks {
		if got, ok := g[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := g["pcie_tx_bytes_per_second"].(float64); !ok {
		t.Errorf("PCIe missing with --pcie: %v", g["pcie_tx_bytes_per_second"])
	}
	procs := g["processes"].([]any)
	if p := procs[0].(map[string]any); p["pid"] != 4242.0 || p["this_process"] != true {
		t.Errorf("process %v", p)
	}
	if rep["nvml"].(map[string]any)["available"] != true {
		t.Error("nvml not available")
	}
}

func TestDevicesJSONWithoutDriver(t *testing.T) {
	_, out, _ := runDevicesWith(t, session.Machine{OpenNVML: noDriver}, "--format=json")
	var rep report.Devices
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.NVML.Available || rep.NVML.Error != gpuinfo.ErrNoDriver.Error() || len(rep.Engines) != 2 {
		t.Fatalf("%+v", rep)
	}
}

func TestDevicesBadFlags(t *testing.T) {
	cases := map[string][]string{
		"unknown format": {"--format", "xml"},
		"too short":      {"--interval", "10ms"},
		"out of range":   {"--fake-gpus", "-1"},
		"":               {"--nope"},
	}
	for want, args := range cases {
		code, _, errs := runDevicesWith(t, session.Machine{OpenNVML: noDriver}, args...)
		if code != ExitUsage || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestDevicesFakeFlagIsLabelled(t *testing.T) {
	code, out, _ := runDevicesWith(t, session.Machine{OpenNVML: noDriver}, "--fake-gpus", "1")
	if code != ExitOK || !strings.Contains(out, "FAKE GPUs") || !strings.Contains(out, "FAKE NVIDIA H100") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestDevicesWatchEndsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	w := &notifyWriter{buf: &out, first: make(chan struct{})}
	done := make(chan int)
	go func() {
		done <- devicesMain(ctx, Env{Stdout: w, Stderr: &out}, []string{"--watch", "--fake-gpus", "1"}, session.Machine{BLAS: func() string { return "" }})
	}()
	<-w.first // the first sample line was written
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "00000000:18:00.0") || !strings.Contains(out.String(), "FAKE") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// notifyWriter signals once a line mentioning a bus id was written.
type notifyWriter struct {
	buf   *bytes.Buffer
	first chan struct{}
	seen  bool
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	if !w.seen && bytes.Contains(p, []byte("00000000:")) {
		w.seen = true
		close(w.first)
	}
	return n, err
}
