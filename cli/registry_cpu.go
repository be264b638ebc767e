package cli

import "infertop/engine"

// registerCPU adds the CPU engine (replaced once engine/cpu exists).
func registerCPU(r *engine.Registry) {
	r.Unavailable(engine.CPU, "CPU engine not built yet")
}
