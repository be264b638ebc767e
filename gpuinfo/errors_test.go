package gpuinfo

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
)

func TestOpenWithoutDriverExplains(t *testing.T) {
	lib := &mock.Interface{InitFunc: func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }}
	_, err := OpenLibrary(lib, Options{})
	if err == nil || err.Error() != "NVML not available: no NVIDIA driver found (libnvidia-ml.so.1)" {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, ErrNoDriver) {
		t.Fatalf("not ErrNoDriver: %v", err)
	}
}

func TestOpenInitFailuresHaveTheirOwnMessages(t *testing.T) {
	cases := []struct {
		ret  nvml.Return
		want error
		text string
	}{
		{nvml.ERROR_NO_PERMISSION, ErrNoPermission, "insufficient permissions"},
		{nvml.ERROR_LIB_RM_VERSION_MISMATCH, ErrVersionMismatch, "driver/library version mismatch"},
		{nvml.ERROR_DRIVER_NOT_LOADED, ErrDriverNotLoaded, "kernel driver is not loaded"},
		{nvml.ERROR_GPU_IS_LOST, ErrGPULost, "GPU is lost"},
	}
	for _, c := range cases {
		ret := c.ret
		lib := &mock.Interface{InitFunc: func() nvml.Return { return ret }}
		_, err := OpenLibrary(lib, Options{})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%d: err = %v, want %v", int(c.ret), err, c.want)
		}
		if n := strings.Count(err.Error(), "NVML"); n != 1 {
			t.Errorf("%d: %q names NVML %d times", int(c.ret), err, n)
		}
	}
}

func TestOpenPanickingLibraryIsAnError(t *testing.T) {
	_, err := OpenLibrary(&mock.Interface{}, Options{}) // InitFunc nil: the mock panics
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeviceCountPermissionError(t *testing.T) {
	srv, _ := fakeServer(t, 1)
	srv.DeviceGetCountFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_NO_PERMISSION }
	_, err := OpenLibrary(srv, Options{})
	if !errors.Is(err, ErrNoPermission) || !strings.HasPrefix(err.Error(), "device count: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestLostGPUIsExplainedAndOthersContinue(t *testing.T) {
	srv, devs := fakeServer(t, 2)
	devs[1].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	m := openServer(t, srv)
	s := m.Read()
	if s.GPUs[0].Err != "" || !s.GPUs[0].PowerDrawWatts.OK {
		t.Fatalf("GPU 0 should read fine: %+v", s.GPUs[0])
	}
	g := s.GPUs[1]
	if !strings.Contains(g.Err, "GPU is lost") || !strings.Contains(g.Err, "00000000:2A:00.0") {
		t.Fatalf("GPU 1 err = %q", g.Err)
	}
	if g.MemoryUsedBytes.OK || g.TemperatureC.OK {
		t.Fatal("a lost GPU's readings must be missing")
	}
}

func TestLostHandleAtOpen(t *testing.T) {
	srv, _ := fakeServer(t, 2)
	inner := srv.DeviceGetHandleByIndexFunc
	srv.DeviceGetHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
		if i == 1 {
			return nil, nvml.ERROR_GPU_IS_LOST
		}
		return inner(i)
	}
	m := openServer(t, srv)
	s := m.Read()
	if !strings.Contains(s.GPUs[1].Err, "GPU is lost") || s.GPUs[0].Err != "" {
		t.Fatalf("errs = %q, %q", s.GPUs[0].Err, s.GPUs[1].Err)
	}
}

// TestRealLibrary opens the real NVML, whatever this machine has. With a
// driver, every GPU reads under its own index. Without one, or with one that
// fails, the error is one the displays explain; and where no
// libnvidia-ml.so.1 exists at all, it is ErrNoDriver.
func TestRealLibrary(t *testing.T) {
	m, err := Open(Options{})
	if err == nil {
		defer m.Close()
		s := m.Read()
		if len(s.GPUs) != len(m.Devices()) {
			t.Fatalf("%d GPUs enumerated, %d read", len(m.Devices()), len(s.GPUs))
		}
		for i, g := range s.GPUs {
			if g.Index != i || g.PCIBusID == "" {
				t.Errorf("GPU %d reads as index %d, bus id %q", i, g.Index, g.PCIBusID)
			}
		}
		return
	}
	explained := []error{ErrNoDriver, ErrDriverNotLoaded, ErrNoPermission, ErrGPULost, ErrVersionMismatch}
	if !slices.ContainsFunc(explained, func(e error) bool { return errors.Is(err, e) }) {
		t.Fatalf("Open failed with %q, which wraps none of the errors the displays explain", err)
	}
	if !driverLibraryPresent() && !errors.Is(err, ErrNoDriver) {
		t.Fatalf("no libnvidia-ml.so.1 on this machine, yet Open said %q rather than ErrNoDriver", err)
	}
}

// driverLibraryPresent reports whether a libnvidia-ml.so.1 lies where the
// dynamic loader looks for it.
func driverLibraryPresent() bool {
	dirs := []string{"/usr/lib", "/usr/lib64", "/usr/lib/*-linux-gnu", "/usr/local/nvidia/lib64", "/usr/local/cuda*/compat"}
	dirs = append(dirs, filepath.SplitList(os.Getenv("LD_LIBRARY_PATH"))...)
	for _, d := range dirs {
		if m, _ := filepath.Glob(filepath.Join(d, "libnvidia-ml.so.1")); len(m) > 0 {
			return true
		}
	}
	return false
}
