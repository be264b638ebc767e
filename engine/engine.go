// Package engine says how a model graph executes on one device: the
// Executor interface every engine implements, device names, the registry
// that opens an executor for a device, and the environment variables the
// engines read.
//
// It and the engines under it (engine/cpu, engine/cuda) never import the
// runner or anything above it (sweep, session, report, ui, cli), gpuinfo, or
// a file format's reader (onnx): they see only model graphs, what
// model.Model.Bind compiles, never the file a graph came from.
package engine

import (
	"errors"
	"fmt"
	"time"

	"infertop/internal/units"
	"infertop/model"
)

// Executor runs one model on one device. It is used from one goroutine at a time.
type Executor interface {
	// Prepare compiles the model for a batch size (model.Model.Bind) and
	// allocates everything that batch needs (weights stay between calls). It
	// frees the previous batch's buffers first. An error that wraps
	// ErrOutOfMemory means the batch does not fit; the executor is then left
	// with no batch prepared and can be prepared again with a smaller one. A
	// batch the model cannot run at (a fixed-batch export) is refused with the
	// model's own message.
	Prepare(batch int) error
	// Signature describes the prepared batch's inputs and outputs, in the
	// graph's order, with the batch in their shapes; nil, nil before Prepare.
	Signature() (in, out []model.TensorSpec)
	// Run executes one batch: in holds one tensor per input and out one per
	// output, each of the dtype and shape Signature gives. Run reads in and
	// writes out; it must not allocate in steady state.
	Run(in, out []*model.Tensor) (Timing, error)
	// Memory reports what the executor holds now.
	Memory() Memory
	// Info describes the executor for displays and reports; the runner reads
	// it again after every Prepare, since it may describe the prepared batch.
	Info() Info
	// Close frees everything. The executor cannot be used afterwards.
	Close() error
}

// HostBuffers is implemented by executors that keep their own host-side input
// and output tensors for the prepared batch (a GPU engine's page-locked
// staging). A caller that fills the input tensors and passes both lists to Run
// lets the executor skip its host copies: Run then only issues the device
// copies (host→device and device→host from and to those buffers), which stay
// inside the batch's measured time. The tensors are valid until the next
// Prepare or Close; a caller must not keep them past either.
type HostBuffers interface {
	// HostBuffers returns the prepared batch's input and output tensors, or
	// nil, nil when no batch is prepared or the executor cannot offer its own
	// buffers (then the caller passes tensors of its own to Run, as with any
	// executor).
	HostBuffers() (in, out []*model.Tensor)
}

// Timing is what the device itself measured for one batch. CPU engines leave it zero;
// GPU engines fill it from events recorded on the stream.
type Timing struct {
	// Valid says the fields below were measured.
	Valid bool
	// H2D, Compute and D2H are the copy in, the kernels, and the copy out.
	H2D, Compute, D2H time.Duration
	// Enqueue is the host time spent issuing the batch's work before waiting for
	// it; host copies into staging buffers are not part of it.
	Enqueue time.Duration
}

// Memory is what an executor holds.
type Memory struct {
	// HostBytes is host memory the engine allocated (weights, buffers, pinned staging).
	HostBytes int64
	// DeviceBytes is memory held on each device, keyed by device name (e.g. "cuda:0").
	DeviceBytes map[string]int64
}

// Info describes an executor.
type Info struct {
	// Device is the canonical device name, e.g. "cpu" or "cuda:0".
	Device string
	// Engine names the implementation, e.g. "cpu+openblas" or "cuda+cublas".
	Engine string
	// Detail is free text such as the BLAS library, the GPU name and bus id.
	Detail string
	// Plan says how the prepared batch computes where that depends on the
	// batch (the CUDA engine: which way each convolution takes, and why);
	// empty when nothing does or no batch is prepared.
	Plan string
	// Threads is the number of threads the engine computes with (CPU engines).
	Threads int
	// PeakGFLOPS is the device's measured sgemm peak, 0 when not calibrated.
	PeakGFLOPS float64
	// Peak says how PeakGFLOPS was taken (rounds, spread, cached or not).
	Peak Peak
	// Precision is the type the executor multiplies and convolves in (what
	// Options.Precision asked for; CPU engines always float32).
	Precision Precision
}

// ErrOutOfMemory is wrapped by Prepare errors when a batch does not fit.
var ErrOutOfMemory = errors.New("out of memory")

// OOMError carries the numbers of an out-of-memory refusal.
type OOMError struct {
	Device    string
	Batch     int
	Need      int64
	Available int64
}

// Error reads like "batch 8192 needs 9.3 GiB on cuda:0, 6.1 GiB free".
func (e *OOMError) Error() string {
	return fmt.Sprintf("batch %d needs %s on %s, %s available", e.Batch, units.Bytes(e.Need), e.Device, units.Bytes(e.Available))
}

// Unwrap makes errors.Is(err, ErrOutOfMemory) hold.
func (e *OOMError) Unwrap() error { return ErrOutOfMemory }

// Options configure an executor.
type Options struct {
	// Seed draws the input data callers feed (model.FillInputs); the weights
	// are the model's own.
	Seed uint64
	// Threads bounds CPU compute threads; 0 means all cores.
	Threads int
	// DataResident keeps the input on the device between batches (GPU engines):
	// the end-to-end latency then excludes the copies.
	DataResident bool
	// Recalibrate measures the device's sgemm peak (Info.PeakGFLOPS) again
	// instead of reading it from the cache, and caches the new figure.
	Recalibrate bool
	// Precision is the type GPU engines multiply and convolve in (matrix
	// products and convolutions; norms, softmax and element-wise work stay
	// float32). The zero value is full float32. CPU engines compute float32
	// only and refuse any other.
	Precision Precision
}

// Factory opens an executor for a model on a device. It refuses, with a
// *model.UnsupportedError listing every node, a model whose compiled graph
// needs an op the engine cannot run.
type Factory func(d Device, m *model.Model, opts Options) (Executor, error)
