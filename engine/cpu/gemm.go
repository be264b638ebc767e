package cpu

import (
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"infertop/internal/blas"
)

// gemmOp is a fully connected layer y = act(x·Wᵀ + b [+ r]) over rows×in input,
// W [out, in] as PyTorch stores it (sgemm reads it transposed, no copy), and an
// optional residual r added before the activation.
//
// With several threads a product runs one of two ways:
//
//   - split: the pool's parts each multiply a block of rows or columns with a
//     single-threaded sgemm, and apply bias and epilogue while it is in cache;
//   - whole: one sgemm on the BLAS library's own threads (blas.Threaded), which
//     share their packed panels, with bias and epilogue as pool passes before
//     and after. This is how PyTorch runs a product.
//
// Which is faster depends on the machine and the shape, so the op measures:
// its first gemmTuneRuns runs alternate the two, and from then on it uses the
// one whose quickest run was quicker. Prepare makes those runs (tuneGemms),
// so that every Run of a batch size computes the same way.
type gemmOp struct {
	opBase
	c              *compute
	rows, in, outF int
	act            act
	residual       bool
	parts, chunks  int
	byRows         bool

	// threaded is the library's own threading, or nil when only the split
	// applies (one thread, one part, or a library that cannot).
	threaded blas.Threaded
	runs     int              // runs so far, while tuning
	best     [2]time.Duration // quickest run of each way
	whole    bool             // the way chosen (or being tried)
	phase    gemmPhase        // what run does for the pool
	ewParts  int              // parts and chunks of the element-wise passes
	ewChunks int

	x, w, b, r, y []float32
}

// gemmTuneRuns is how many runs a gemmOp measures before it chooses.
const gemmTuneRuns = 6

type gemmPhase int

const (
	phaseTiles    gemmPhase = iota // split: bias, sgemm and epilogue per block
	phaseBias                      // whole: y = bias, by rows
	phaseEpilogue                  // whole: the epilogue, by rows
)

func newGemmOp(c *compute, name string, inDims []int, out tensor.Shape, rows, in, outF int, a act, residual bool) *gemmOp {
	o := &gemmOp{opBase: opBase{kind: "linear", name: name, inDims: inDims, out: out, extern: !c.lib.Fallback()},
		c: c, rows: rows, in: in, outF: outF, act: a, residual: residual}
	o.parts, o.byRows = gemmSplit(rows, outF, in, c.pool.threads)
	if o.byRows {
		o.chunks = chunksFor(rows, o.parts, 4)
	} else {
		o.chunks = chunksFor(outF, o.parts, 16)
	}
	if t, ok := c.lib.(blas.Threaded); ok && o.parts > 1 && !c.lib.Fallback() {
		o.threaded = t
		o.ewParts = min(partsFor(rows*outF, minPartElems, c.pool.threads), rows)
		o.ewChunks = chunksFor(rows, o.ewParts, 1)
	}
	return o
}

// gemmSplit chooses how many parts a rows×n×k product runs in and whether
// they split the rows or the columns. Splitting rows makes each part read all
// of B (k×n); splitting columns makes each part read all of A (rows×k): split
// the side whose duplication costs less.
func gemmSplit(m, n, k, threads int) (parts int, byRows bool) {
	parts = partsFor(m*n*k, minPartFlops, threads)
	if parts == 1 {
		return 1, true
	}
	rowParts, colParts := min(parts, m/4), min(parts, n/16)
	switch {
	case rowParts >= parts && colParts >= parts:
		return parts, n <= m
	case rowParts >= colParts:
		return max(rowParts, 1), true
	default:
		return colParts, false
	}
}

func (o *gemmOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) { return allocDo(o, o.out, in) }

func (o *gemmOp) UsePreallocDo(pre gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := o.checkArgs(in); err != nil {
		return nil, err
	}
	o.x, o.w, o.b, o.y = f32(in[0]), f32(in[1]), f32(in[2]), f32(pre)
	if o.residual {
		o.r = f32(in[3])
	}
	tuning := o.threaded != nil && o.runs < gemmTuneRuns
	var t0 time.Time
	if tuning {
		o.whole = o.runs%2 == 1
		t0 = time.Now()
	}
	if !o.whole || !o.runWhole() {
		o.phase = phaseTiles
		o.c.pool.do(o, o.chunks, o.parts)
	}
	if tuning && o.threaded != nil { // a refused threaded call ended the tuning
		o.tuned(time.Since(t0))
	}
	o.x, o.w, o.b, o.r, o.y = nil, nil, nil, nil, nil
	return pre, nil
}

// tuned records the time of one tuning run and, after the last, chooses.
func (o *gemmOp) tuned(d time.Duration) {
	i := 0
	if o.whole {
		i = 1
	}
	if o.best[i] == 0 || d < o.best[i] {
		o.best[i] = d
	}
	o.runs++
	if o.runs == gemmTuneRuns {
		o.whole = o.best[1] < o.best[0]
	}
}

// runWhole computes the product as one threaded sgemm, or reports false
// (nothing computed) when the library cannot, which ends the tuning.
func (o *gemmOp) runWhole() bool {
	o.phase = phaseBias
	o.c.pool.do(o, o.ewChunks, o.ewParts)
	if !o.threaded.SgemmThreads(o.c.pool.threads, blas.NoTrans, blas.Trans, o.rows, o.outF, o.in, 1,
		o.x, o.in, o.w, o.in, 1, o.y, o.outF) {
		o.threaded, o.whole, o.runs = nil, false, gemmTuneRuns
		return false
	}
	if o.r != nil || o.act != actNone {
		o.phase = phaseEpilogue
		o.c.pool.do(o, o.ewChunks, o.ewParts)
	}
	return true
}

func (o *gemmOp) run(chunk, chunks, _ int) {
	switch o.phase {
	case phaseBias, phaseEpilogue:
		r0, r1 := span(o.rows, chunk, chunks, 1)
		y := o.y[r0*o.outF:]
		if o.phase == phaseBias {
			fillRows(y, r1-r0, o.outF, o.outF, o.b)
			return
		}
		var r []float32
		if o.r != nil {
			r = o.r[r0*o.outF:]
		}
		epilogueRows(y, r1-r0, o.outF, o.outF, r, o.act)
	default:
		if o.byRows {
			r0, r1 := span(o.rows, chunk, chunks, 1)
			o.tile(r0, r1, 0, o.outF)
		} else {
			c0, c1 := span(o.outF, chunk, chunks, 16)
			o.tile(0, o.rows, c0, c1)
		}
	}
}

func (o *gemmOp) tile(r0, r1, c0, c1 int) {
	m, n, ld := r1-r0, c1-c0, o.outF
	if m <= 0 || n <= 0 {
		return
	}
	y := o.y[r0*ld+c0:]
	fillRows(y, m, n, ld, o.b[c0:c1])
	o.c.lib.Sgemm(blas.NoTrans, blas.Trans, m, n, o.in, 1, o.x[r0*o.in:], o.in, o.w[c0*o.in:], o.in, 1, y, ld)
	var r []float32
	if o.r != nil {
		r = o.r[r0*ld+c0:]
	}
	epilogueRows(y, m, n, ld, r, o.act)
}
