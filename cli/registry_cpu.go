package cli

import (
	"infertop/engine"
	"infertop/engine/cpu"
)

// registerCPU adds the CPU engine (gorgonia graph, OpenBLAS loaded at run time or gonum).
func registerCPU(r *engine.Registry) {
	r.Register(engine.CPU, cpu.New)
}
