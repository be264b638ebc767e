// Package cuda is infertop's CUDA engine. The device-neutral part (this file and
// the other untagged files) turns a preset and a batch size into a Plan: the
// buffers to allocate and the ordered list of cuBLAS GEMMs and kernel launches,
// with every dimension, leading dimension, stride, grid and block spelled out.
// The files built with the `gpu` tag only execute a Plan on a GPU through
// gorgonia.org/cu and a run-time loaded cuBLAS. Because the Plan is plain data,
// its tests execute it on the CPU (a column-major sgemm and Go versions of the
// kernels) and compare the result with engine/reference.
package cuda

import (
	"fmt"
	"math"

	"infertop/presets"
)

// Role says what a buffer holds.
type Role int

// Buffer roles.
const (
	// RoleWeight holds one learnable tensor; it is uploaded once and kept across batches.
	RoleWeight Role = iota
	// RoleInput holds the batch's input.
	RoleInput
	// RoleActivation holds one layer's output for the whole batch.
	RoleActivation
	// RoleWorkspace is scratch space (im2col columns); a plan has one only when
	// a convolution takes the im2col way.
	RoleWorkspace
)

// Buffer is one device allocation of float32 values.
type Buffer struct {
	// Name says what the buffer is for, in messages.
	Name string
	// Role says what it holds.
	Role Role
	// Floats is its size in float32 values.
	Floats int64
	// Param is the weight's name (e.g. "fc1.weight") when Role is RoleWeight.
	Param string
}

// Ref points into a buffer: buffer index and offset in float32 values.
type Ref struct {
	Buf int
	Off int64
}

// Plus returns the reference moved by n values.
func (r Ref) Plus(n int64) Ref { return Ref{r.Buf, r.Off + n} }

// ArgKind is the type of one kernel parameter. Every kernel parameter is 8 bytes wide.
type ArgKind int

// Kernel parameter types.
const (
	// ArgPtr is a device pointer (float*).
	ArgPtr ArgKind = iota
	// ArgInt is a long long.
	ArgInt
	// ArgFloat is a double.
	ArgFloat
)

// Arg is one kernel parameter.
type Arg struct {
	Kind  ArgKind
	Ref   Ref
	Int   int64
	Float float64
}

func ptr(r Ref) Arg     { return Arg{Kind: ArgPtr, Ref: r} }
func i64(v int64) Arg   { return Arg{Kind: ArgInt, Int: v} }
func f64(v float64) Arg { return Arg{Kind: ArgFloat, Float: v} }
func nilPtr() Arg       { return Arg{Kind: ArgPtr, Ref: Ref{Buf: -1}} }

// IsNull reports a pointer argument that points at no buffer (a null pointer).
func (a Arg) IsNull() bool { return a.Kind == ArgPtr && a.Ref.Buf < 0 }

// Gemm is one cuBLAS call in cuBLAS's own column-major terms:
// C = Alpha·op(A)·op(B) + Beta·C with op(A) M×K, op(B) K×N and C M×N, each
// matrix stored column-major with its leading dimension. Batch > 1 makes it a
// cublasSgemmStridedBatched call with the given strides (in float32 values).
type Gemm struct {
	TransA, TransB            bool
	M, N, K                   int
	Alpha, Beta               float32
	A, B, C                   Ref
	LdA, LdB, LdC             int
	Batch                     int
	StrideA, StrideB, StrideC int64
}

// Dim3 is a grid or block size, as cuLaunchKernel takes it.
type Dim3 struct{ X, Y, Z int }

// Size is X·Y·Z.
func (d Dim3) Size() int64 { return int64(d.X) * int64(d.Y) * int64(d.Z) }

// Launch is one kernel launch. Every kernel loops grid-stride over each grid
// dimension it uses, so any grid within the device's limits covers its work;
// the plan sizes grids to cover it in one pass where the limits allow.
type Launch struct {
	// Kernel is the PTX entry name.
	Kernel string
	// Grid and Block are the launch dimensions.
	Grid, Block Dim3
	// Args are the kernel's parameters, in order.
	Args []Arg
}

// ConvCall is one cudnnConvolutionForward call: Y = W ⋆ X over a batch of N
// NCHW images (cross-correlation, as every framework's "convolution"), square
// kernel, the same stride and padding both ways, alpha 1 and beta 0. Bias and
// activation are the next step's.
type ConvCall struct {
	// X is the input [N, C, H, W], Filter the weights [Out, C, K, K], Y the
	// output [N, Out, OH, OW].
	X, Filter, Y Ref
	N, C, H, W   int
	Out, K       int
	Stride, Pad  int
	OH, OW       int
}

// Step is one GEMM, one kernel launch or one cuDNN convolution.
type Step struct {
	// Layer names the preset layer the step belongs to.
	Layer string
	// Exactly one is set: Gemm for a cuBLAS call, Conv for a cuDNN
	// convolution, Launch for one of our kernels.
	Gemm   *Gemm
	Conv   *ConvCall
	Launch *Launch
}

// Kernel names what the step runs: the kernel's entry name, for a GEMM
// "sgemm M×N×K×batch", for a cuDNN convolution "cudnn conv N×C×H×W k K s S p P → Out".
func (s *Step) Kernel() string {
	if g := s.Gemm; g != nil {
		return fmt.Sprintf("sgemm %d×%d×%d×%d", g.M, g.N, g.K, g.Batch)
	}
	if c := s.Conv; c != nil {
		return fmt.Sprintf("cudnn conv %d×%d×%d×%d k%d s%d p%d → %d", c.N, c.C, c.H, c.W, c.K, c.Stride, c.Pad, c.Out)
	}
	return s.Launch.Kernel
}

