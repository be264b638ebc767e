//go:build !gpu

package session

import "infertop/engine"

// CUDABuild says whether this binary has the CUDA engine.
const CUDABuild = false

func registerCUDA(r *engine.Registry) {
	r.Unavailable(engine.CUDA, "this binary was built without CUDA; build with `go build -tags gpu` on a machine with the NVIDIA driver (see README)")
}
