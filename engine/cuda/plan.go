// Package cuda is infertop's CUDA engine. The device-neutral part (this file and
// the other untagged files) turns a compiled model graph (what
// model.Model.Bind returns: every shape known, patterns fused) into a Plan: the
// buffers to allocate and the ordered list of cuBLAS GEMMs, cuDNN
// convolutions and kernel launches, with every dimension, leading dimension,
// stride, grid and block spelled out, each step naming the graph node it
// computes. The files built with the `gpu` tag only execute a Plan on a GPU
// through gorgonia.org/cu and run-time loaded cuBLAS and cuDNN. Because the
// Plan is plain data, its tests execute it on the CPU (a column-major sgemm
// and Go versions of the kernels) and compare the result with model.Eval.
package cuda

import (
	"fmt"
	"math"

	"infertop/model"
)

// Role says what a buffer holds.
type Role int

// Buffer roles.
const (
	// RoleWeight holds one constant of the graph (or zeros); it is uploaded
	// once and kept across batches.
	RoleWeight Role = iota
	// RoleInput holds one of the graph's inputs for the batch.
	RoleInput
	// RoleActivation holds values the steps compute: one at a time, each
	// from the step that writes it to the last step that reads it.
	RoleActivation
	// RoleWorkspace is scratch space (im2col columns); a plan has one only when
	// a convolution takes the im2col way.
	RoleWorkspace
)

// Elem is the type of a buffer's values, or of a GEMM's A and B operands.
type Elem int

// Element types. Every buffer but a reduced-precision weight holds float32
// values; half-precision copies of activations live in float32 buffers,
// two to a float32 value (the low half first).
const (
	// ElemF32 is float32.
	ElemF32 Elem = iota
	// ElemF16 is IEEE half precision.
	ElemF16
	// ElemBF16 is bfloat16.
	ElemBF16
	// ElemI64 is a 64-bit integer: every integer and bool value (token
	// ids, masks, shapes, comparisons), held widened as the CPU engine
	// holds integers; a bool is 0 or 1.
	ElemI64
)

// Size is the element's size in bytes.
func (e Elem) Size() int64 {
	switch e {
	case ElemF32:
		return 4
	case ElemI64:
		return 8
	}
	return 2
}

// String is the type's short name: f32, f16 or bf16.
func (e Elem) String() string {
	switch e {
	case ElemF32:
		return "f32"
	case ElemF16:
		return "f16"
	case ElemBF16:
		return "bf16"
	case ElemI64:
		return "i64"
	}
	return fmt.Sprintf("Elem(%d)", int(e))
}

// halfFloats is how many float32 values hold n half-precision values.
func halfFloats(n int64) int64 { return (n + 1) / 2 }

// Buffer is one device allocation.
type Buffer struct {
	// Name says what the buffer is for, in messages: a constant's or an
	// input's name, "activations N", "im2col" or "zeros".
	Name string
	// Role says what it holds.
	Role Role
	// Floats is its size in values of its Type (float32 values unless
	// Type says otherwise).
	Floats int64
	// Type is the type of its values: float32 but for the weights a
	// reduced-precision plan converts once when it uploads them.
	Type Elem
	// Const is the constant a weight buffer holds; nil for a weight buffer
	// of zeros (the bias of a node that has none).
	Const *model.Tensor
}

// Bytes is the buffer's size in bytes.
func (b Buffer) Bytes() int64 { return b.Floats * b.Type.Size() }

// elemOf is the element type that holds values of dtype dt on the device:
// float32, or int64 for the integer types and bool (held widened, as the
// CPU engine holds integers).
func elemOf(dt model.DType) Elem {
	if dt.IsInt() || dt == model.Bool {
		return ElemI64
	}
	return ElemF32
}