// Plan is everything a device needs to run one preset at one batch size.
type Plan struct {
	Preset string
	Batch  int
	// Buffers lists every allocation; weights first, then the input, then the rest.
	Buffers []Buffer
	// Input and Output are the batch's input and output (batch × InputSize / OutputSize values).
	Input, Output Ref
	// InputFloats and OutputFloats are their sizes.
	InputFloats, OutputFloats int64
	// Steps run in order on one stream.
	Steps []Step
	// Conv is the way each convolution took, by layer name.
	Conv map[string]ConvWay
}

// Block is the thread count of every launch (BLOCK in kernels.cu; the row
// kernels' shared arrays are that size).
const Block = 256

// Grid bounds: CUDA allows 2^31−1 blocks in x and 65535 in y and z; the plans
// keep x at 2^30. Kernels loop (grid-stride) beyond them.
const (
	maxGridX  = 1 << 30
	maxGridYZ = 65535
)

// Build makes the plan for preset p at the given batch size, every
// convolution the im2col way.
func Build(p *presets.Preset, batch int) (*Plan, error) {
	return BuildWith(p, batch, Options{})
}

// BuildWith makes the plan for preset p at the given batch size with the ways
// that opts choose.
func BuildWith(p *presets.Preset, batch int, opts Options) (*Plan, error) {
	return build(p, batch, Dim3{X: maxGridX, Y: maxGridYZ, Z: maxGridYZ}, opts)
}

// build makes the plan with grids bounded by caps (tests pass small caps so
// that every grid-stride loop runs more than once).
func build(p *presets.Preset, batch int, caps Dim3, opts Options) (*Plan, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("preset %s: batch must be positive, got %d", p.Name, batch)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := &builder{plan: &Plan{Preset: p.Name, Batch: batch, Conv: map[string]ConvWay{}}, n: int64(batch),
		weights: map[string]int{}, work: -1, caps: caps, opts: opts}
	for _, q := range p.Params() {
		b.weights[q.Name] = b.add(Buffer{Name: q.Name, Role: RoleWeight, Floats: int64(q.Size()), Param: q.Name})
	}
	b.plan.InputFloats = b.n * int64(p.InputSize())
	in := Ref{Buf: b.add(Buffer{Name: "input", Role: RoleInput, Floats: b.plan.InputFloats})}
	b.plan.Input = in
	if ws := p.WorkspacePerSample(); ws > 0 && opts.fullWorkspace {
		b.workspace(ws)
	}
	out, shape, err := b.layers(p.Layers, in, p.Input)
	if err != nil {
		return nil, fmt.Errorf("preset %s: %w", p.Name, err)
	}
	if got := prod(shape); got != p.OutputSize() {
		return nil, fmt.Errorf("preset %s: plan ends with %d values per sample, preset says %d", p.Name, got, p.OutputSize())
	}
	b.plan.Output = out
	b.plan.OutputFloats = b.n * int64(p.OutputSize())
	return b.plan, nil
}

type builder struct {
	plan    *Plan
	n       int64
	weights map[string]int
	work    int // workspace buffer, −1 until a convolution needs one
	caps    Dim3
	opts    Options
}

func (b *builder) add(buf Buffer) int {
	b.plan.Buffers = append(b.plan.Buffers, buf)
	return len(b.plan.Buffers) - 1
}

// act allocates a new activation buffer for per-sample shape s.
func (b *builder) act(name string, s []int) Ref {
	return Ref{Buf: b.add(Buffer{Name: name, Role: RoleActivation, Floats: b.n * int64(prod(s))})}
}

func (b *builder) weight(name string) (Ref, error) {
	i, ok := b.weights[name]
	if !ok {
		return Ref{}, fmt.Errorf("no weight %q", name)
	}
	return Ref{Buf: i}, nil
}

func (b *builder) gemm(layer string, g Gemm) {
	if g.Batch == 0 {
		g.Batch = 1
	}
	b.plan.Steps = append(b.plan.Steps, Step{Layer: layer, Gemm: &g})
}

// launch appends a kernel launch with grid g (each dimension capped) and block blk.
func (b *builder) launch(layer, kernel string, g, blk Dim3, args ...Arg) {
	g = Dim3{X: capDim(g.X, b.caps.X), Y: capDim(g.Y, b.caps.Y), Z: capDim(g.Z, b.caps.Z)}
	b.plan.Steps = append(b.plan.Steps, Step{Layer: layer, Launch: &Launch{Kernel: kernel, Grid: g, Block: blk, Args: args}})
}

// elementwise launches a one-thread-per-element kernel over work items.
func (b *builder) elementwise(layer, kernel string, work int64, args ...Arg) {
	b.launch(layer, kernel, Dim3{X: blocks(work, Block), Y: 1, Z: 1}, Dim3{X: Block, Y: 1, Z: 1}, args...)
}

// rowwise launches a one-block-per-row kernel.
func (b *builder) rowwise(layer, kernel string, rows int64, args ...Arg) {
	b.launch(layer, kernel, Dim3{X: clampInt(rows), Y: 1, Z: 1}, Dim3{X: Block, Y: 1, Z: 1}, args...)
}

// blocks is ceil(work/per), at least 1, clamped to an int.
func blocks(work, per int64) int { return clampInt(max((work+per-1)/per, 1)) }

func clampInt(v int64) int { return int(min(v, math.MaxInt32)) }

// capDim bounds a grid dimension to [1, limit].
func capDim(v, limit int) int { return max(1, min(v, limit)) }

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}
