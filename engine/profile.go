package engine

import (
	"time"

	"infertop/model"
)

// StepProfiler is implemented by executors that can time each step of their
// plan, as trtexec's --dumpProfile does: a profiling batch computes what Run
// computes, and says how long each step took. The runner calls it for a
// profiling batch now and then, never for a measured one, so the timing of
// the steps never colours the headline figures.
type StepProfiler interface {
	// Steps describes the prepared batch's steps in the order they run; nil
	// before Prepare. The slice is the executor's: a caller must not change it,
	// and it is valid until the next Prepare or Close.
	Steps() []Step
	// RunProfiled runs one batch as Run does and writes each step's time
	// into times, which holds one entry per step of Steps. Like Run it must
	// not allocate in steady state.
	RunProfiled(in, out []*model.Tensor, times []time.Duration) (Timing, error)
}

// Step describes one step of an executor's plan: a node of the compiled
// graph (which may cover several nodes of the graph as loaded, fused into
// one) or a step of the engine's own, such as a layout change.
type Step struct {
	// Name is the compiled node's name, or the engine's name for a step of
	// its own (a layout change is named after the value it converts).
	Name string
	// Op is the compiled node's op ("FusedConv", "Linear", "Relu") or the
	// engine's word for a step of its own ("layout").
	Op string
	// Covers names the nodes of the graph as loaded (ONNX nodes or preset
	// layers) the step computes; empty for a step of the engine's own.
	Covers []string
	// FLOPs are the step's analytic floating-point operations at the
	// prepared batch (model.NodeFLOPs: 0 for every op but products,
	// convolutions and attention).
	FLOPs int64
	// Bytes are the bytes the step reads and writes: its inputs, weights
	// included, and its outputs, each once.
	Bytes int64
	// Way says how it runs: the kernel or library call, a convolution's
	// way, a product's split.
	Way string
	// Threads is the number of threads the step computes with; 0 for a
	// GPU's step, whose launches Way describes.
	Threads int
}
