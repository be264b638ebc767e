//go:build gpu

package cli

import (
	"infertop/engine"
	"infertop/engine/cuda"
)

// cudaBuild says whether this binary has the CUDA engine.
const cudaBuild = true

func registerCUDA(r *engine.Registry) {
	r.Register(engine.CUDA, cuda.New)
}
