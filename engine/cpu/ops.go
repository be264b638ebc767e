package cpu

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"infertop/internal/blas"
)

// compute is what every op computes with: the worker pool and the BLAS.
type compute struct {
	pool *pool
	lib  blas.Library
}

// Work thresholds for going parallel: a part should do enough to amortize
// waking a worker (a few microseconds).
const (
	minPartFlops = 1 << 18 // multiply-adds per part of a matrix product
	minPartElems = 1 << 14 // values per part of an element-wise pass
)

func partsFor(work, minWork, threads int) int {
	return min(max(work/minWork, 1), threads)
}

// opBase holds what every op shares: its unique name (gorgonia merges nodes
// whose ops hash alike, so the hash is the name), input ranks and output shape.
type opBase struct {
	kind   string
	name   string
	inDims []int
	out    tensor.Shape
	extern bool
}

func (o *opBase) Arity() int { return len(o.inDims) }

func (o *opBase) Type() hm.Type {
	ts := make([]hm.Type, 0, len(o.inDims)+1)
	for _, d := range o.inDims {
		ts = append(ts, gorgonia.TensorType{Dims: d, Of: tensor.Float32})
	}
	ts = append(ts, gorgonia.TensorType{Dims: len(o.out), Of: tensor.Float32})
	return hm.NewFnType(ts...)
}

func (o *opBase) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(ds) != len(o.inDims) {
		return nil, fmt.Errorf("%s: %d inputs, want %d", o, len(ds), len(o.inDims))
	}
	return o.out.Clone(), nil
}

func (o *opBase) ReturnsPtr() bool      { return true }
func (o *opBase) CallsExtern() bool     { return o.extern }
func (o *opBase) OverwritesInput() int  { return -1 }
func (o *opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "infertop/%s(%s)%v", o.kind, o.name, o.out) }
func (o *opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o *opBase) String() string { return o.kind + "(" + o.name + ")" }

// checkArgs verifies the number of inputs of a call.
func (o *opBase) checkArgs(in []gorgonia.Value) error {
	if len(in) != len(o.inDims) {
		return fmt.Errorf("%s: called with %d inputs, want %d", o, len(in), len(o.inDims))
	}
	return nil
}

// f32 is the float32 backing of a value the driver handed over.
func f32(v gorgonia.Value) []float32 {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 {
		panic(fmt.Sprintf("value %T is not a float32 *tensor.Dense", v))
	}
	return d.Float32s()
}

// allocDo is Op.Do for ops that compute into a preallocated value: it
// allocates the output (the engine's driver never calls Do).
func allocDo(op gorgonia.UsePreallocDoer, shape tensor.Shape, in []gorgonia.Value) (gorgonia.Value, error) {
	out := tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(tensor.Float32))
	return op.UsePreallocDo(out, in...)
}

// ---------------------------------------------------------------------------

// attentionOp is the core of multi-head self-attention: from the fused
// projection qkv [batch·t, 3d] (q, k, v in that order along each row) it
// computes, per sample and head, softmax(q·kᵀ/√dh)·v into y [batch·t, d].
// The (sample, head, block of query rows) units are split among the parts;
// each part keeps its score block in its own buffer.
type attentionOp struct {
	opBase
	c                  *compute
	batch, t, d, heads int
	scale              float32
	blocks, units      int
	parts              int
	scores             [][]float32 // per part: ceil(t/blocks) × t

	qkv, y []float32
}

func newAttentionOp(c *compute, name string, inDims []int, out tensor.Shape, batch, t, d, heads int) *attentionOp {
	o := &attentionOp{opBase: opBase{kind: "attention", name: name, inDims: inDims, out: out, extern: !c.lib.Fallback()},
		c: c, batch: batch, t: t, d: d, heads: heads, scale: float32(1 / math.Sqrt(float64(d/heads)))}
	threads := c.pool.threads
	o.blocks = 1
	for batch*heads*o.blocks < threads*chunksPerPart && t/(2*o.blocks) >= 16 {
		o.blocks *= 2
	}
	o.units = batch * heads * o.blocks
	o.parts = min(partsFor(batch*heads*2*t*t*(d/heads), minPartFlops, threads), o.units)
	return o
}

