package cpu

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"infertop/internal/blas"
)

// convOp is a 2-D convolution over NHWC input giving NHWC output, run one of
// two ways:
//
//   - im2col + sgemm: the output pixels (batch × oh × ow rows) are split among
//     the parts; each part builds the im2col rows of a chunk of its pixels in
//     its own buffer, multiplies them by the weights (reordered once to
//     [out, k, k, c]) with a single-threaded sgemm, and applies bias, residual
//     and activation while the chunk is in cache.
//   - direct, for a single-channel input at stride 1 (the first layer of an
//     image network, see directConv): the parts take whole output image rows.
type convOp struct {
	opBase
	c        *compute
	g        convGeom
	outC     int
	rows     int // batch·oh·ow
	direct   bool
	units    int // what the chunks split: rows, or batch·oh image rows when direct
	chunk    int // units per chunk
	act      act
	residual bool
	parts    int
	chunks   int
	col      [][]float32 // per worker: chunk × kkc of im2col, or directScratch floats

	x, w, b, r, y []float32
}

// convChunkFloats bounds one part's im2col buffer (it should stay in L2).
const convChunkFloats = 64 << 10

func newConvOp(c *compute, name string, inDims []int, out tensor.Shape, g convGeom, outC, batch int, a act, residual bool) *convOp {
	o := &convOp{opBase: opBase{kind: "conv2d", name: name, inDims: inDims, out: out, extern: !c.lib.Fallback()},
		c: c, g: g, outC: outC, rows: batch * g.oh * g.ow, act: a, residual: residual}
	o.units = o.rows
	if directConv(&g, outC) {
		o.direct = true
		o.units = batch * g.oh
		o.parts = min(partsFor(o.rows*g.kkc*outC, minPartFlops, c.pool.threads), o.units)
		o.chunk = max(1, (o.units+o.parts*chunksPerPart-1)/(o.parts*chunksPerPart))
		o.chunks = (o.units + o.chunk - 1) / o.chunk
		return o
	}
	o.parts = min(partsFor(o.rows*g.kkc*outC, minPartFlops, c.pool.threads), max(o.rows/16, 1))
	// Chunks of at most convChunkFloats of im2col (so they stay in cache),
	// and about chunksPerPart of them per part.
	o.chunk = max(16, convChunkFloats/g.kkc/8*8)
	if o.parts > 1 {
		o.chunk = max(16, min(o.chunk, roundUp((o.rows+o.parts*chunksPerPart-1)/(o.parts*chunksPerPart), 8)))
	}
	o.chunk = min(o.chunk, roundUp(o.rows, 8))
	o.chunks = (o.rows + o.chunk - 1) / o.chunk
	return o
}

// directConv reports whether a convolution runs directly rather than as
// im2col + sgemm: a single-channel input at stride 1. There an im2col row is
// only k·k floats, copied a few at a time, and the product has k·k inner and
// outC output columns, shapes at which sgemm runs far below its speed (lenet5's
// first layer ran at 7 GFLOP/s, two thirds of it in im2col). The direct kernel
// slides each weight along a zero-padded input row instead, which vectorizes
// over the output pixels.
func directConv(g *convGeom, outC int) bool {
	return g.c == 1 && g.stride == 1 && outC <= 64 && g.k <= 11
}

// directScratch is the floats one worker of a direct convolution needs: k
// zero-padded input rows and outC output rows, each rounded up to whole
// vectors of 8 (ow + k − 1 = w + 2·pad at stride 1).
func directScratch(g *convGeom, outC int) int {
	owp := roundUp(g.ow, 8)
	return g.k*(owp+g.k-1) + outC*owp
}

// workers is how many goroutines may run the op's chunks (each needs its own buffer).
func (o *convOp) workers() int { return min(o.parts, o.chunks) }

func (o *convOp) bufFloats() int {
	if o.direct {
		return directScratch(&o.g, o.outC)
	}
	return o.chunk * o.g.kkc
}

func (o *convOp) scratchFloats() int { return o.workers() * o.bufFloats() }

func (o *convOp) setScratch(buf []float32) {
	o.col = make([][]float32, o.workers())
	n := o.bufFloats()
	for p := range o.col {
		o.col[p] = buf[p*n : (p+1)*n]
	}
}

func (o *convOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *convOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	if o.col == nil {
		return nil, fmt.Errorf("%s: no scratch buffer (not prepared)", o)
	}
	o.x, o.w, o.b, o.y = f32(in[0]), f32(in[1]), f32(in[2]), f32(pre)
	if o.residual {
		o.r = f32(in[3])
	}
	o.c.pool.do(o, o.chunks, o.workers())
	o.x, o.w, o.b, o.r, o.y = nil, nil, nil, nil, nil
	return pre, nil
}

func (o *convOp) run(chunk, _, worker int) {
	buf := o.col[worker]
	kkc, n := o.g.kkc, o.outC
	u0 := chunk * o.chunk
	u1 := min(u0+o.chunk, o.units)
	r0, r1 := u0, u1
	if o.direct {
		// ReLU is applied as the output is stored when nothing comes between.
		fused := o.act == actReLU && o.r == nil
		convC1(o.x, o.w, o.b, o.y, buf, &o.g, n, u0, u1, fused)
		if fused {
			return
		}
		r0, r1 = u0*o.g.ow, u1*o.g.ow
	} else {
		im2col(buf, o.x, &o.g, r0, r1)
		fillRows(o.y[r0*n:r1*n], r1-r0, n, n, o.b)
		o.c.lib.Sgemm(blas.NoTrans, blas.Trans, r1-r0, n, kkc, 1, buf, kkc, o.w, kkc, 1, o.y[r0*n:r1*n], n)
	}
	var r []float32
	if o.r != nil {
		r = o.r[r0*n : r1*n]
	}
	epilogueRows(o.y[r0*n:r1*n], r1-r0, n, n, r, o.act)
}

// goConvC1 is the direct convolution of a single-channel NHWC input at
// stride 1 for output image rows [q0, q1) (q = n·oh + oy): y[(q·ow + ox)·outC + o]
// = b[o] + Σ_{ki,kj} w[o·k·k + ki·k + kj] · x[n, oy−pad+ki, ox−pad+kj], taps
// outside the image being zero. buf holds directScratch floats.
func goConvC1(x, w, b, y, buf []float32, g *convGeom, outC, q0, q1 int) {
	k, pad, ow := g.k, g.pad, g.ow
	pw := g.w + 2*pad
	row, acc := buf[:pw], buf[pw:pw+outC*ow]
	clear(row)
	for q := q0; q < q1; q++ {
		n, oy := q/g.oh, q%g.oh
		for o := range outC {
			a := acc[o*ow : (o+1)*ow]
			for j := range a {
				a[j] = b[o]
			}
		}
		for ki := range k {
			iy := oy - pad + ki
			if iy < 0 || iy >= g.h {
				continue
			}
			copy(row[pad:pad+g.w], x[(n*g.h+iy)*g.w:])
			for o := range outC {
				a := acc[o*ow : (o+1)*ow]
				for kj := range k {
					wv := w[(o*k+ki)*k+kj]
					r := row[kj : kj+ow]
					for j := range a {
						a[j] += wv * r[j]
					}
				}
			}
		}
		dst := y[q*ow*outC : (q+1)*ow*outC]
		for j := range ow {
			for o := range outC {
				dst[j*outC+o] = acc[o*ow+j]
			}
		}
	}
}
