package cpu

import (
	"gorgonia.org/gorgonia"

	"infertop/presets"
)

const layerNormEps = presets.LayerNormEps

// gapOp averages each channel of NHWC input over h×w: [batch, h, w, c] → [batch, c].
type gapOp struct {
	rowsOp // rows = batch
	hw, ch int
	x, y   []float32
}

func (o *gapOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *gapOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	return o.unaryDo(o, &o.x, &o.y, pre, in)
}

func (o *gapOp) run(chunk, chunks, _ int) {
	r0, r1 := span(o.rows, chunk, chunks, 1)
	ch := o.ch
	inv := 1 / float32(o.hw)
	for n := r0; n < r1; n++ {
		y := o.y[n*ch : (n+1)*ch]
		clear(y)
		x := o.x[n*o.hw*ch : (n+1)*o.hw*ch]
		for p := 0; p < o.hw; p++ {
			addInPlace(y, x[p*ch:(p+1)*ch])
		}
		for i := range y {
			y[i] *= inv
		}
	}
}

// mapOp is an element-wise op: y = act(x [+ r]), for a standalone ReLU or
// GELU (fused into the matrix product before it where possible) and the
// residual addition (x + Body(x)) when it could not be fused.
type mapOp struct {
	rowsOp  // rows = chunks of mapChunk values
	n       int
	act     act
	add     bool
	x, r, y []float32
}

const mapChunk = 4096

func newMapOp(c *compute, kind, name string, inDims []int, out []int, n int, a act, add bool) *mapOp {
	o := &mapOp{rowsOp: rowsOp{opBase: opBase{kind: kind, name: name, inDims: inDims, out: out}, c: c}, n: n, act: a, add: add}
	o.setRows((n+mapChunk-1)/mapChunk, mapChunk)
	return o
}

func (o *mapOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *mapOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	o.x, o.y = f32(in[0]), f32(pre)
	if o.add {
		o.r = f32(in[1])
	}
	o.c.pool.do(o, o.chunks, o.parts)
	o.x, o.r, o.y = nil, nil, nil
	return pre, nil
}

func (o *mapOp) run(chunk, chunks, _ int) {
	c0, c1 := span(o.rows, chunk, chunks, 1)
	lo, hi := c0*mapChunk, min(c1*mapChunk, o.n)
	if lo >= hi {
		return
	}
	y := o.y[lo:hi]
	copy(y, o.x[lo:hi])
	var r []float32
	if o.add {
		r = o.r[lo:hi]
	}
	epilogueRows(y, 1, hi-lo, hi-lo, r, o.act)
}

// transposeOp converts between NCHW and NHWC: per sample it transposes an
// a×b matrix (a = C, b = H·W to go to NHWC; the reverse to go back).
type transposeOp struct {
	rowsOp // rows = batch
	a, b   int
	x, y   []float32
}

func (o *transposeOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *transposeOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	return o.unaryDo(o, &o.x, &o.y, pre, in)
}

func (o *transposeOp) run(chunk, chunks, _ int) {
	n0, n1 := span(o.rows, chunk, chunks, 1)
	a, b := o.a, o.b
	const tile = 32
	for n := n0; n < n1; n++ {
		x := o.x[n*a*b : (n+1)*a*b]
		y := o.y[n*a*b : (n+1)*a*b]
		for i0 := 0; i0 < a; i0 += tile {
			for j0 := 0; j0 < b; j0 += tile {
				for i := i0; i < min(i0+tile, a); i++ {
					for j := j0; j < min(j0+tile, b); j++ {
						y[j*a+i] = x[i*b+j]
					}
				}
			}
		}
	}
}

// reshapeOp gives its input another shape without copying: the driver makes
// its output share the input's memory, so running it does nothing.
type reshapeOp struct {
	opBase
}

func (o *reshapeOp) aliasesInput() int { return 0 }

func (o *reshapeOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *reshapeOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	x, y := f32(in[0]), f32(pre)
	if len(x) > 0 && len(y) > 0 && &x[0] != &y[0] { // not aliased (Do): copy
		copy(y, x)
	}
	return pre, nil
}
