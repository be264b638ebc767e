package cli

import (
	"infertop/engine"
)

// newRegistry returns the engines this build has: the CPU engine always, CUDA
// only in a -tags gpu build (see registry_gpu.go / registry_nogpu.go).
func newRegistry() *engine.Registry {
	r := engine.NewRegistry()
	registerCPU(r)
	registerCUDA(r)
	return r
}
