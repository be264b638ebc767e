package session

import (
	"infertop/engine"
	"infertop/engine/cpu"
	"infertop/internal/blas"
)

// NewRegistry returns the engines this build has: the CPU engine always
// (gorgonia graph, OpenBLAS loaded at run time or gonum), CUDA only in a
// -tags gpu build (see registry_gpu.go and registry_nogpu.go).
func NewRegistry() *engine.Registry {
	r := engine.NewRegistry()
	r.Register(engine.CPU, cpu.New)
	registerCUDA(r)
	return r
}

// EnvVar is an environment variable the engines read.
type EnvVar struct{ Name, Doc string }

// Environment lists the environment variables the engines read, for
// "infertop help". Their names come from the engine package, so the
// default build lists the CUDA engine's without compiling it in.
func Environment() []EnvVar {
	return []EnvVar{
		{blas.EnvPath, "the OpenBLAS library the CPU engine loads (default libopenblas.so.0, else the pure-Go BLAS)"},
		{"CUDA_VISIBLE_DEVICES", "which GPUs CUDA sees; cuda:N counts the visible ones in PCI order"},
		{engine.CublasEnv, "the libcublas.so the CUDA engine loads (default: .13, .12, .11, then PyTorch's copies)"},
		{engine.CudnnEnv, "the libcudnn.so the CUDA engine loads for convolutions, or \"off\" (default: .9, .8, PyTorch's)"},
		{engine.CUDAConvEnv, "how CUDA convolutions run: auto (each way timed per layer), im2col, implicit or cudnn"},
	}
}
