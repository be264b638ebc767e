package session

import (
	"errors"

	"infertop/engine"
	"infertop/engine/cpu"
	"infertop/internal/blas"
	"infertop/model"
)

// NewRegistry returns the engines this build has: the CPU engine always
// (model graph steps, OpenBLAS loaded at run time or gonum), CUDA only in a
// -tags gpu build (see registry_gpu.go and registry_nogpu.go).
func NewRegistry() *engine.Registry {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(d engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		if err := chosenBLAS(); err != nil {
			return nil, err // the person chose a library: never run on another in silence
		}
		return cpu.New(d, m, o)
	})
	registerCUDA(r)
	return r
}

// chosenBLAS is the error of a BLAS library named by INFERTOP_BLAS that
// does not load (a *blas.ChosenError with the loader's message), nil when
// it loads or none is named.
func chosenBLAS() error {
	_, err := blas.Load(blas.Options{})
	var ce *blas.ChosenError
	if errors.As(err, &ce) {
		return err
	}
	return nil
}

// CheckBLAS refuses, with a *UsageError, a run on the CPU engine when the
// BLAS library INFERTOP_BLAS names does not load: the loader's message and
// the way out, before anything runs.
func (m Machine) CheckBLAS() error {
	check := m.BLASError
	if check == nil {
		check = chosenBLAS
	}
	if err := check(); err != nil {
		return &UsageError{Msg: err.Error()}
	}
	return nil
}

// EnvVar is an environment variable the engines read.
type EnvVar struct{ Name, Doc string }

// Environment lists the environment variables the engines read, for
// "infertop help". Their names come from the engine package, so the
// default build lists the CUDA engine's without compiling it in.
func Environment() []EnvVar {
	return []EnvVar{
		{blas.EnvPath, "the OpenBLAS library the CPU engine loads (default libopenblas.so.0, else the pure-Go BLAS); \"gonum\" chooses the pure-Go BLAS; a file that does not load is an error"},
		{engine.CPUISAEnv, "the instruction set of the CPU engine's packed products: auto (the best the CPU runs), avx512 or avx2"},
		{"CUDA_VISIBLE_DEVICES", "which GPUs CUDA sees; cuda:N counts the visible ones in PCI order"},
		{engine.CublasEnv, "the libcublas.so the CUDA engine loads (default: .13, .12, .11, then PyTorch's copies)"},
		{engine.CudnnEnv, "the libcudnn.so the CUDA engine loads for convolutions, or \"off\" (default: .9, .8, PyTorch's)"},
		{engine.CUDAConvEnv, "how CUDA convolutions run: auto (each way timed per layer), im2col, implicit or cudnn"},
	}
}