func (o *attentionOp) blockRows() int { return (o.t + o.blocks - 1) / o.blocks }

func (o *attentionOp) scratchFloats() int { return o.parts * o.blockRows() * o.t }

func (o *attentionOp) setScratch(buf []float32) {
	o.scores = make([][]float32, o.parts)
	n := o.blockRows() * o.t
	for p := range o.scores {
		o.scores[p] = buf[p*n : (p+1)*n]
	}
}

func (o *attentionOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *attentionOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	if o.scores == nil {
		return nil, fmt.Errorf("%s: no score buffer (not prepared)", o)
	}
	o.qkv, o.y = f32(in[0]), f32(pre)
	o.c.pool.do(o, o.units, o.parts)
	o.qkv, o.y = nil, nil
	return pre, nil
}

func (o *attentionOp) run(u, _, worker int) {
	t, d, dh := o.t, o.d, o.d/o.heads
	ld := 3 * d
	{
		blk := u % o.blocks
		h := (u / o.blocks) % o.heads
		s := u / (o.blocks * o.heads)
		i0, i1 := span(t, blk, o.blocks, 1)
		m := i1 - i0
		if m <= 0 {
			return
		}
		sc := o.scores[worker][:m*t]
		base := s * t * ld
		q := o.qkv[base+i0*ld+h*dh:]
		k := o.qkv[base+d+h*dh:]
		v := o.qkv[base+2*d+h*dh:]
		o.c.lib.Sgemm(blas.NoTrans, blas.Trans, m, t, dh, o.scale, q, ld, k, ld, 0, sc, t)
		softmaxRows(sc, m, t, t)
		o.c.lib.Sgemm(blas.NoTrans, blas.NoTrans, m, dh, t, 1, sc, t, v, ld, 0, o.y[(s*t+i0)*d+h*dh:], d)
	}
}

// ---------------------------------------------------------------------------

// rowsOp is the shared frame of the ops that treat their input as rows of
// equal length and split the rows among the parts.
type rowsOp struct {
	opBase
	c             *compute
	rows          int
	parts, chunks int
}

// unaryDo is the UsePreallocDo of a one-input rows op t whose input and
// output slices are *x and *y: it binds them, runs t's chunks on the pool and
// lets go of them.
func (o *rowsOp) unaryDo(t task, x, y *[]float32, pre gorgonia.Value, in []gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	*x, *y = f32(in[0]), f32(pre)
	o.c.pool.do(t, o.chunks, o.parts)
	*x, *y = nil, nil
	return pre, nil
}

func (o *rowsOp) setRows(rows, rowLen int) {
	o.rows = rows
	o.parts = min(partsFor(rows*rowLen, minPartElems, o.c.pool.threads), rows)
	o.chunks = chunksFor(rows, o.parts, 1)
}

// layerNormOp normalizes each row of length d (eps presets.LayerNormEps) and applies weight and bias.
type layerNormOp struct {
	rowsOp
	d          int
	x, g, b, y []float32
}

func (o *layerNormOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *layerNormOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	o.x, o.g, o.b, o.y = f32(in[0]), f32(in[1]), f32(in[2]), f32(pre)
	o.c.pool.do(o, o.chunks, o.parts)
	o.x, o.g, o.b, o.y = nil, nil, nil, nil
	return pre, nil
}

func (o *layerNormOp) run(chunk, chunks, _ int) {
	r0, r1 := span(o.rows, chunk, chunks, 1)
	d := o.d
	layerNormRows(o.x[r0*d:], o.y[r0*d:], r1-r0, d, o.g, o.b)
}

// maxPoolOp is 2×2 max pooling, stride 2, over NHWC input.
type maxPoolOp struct {
	rowsOp           // rows = batch·oh
	h, w, ch, oh, ow int
	x, y             []float32
}

func (o *maxPoolOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *maxPoolOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	return o.unaryDo(o, &o.x, &o.y, pre, in)
}

func (o *maxPoolOp) run(chunk, chunks, _ int) {
	r0, r1 := span(o.rows, chunk, chunks, 1)
	maxPoolRows(o.x, o.y, o.h, o.w, o.ch, o.oh, o.ow, r0, r1)
}
