//go:build gpu

package cuda

/*
#cgo LDFLAGS: -lcuda
#include <stdlib.h>
#include <cuda.h>

// CUDA numbers devices in PCI bus order only when told before cuInit, which
// gorgonia.org/cu runs in its package init; a constructor runs at load time, earlier.
__attribute__((constructor)) static void infertop_cuda_order(void) {
	setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 0);
}

static int infertop_host_alloc(void** p, size_t n) { return (int)cuMemHostAlloc(p, n, 0); }
static int infertop_host_free(void* p) { return (int)cuMemFreeHost(p); }
static int infertop_pci_bus_id(char* buf, int len, int dev) { return (int)cuDeviceGetPCIBusId(buf, len, (CUdevice)dev); }
static const char* infertop_error_name(int r) {
	const char* s = 0;
	if (cuGetErrorName((CUresult)r, &s) != CUDA_SUCCESS || s == 0) return "unknown CUDA error";
	return s;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// cudaOOM is CUDA_ERROR_OUT_OF_MEMORY.
const cudaOOM = 2

// errOOM marks an allocation that failed for lack of memory.
var errOOM = errors.New("CUDA_ERROR_OUT_OF_MEMORY")

// check wraps a cu error with the call that returned it; an out-of-memory result also wraps errOOM.
func check(call string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, cu.OutOfMemory) {
		return fmt.Errorf("%s: %w (%w)", call, err, errOOM)
	}
	return fmt.Errorf("%s: %w", call, err)
}

func driverErr(call string, r C.int) error {
	if r == 0 {
		return nil
	}
	err := fmt.Errorf("%s: %s (CUresult %d)", call, C.GoString(C.infertop_error_name(r)), int(r))
	if r == cudaOOM {
		return fmt.Errorf("%w (%w)", err, errOOM)
	}
	return err
}

// hostAlloc returns n bytes of page-locked host memory (cuMemHostAlloc) in the current context.
func hostAlloc(n int64) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	if err := driverErr(fmt.Sprintf("cuMemHostAlloc(%d bytes)", n), C.infertop_host_alloc(&p, C.size_t(n))); err != nil {
		return nil, err
	}
	return p, nil
}

// hostFree releases memory from hostAlloc.
func hostFree(p unsafe.Pointer) error {
	if p == nil {
		return nil
	}
	return driverErr("cuMemFreeHost", C.infertop_host_free(p))
}

// pciBusID returns the device's PCI address, e.g. "0000:19:00.0".
func pciBusID(ordinal int) (string, error) {
	buf := make([]byte, 64)
	if err := driverErr("cuDeviceGetPCIBusId", C.infertop_pci_bus_id((*C.char)(unsafe.Pointer(&buf[0])), C.int(len(buf)), C.int(ordinal))); err != nil {
		return "", err
	}
	return C.GoString((*C.char)(unsafe.Pointer(&buf[0]))), nil
}
