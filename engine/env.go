package engine

// Environment variables the engines read, named here so that a build without
// an engine (the default build has no CUDA) can still document them.
const (
	// CublasEnv points the CUDA engine at a libcublas.so to use.
	CublasEnv = "INFERTOP_CUBLAS"
	// CudnnEnv points the CUDA engine at a libcudnn.so to use, or is "off"
	// to run without cuDNN.
	CudnnEnv = "INFERTOP_CUDNN"
	// CUDAConvEnv forces the CUDA engine's way of computing convolutions
	// (auto, im2col, implicit or cudnn).
	CUDAConvEnv = "INFERTOP_CUDA_CONV"
	// CPUISAEnv chooses the instruction set of the CPU engine's packed
	// product kernel (auto, avx512 or avx2), at most what the CPU
	// runs; tests set it to cover every build of the kernel on one machine.
	CPUISAEnv = "INFERTOP_CPU_ISA"
)