// constInt64 is an integer or bool constant's values as the device holds
// them (int64; a bool 0 or 1).
func constInt64(t *model.Tensor) []int64 {
	if t.DType != model.Bool {
		return t.I64
	}
	v := make([]int64, len(t.Bool))
	for i, b := range t.Bool {
		if b {
			v[i] = 1
		}
	}
	return v
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
// In says the type of A and B: float32 (cublasSgemm), or a half type
// (cublasGemmEx with float32 sums and a float32 C); A's and B's offsets
// and strides then count half-precision values.
type Gemm struct {
	In                        Elem
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
// kernel, the same stride and padding both ways, alpha 1 and beta 0, in
// Group groups of channels. Bias and activation are the next step's.
type ConvCall struct {
	// X is the input [N, C, H, W], Filter the weights [Out, C/Group, K, K],
	// Y the output [N, Out, OH, OW].
	X, Filter, Y Ref
	N, C, H, W   int
	Out, K       int
	Stride, Pad  int
	OH, OW       int
	// Group is the number of groups (cudnnSetConvolutionGroupCount); 0 and
	// 1 mean an ungrouped convolution.
	Group int
	// Type is the type of X, Filter and Y: float32, or a half type (the
	// convolution then sums in float32, cuDNN's "pseudo half"); X's and
	// Y's offsets count values of that type.
	Type Elem
}

// Groups is the call's group count, at least 1.
func (c *ConvCall) Groups() int { return max(c.Group, 1) }

// Step is one GEMM, one kernel launch or one cuDNN convolution.
type Step struct {
	// Layer names the graph node the step computes (a fused node's name).
	Layer string
	// Exactly one is set: Gemm for a cuBLAS call, Conv for a cuDNN
	// convolution, Launch for one of our kernels.
	Gemm   *Gemm
	Conv   *ConvCall
	Launch *Launch
}

// Kernel names what the step runs: the kernel's entry name, for a GEMM
// "sgemm M×N×K×batch" ("gemmEx f16 M×N×K×batch" in half precision), for a cuDNN convolution "cudnn conv N×C×H×W k K s S p P → Out"
// (with " g G" after the padding when it has G > 1 groups).
func (s *Step) Kernel() string {
	if g := s.Gemm; g != nil {
		if g.In != ElemF32 {
			return fmt.Sprintf("gemmEx %s %d×%d×%d×%d", g.In, g.M, g.N, g.K, g.Batch)
		}
		return fmt.Sprintf("sgemm %d×%d×%d×%d", g.M, g.N, g.K, g.Batch)
	}
	if c := s.Conv; c != nil {
		g := ""
		if c.Groups() > 1 {
			g = fmt.Sprintf(" g%d", c.Groups())
		}
		t := ""
		if c.Type != ElemF32 {
			t = " " + c.Type.String()
		}
		return fmt.Sprintf("cudnn conv%s %d×%d×%d×%d k%d s%d p%d%s → %d", t, c.N, c.C, c.H, c.W, c.K, c.Stride, c.Pad, g, c.Out)
	}
	return s.Launch.Kernel
}

// IO is one graph input or output of a plan.
type IO struct {
	// Name is the graph value's name.
	Name string
	// Ref is where the value lies on the device.
	Ref Ref
	// Shape is its shape, the batch first.
	Shape []int
	// Floats is its size in values of its Type.
	Floats int64
	// Type is float32, or int64 for an integer or bool value.
	Type Elem
	// DT is the value's dtype in the graph.
	DT model.DType
}

// Bytes is the size of the input or output in bytes.
func (io IO) Bytes() int64 { return io.Floats * io.Type.Size() }

// DType is the input's or output's dtype in the graph's terms.
func (io IO) DType() model.DType {
	switch {
	case io.DT != model.Undefined:
		return io.DT
	case io.Type == ElemI64:
		return model.Int64
	}
	return model.Float32
}

// NodeSteps is what one graph node became.
type NodeSteps struct {
	// Name and Op are the node's; Covers names the nodes of the graph as
	// loaded that it computes (model.Node.Covers).
	Name, Op string
	Covers   []string
	// Lo and Hi delimit its steps, [Lo, Hi) of Plan.Steps (Lo == Hi for a
	// node that only renames memory: Reshape, Flatten ...).
	Lo, Hi int
	// Out is where its (first) output lies, OutFloats its size and Samples
	// the size of its first dimension (the batch).
	Out       Ref
	OutFloats int64
	Samples   int
}

// Placement is where one computed value (or a node's scratch space) lives,
// and while it must: from step Def, the first step of the node that writes
// it, to step Last, the last step that reads it (len(Steps) for a graph
// output). Values whose lives overlap never share memory; an alias (a
// Reshape's output) shares its source's memory and extends its life.
type Placement struct {
	Name      string
	Ref       Ref
	Floats    int64
	Def, Last int
	// Alias marks a value that renames another's memory.
	Alias bool
}

// Plan is everything a device needs to run one compiled graph.
type Plan struct {
	// Graph is the graph's name; Batch the batch it was compiled for.
	Graph string
	Batch int
	// Buffers lists every allocation.
	Buffers []Buffer
	// Inputs and Outputs are the graph's, in its order.
	Inputs, Outputs []IO
	// Steps run in order on one stream.
	Steps []Step
	// Nodes lists what each graph node became, in order.
	Nodes []NodeSteps
	// Values says where every computed value and scratch space lives.
	Values []Placement
	// Conv is the way each convolution took, by node name.
	Conv map[string]ConvWay
	// ActivationFloats is what the activation buffers hold together, values
	// sharing buffers as their lives allow; ValueFloats is what every
	// computed value and scratch space would take in a buffer of its own.
	ActivationFloats, ValueFloats int64
}

// Node returns what the named node became, or false.
func (p *Plan) Node(name string) (NodeSteps, bool) {
	for _, n := range p.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return NodeSteps{}, false
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

// Build makes the plan for compiled graph g (bound to batch), every
// convolution the im2col way.
func Build(g *model.Graph, batch int) (*Plan, error) {
	return BuildWith(g, batch, Options{})
}

// BuildWith makes the plan for compiled graph g (bound to batch) with the
// ways that opts choose.
func BuildWith(g *model.Graph, batch int, opts Options) (*Plan, error) {
	return build(g, batch, Dim3{X: maxGridX, Y: maxGridYZ, Z: maxGridYZ}, opts)
}

// build makes the plan with grids bounded by caps (tests pass small caps so
// that every grid-stride loop runs more than once). A node the plan
// compiler cannot turn into steps fails it with a *model.UnsupportedError
// listing every such node (CheckGraph).
func build(g *model.Graph, batch int, caps Dim3, opts Options) (*Plan, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%s: batch must be positive, got %d", g.Name, batch)
	}
	if u := CheckGraph(g); len(u) > 0 {
		return nil, &model.UnsupportedError{Graph: g.Name, List: u}
	}
	b := newBuilder(g, batch, caps, opts)
	if err := b.run(); err != nil {
		return nil, fmt.Errorf("%s: %w", g.Name, err)
	}
	return b.plan, nil
}

// blocks is ceil(work/per), at least 1, clamped to an int.
func blocks(work, per int64) int { return clampInt(max((work+per-1)/per, 1)) }

func clampInt(v int64) int { return int(min(v, math.MaxInt32)) }

// capDim bounds a grid dimension to [1, limit].
func capDim(v, limit int) int { return max(1, min(v, limit)) }

// fits32 checks a per-sample size that a kernel indexes with 32-bit
// arithmetic (kernels.cu): it must stay below 2^31.
func fits32(node, what string, v int64) error {
	if v < 0 || v > math.MaxInt32 {
		return fmt.Errorf("node %s: %s is %d, beyond the kernels' 32-bit index range (2^31−1)", node, what, v)
	}
	return nil
}
