package gpuinfo

import (
	"errors"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Errors callers can test with errors.Is. Their texts are what the displays show.
var (
	// ErrNoDriver: libnvidia-ml.so.1 could not be loaded.
	ErrNoDriver = errors.New("NVML not available: no NVIDIA driver found (libnvidia-ml.so.1)")
	// ErrDriverNotLoaded: the library loaded but the kernel driver does not answer.
	ErrDriverNotLoaded = errors.New("NVML: libnvidia-ml.so.1 was found but the NVIDIA kernel driver is not loaded")
	// ErrNoPermission: the user may not open the GPU device files.
	ErrNoPermission = errors.New("NVML: insufficient permissions (this user cannot query the GPU; check access to /dev/nvidia*)")
	// ErrGPULost: the GPU fell off the bus or stopped responding.
	ErrGPULost = errors.New("NVML: GPU is lost (fell off the bus or stopped responding; see dmesg, a GPU reset or reboot is needed)")
	// ErrVersionMismatch: the kernel module and libnvidia-ml.so.1 are from different driver versions.
	ErrVersionMismatch = errors.New("NVML: driver/library version mismatch (the loaded nvidia kernel module and libnvidia-ml.so.1 differ; reboot or reload the module)")
	// ErrNotSupported: the device does not support the field; displays show n/a.
	ErrNotSupported = errors.New("not supported on this device")
	// ErrInterval: the sampling interval is below the minimum.
	ErrInterval = errors.New("sampling interval too short")
)

// nvmlError turns an NVML return code into an error wrapping the matching
// sentinel, with op as context; nil on success.
func nvmlError(op string, ret nvml.Return) error {
	var base error
	switch ret {
	case nvml.SUCCESS:
		return nil
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return ErrNoDriver
	case nvml.ERROR_DRIVER_NOT_LOADED:
		base = ErrDriverNotLoaded
	case nvml.ERROR_NO_PERMISSION:
		base = ErrNoPermission
	case nvml.ERROR_GPU_IS_LOST:
		base = ErrGPULost
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH:
		base = ErrVersionMismatch
	case nvml.ERROR_NOT_SUPPORTED:
		base = ErrNotSupported
	default:
		return fmt.Errorf("%s: NVML error %d (%s)", op, int32(ret), returnName(ret))
	}
	return fmt.Errorf("%s: %w", op, base)
}

// returnName names codes without calling into the library.
func returnName(ret nvml.Return) string {
	switch ret {
	case nvml.ERROR_UNINITIALIZED:
		return "uninitialized"
	case nvml.ERROR_INVALID_ARGUMENT:
		return "invalid argument"
	case nvml.ERROR_FUNCTION_NOT_FOUND:
		return "function not found in this driver"
	case nvml.ERROR_ARGUMENT_VERSION_MISMATCH:
		return "argument version mismatch"
	case nvml.ERROR_TIMEOUT:
		return "timeout"
	case nvml.ERROR_NOT_FOUND:
		return "not found"
	case nvml.ERROR_INSUFFICIENT_SIZE:
		return "insufficient size"
	}
	return "unknown"
}

// call runs one NVML getter, turning its return code into an error and a
// panic (a driver or mock fault) into an error too, so nothing escapes.
func call[T any](op string, f func() (T, nvml.Return)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("%s: NVML call panicked: %v", op, r)
		}
	}()
	v, ret := f()
	if e := nvmlError(op, ret); e != nil {
		var zero T
		return zero, e
	}
	return v, nil
}
