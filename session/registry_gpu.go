//go:build gpu

package session

import (
	"infertop/engine"
	"infertop/engine/cuda"
)

// CUDABuild says whether this binary has the CUDA engine.
const CUDABuild = true

func registerCUDA(r *engine.Registry) {
	r.Register(engine.CUDA, cuda.New)
}
