package cpu

import (
	"slices"
	"time"

	"infertop/internal/blas"
	"infertop/model"
)

// gemmOp is a fully connected layer y = act(x·Wᵀ [+ b] [+ r]) over rows×in
// input, W [out, in] as PyTorch stores it (sgemm reads it transposed, no
// copy), an optional bias and an optional residual r added before the activation.
//
// With several threads a product can run three ways:
//
//   - split: the pool's parts each multiply blocks of rows or columns with a
//     single-threaded sgemm, and apply bias and epilogue while it is in cache;
//     about four blocks per thread, claimed as threads come free, so a thread
//     the system delays only delays its block;
//   - coarse: the same with one block per thread, so each sgemm packs its
//     operands once and the blocks tend to stay with the thread whose cache
//     holds their weights;
//   - whole: one sgemm on the BLAS library's own threads (blas.Threaded), which
//     share their packed panels, with bias and epilogue as pool passes before
//     and after. This is how PyTorch runs a product.
//   - packed: our own kernel (denseRows) over the weights packed once in
//     Prepare into panels of 16 output features, read front to back, with
//     bias and epilogue in the store; the pool's parts each take a share of
//     the panels, so each thread streams its own share of the weights once.
//     Offered for a product of constant weights and at most denseMaxRows
//     rows, on one thread too: sgemm packs the weights again on every call,
//     which costs more than the product at a few rows.
//   - wide: our wide kernel (wideRows) over the weights packed once into
//     panels of up to 64 features, each tile of up to 6 rows × 64 features
//     reusing every broadcast input four times; the parts each take a share
//     of the panels. Offered for a product of constant weights at any row
//     count: it beats sgemm where the rows are many, and the packed way
//     where they are more than a tile or two.
//
// Which is fastest depends on the machine and the shape, so the op measures:
// its first runs go round the ways (at least gemmTuneRounds each, and on for
// at least gemmTuneTime, at most gemmTuneMaxRounds), and from then on it uses
// the way whose quickest run was quickest. Prepare makes those runs
// (tuneGemms), so that every Run of a batch size computes the same way.
type gemmOp struct {
	c              *compute
	rows, in, outF int
	act            act
	parts, chunks  int
	byRows         bool

	// threaded is the library's own threading, or nil when it cannot.
	threaded blas.Threaded
	// gemv is the library's matrix-vector product, used for a product of
	// one row (a batch of 1): nil when the product has more rows, or the
	// library has none.
	gemv     blas.Gemver
	ways     []gemmWay       // the ways to try; none with a single way
	best     []time.Duration // quickest run of each way
	runs     int             // tuning runs so far
	spent    time.Duration   // tuning time so far
	tuned    bool            // the way is chosen
	way      gemmWay         // the way chosen (or being tried)
	phase    gemmPhase       // what run does for the pool
	ewParts  int             // parts and chunks of the element-wise passes
	ewChunks int

	// x, w, b, r, y are the operands (b and r nil when absent).
	x, w, b, r, y []float32

	// The packed way's instruction set (isaNone when it is not offered),
	// its weights (packDense's layout; dropped when the tuning chooses
	// another way), its parts, the rows of one pass over the panels, and
	// each worker's buffer for those rows.
	isa         isa
	packed      []float32
	packedParts int
	group       int
	xbufs       [][]float32

	// The wide way's instruction set (isaNone when it is not offered), its
	// weights (packWide's layout; dropped when the tuning chooses another
	// way) and its parts.
	wideISA   isa
	wide      []float32
	wideParts int
}

// gemmWay is how a product runs (see gemmOp).
type gemmWay int

const (
	waySplit gemmWay = iota
	wayCoarse
	wayWhole
	wayPacked
	wayWide
)

// denseMaxRows is the most rows a product may have for the packed way to be
// tried, which bounds the tuning's extra runs on large batches. On the
// 2-vCPU Zen 5 VM the kernel still beat OpenBLAS 1.4–1.5× at 1,024 rows
// (the transformer's feed-forward products at batch 8).
const denseMaxRows = 2048

// A gemmOp tunes for at least gemmTuneRounds runs of every way and
// gemmTuneTime in all, and at most gemmTuneMaxRounds runs of each. A
// product whose every way takes gemmTuneLong or more stops after
// gemmTuneLongRounds: one run of such a product costs more than the timer's
// and the scheduler's noise by far, and the second round already runs on
// warm buffers (at transformer batch 256 on 2 threads, three rounds of three
// ways made Prepare take 4.3 s).
const (
	gemmTuneRounds     = 3
	gemmTuneTime       = 30 * time.Millisecond
	gemmTuneMaxRounds  = 20
	gemmTuneLong       = 20 * time.Millisecond
	gemmTuneLongRounds = 2
)

type gemmPhase int

const (
	phaseTiles    gemmPhase = iota // split: bias, sgemm and epilogue per block
	phaseBias                      // whole: y = bias, by rows
	phaseEpilogue                  // whole: the epilogue, by rows
	phasePacked                    // packed: denseRows over a share of the panels
	phaseWide                      // wide: wideRows over a share of the panels
)

// newGemmOp plans a rows×in by in×outF product; constW says the weights are
// constant, so the packed way can pack them once.
func newGemmOp(c *compute, rows, in, outF int, a act, constW bool) *gemmOp {
	o := &gemmOp{c: c, rows: rows, in: in, outF: outF, act: a}
	if g, ok := c.lib.(blas.Gemver); ok && rows == 1 {
		o.gemv = g
	}
	o.parts, o.byRows = gemmSplit(rows, outF, in, c.pool.threads)
	if o.byRows {
		o.chunks = chunksFor(rows, o.parts, 4)
	} else {
		o.chunks = chunksFor(outF, o.parts, 16)
	}
	o.ways = []gemmWay{waySplit}
	if o.parts > 1 && o.chunks > o.parts {
		o.ways = append(o.ways, wayCoarse)
	}
	if constW && c.isa != isaNone && rows <= denseMaxRows {
		o.isa = c.isa
		o.packedParts = min(partsFor(rows*outF*in, minPartFlops, c.pool.threads), densePanels(outF))
		o.group = denseGroup(rows, in)
		o.ways = append(o.ways, wayPacked)
	}
	if constW && c.isa != isaNone {
		o.wideISA = c.isa
		o.wideParts = min(partsFor(rows*outF*in, minPartFlops, c.pool.threads), widePanels(c.isa, outF))
		o.ways = append(o.ways, wayWide)
	}
	if t, ok := c.lib.(blas.Threaded); ok && !c.lib.Fallback() && o.parts > 1 {
		o.threaded = t
		o.ewParts = min(partsFor(rows*outF, minPartElems, c.pool.threads), rows)
		o.ewChunks = chunksFor(rows, o.ewParts, 1)
		o.ways = append(o.ways, wayWhole) // last: dropWhole drops the last way
	}
	if len(o.ways) < 2 {
		o.way = o.ways[0]
		o.ways, o.tuned = nil, true
	}
	o.best = make([]time.Duration, len(o.ways))
	return o
}

// packedFloats is the size of the packed and wide ways' weights: 0 for a
// way not offered, or not chosen once the tuning is over.
func (o *gemmOp) packedFloats() int {
	n := 0
	if o.isa != isaNone && (!o.tuned || o.way == wayPacked) {
		n += densePanels(o.outF) * denseLanes * o.in
	}
	if o.wideISA != isaNone && (!o.tuned || o.way == wayWide) {
		n += wideFloats(o.wideISA, o.outF, o.in)
	}
	return n
}

// scratchFloats is the size of the packed way's row buffers, one per part.
func (o *gemmOp) scratchFloats() int {
	if o.isa == isaNone {
		return 0
	}
	return o.packedParts * o.group * o.in
}

// setScratch takes the packed way's row buffers from buf.
func (o *gemmOp) setScratch(buf []float32) {
	if o.isa == isaNone {
		return
	}
	n := o.group * o.in
	o.xbufs = make([][]float32, o.packedParts) // a part's worker is below parts (pool.do)
	for i := range o.xbufs {
		o.xbufs[i] = buf[i*n : (i+1)*n]
	}
}

// pack packs the weights for the packed way, when it is offered and still
// in the running.
func (o *gemmOp) pack() {
	if o.isa != isaNone && (!o.tuned || o.way == wayPacked) {
		o.packed = make([]float32, densePanels(o.outF)*denseLanes*o.in)
		packDense(o.packed, o.w, o.outF, o.in)
	}
	if o.wideISA != isaNone && (!o.tuned || o.way == wayWide) {
		o.wide = make([]float32, wideFloats(o.wideISA, o.outF, o.in))
		packWide(o.wide, o.wideISA, o.w, o.outF, o.in)
	}
}

// settled ends the tuning with the way chosen, and drops the packed weights
// when the way does not read them.
func (o *gemmOp) settled() {
	o.tuned = true
	if o.way != wayPacked {
		o.packed = nil
	}
	if o.way != wayWide {
		o.wide = nil
	}
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

// multiply runs the product: the way chosen, or the next tuning run.
func (o *gemmOp) multiply() {
	if o.tuned {
		o.runWay(o.way)
		return
	}
	i, n := o.runs%len(o.ways), len(o.ways)
	t0 := time.Now()
	o.runWay(o.ways[i])
	if len(o.ways) == n { // else a refused whole way restarted the tuning
		o.measured(i, time.Since(t0))
	}
}

// runWay runs the product the given way.
func (o *gemmOp) runWay(w gemmWay) {
	if w == wayWhole && o.runWhole() {
		return
	}
	if w == wayPacked {
		o.phase = phasePacked
		o.c.pool.do(o, o.packedParts, o.packedParts)
		return
	}
	if w == wayWide {
		o.phase = phaseWide
		o.c.pool.do(o, o.wideParts, o.wideParts)
		return
	}
	o.phase = phaseTiles
	if w == wayCoarse {
		o.c.pool.do(o, o.parts, o.parts)
		return
	}
	o.c.pool.do(o, o.chunks, o.parts)
}

// measured records one tuning run of way i and chooses when the tuning is over.
func (o *gemmOp) measured(i int, d time.Duration) {
	if o.best[i] == 0 || d < o.best[i] {
		o.best[i] = d
	}
	o.runs++
	o.spent += d
	if o.runs%len(o.ways) != 0 || !tunedEnough(o.best, o.spent, o.runs/len(o.ways)) {
		return
	}
	o.way = o.ways[0]
	quickest := o.best[0]
	for j, b := range o.best {
		if b < quickest {
			o.way, quickest = o.ways[j], b
		}
	}
	o.settled()
}

// choose ends the tuning with way w, when w is one of the ways the product
// can still run.
func (o *gemmOp) choose(w gemmWay) bool {
	if !slices.Contains(o.ways, w) {
		return false
	}
	o.way = w
	o.settled()
	return true
}

// tunedEnough reports whether rounds complete rounds of runs suffice, the
// quickest run of each way in best and spent in all.
func tunedEnough(best []time.Duration, spent time.Duration, rounds int) bool {
	if rounds >= gemmTuneLongRounds && slices.Min(best) >= gemmTuneLong {
		return true
	}
	return rounds >= gemmTuneRounds && (spent >= gemmTuneTime || rounds >= gemmTuneMaxRounds)
}

// dropWhole stops trying the whole way (the library refused it) and starts
// the tuning again among the others.
func (o *gemmOp) dropWhole() {
	o.threaded = nil
	o.ways = o.ways[:len(o.ways)-1] // the whole way is always last
	o.best = o.best[:len(o.ways)]
	clear(o.best)
	o.runs, o.spent = 0, 0
	o.way = o.ways[0]
	if len(o.ways) < 2 {
		o.ways = nil
		o.settled()
	}
}

// runWhole computes the product as one threaded sgemm, or reports false
// (nothing computed) when the library cannot, which ends the tuning.
func (o *gemmOp) runWhole() bool {
	beta := float32(0)
	if o.b != nil {
		o.phase = phaseBias
		o.c.pool.do(o, o.ewChunks, o.ewParts)
		beta = 1
	}
	if !o.threaded.SgemmThreads(o.c.pool.threads, blas.NoTrans, blas.Trans, o.rows, o.outF, o.in, 1,
		o.x, o.in, o.w, o.in, beta, o.y, o.outF) {
		o.dropWhole()
		return false
	}
	if o.r != nil || o.act.kind != actNone {
		o.phase = phaseEpilogue
		o.c.pool.do(o, o.ewChunks, o.ewParts)
	}
	return true
}

func (o *gemmOp) run(chunk, chunks, worker int) {
	switch o.phase {
	case phasePacked:
		p0, p1 := span(densePanels(o.outF), chunk, chunks, 1)
		denseRows(o.isa, o.x, o.in, o.packed, o.b, o.r, o.y, o.outF, o.rows, o.in, o.outF, p0, p1, o.group,
			o.xbufs[worker], o.act)
	case phaseWide:
		p0, p1 := span(widePanels(o.wideISA, o.outF), chunk, chunks, 1)
		wideRows(o.wideISA, o.x, o.in, o.wide, o.b, o.r, o.y, o.outF, o.rows, o.in, o.outF, p0, p1, o.act)
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
		epilogueRows(o.c.isa, y, r1-r0, o.outF, o.outF, r, o.act)
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
	beta := float32(0)
	if o.b != nil {
		fillRows(y, m, n, ld, o.b[c0:c1])
		beta = 1
	}
	if o.gemv != nil { // one row: y = W[c0:c1]·x
		o.gemv.Sgemv(blas.NoTrans, n, o.in, 1, o.w[c0*o.in:], o.in, o.x[r0*o.in:], beta, y[:n])
	} else {
		o.c.lib.Sgemm(blas.NoTrans, blas.Trans, m, n, o.in, 1, o.x[r0*o.in:], o.in, o.w[c0*o.in:], o.in, beta, y, ld)
	}
	var r []float32
	if o.r != nil {
		r = o.r[r0*ld+c0:]
	}
	epilogueRows(o.c.isa, y, m, n, ld, r, o.act)
}

// linearKernel runs a model.OpLinear node: Y = act(X·Wᵀ + B + R) with X's
// rows the product of all its dimensions but the last.
type linearKernel struct {
	g             gemmOp
	x, w, b, r, y *model.Tensor
}

// linear plans an OpLinear node, in the graph's layout.
func (p *planner) linear(n *model.Node) (bool, error) {
	a, err := actOf(model.ActivationOf(n))
	if err != nil {
		return false, err
	}
	xs, ws := p.shape(n.Input(0)), p.shape(n.Input(1))
	k, outF := xs[len(xs)-1], ws[0]
	if k == 0 || outF == 0 {
		return false, nil
	}
	l := &linearKernel{}
	ins := []*val{p.get(n.Input(0), false), p.get(n.Input(1), false)}
	l.x, l.w = ins[0].t, ins[1].t
	l.b = p.optional(n.Input(2), false, &ins)
	l.r = p.optional(n.Input(3), false, &ins)
	y := p.out(n.Outputs[0], false)
	l.y = y.t
	l.g = *newGemmOp(p.c, model.NumElems(xs)/k, k, outF, a, p.isConst(n.Input(1)))
	p.add(&step{name: n.Name, op: n.Op, k: l, ins: ins, outs: []*val{y}})
	return true, nil
}

func (l *linearKernel) bind() {
	l.g.x, l.g.w, l.g.y = l.x.F32, l.w.F32, l.y.F32
	if l.b != nil {
		l.g.b = l.b.F32
	}
	if l.r != nil {
		l.g.r = l.r.F32
	}
	l.g.pack()
}

func (l *linearKernel) packedFloats() int { return l.g.packedFloats() }
func (l *linearKernel) readsPacked(i int) bool {
	return i == 1 && l.g.tuned && (l.g.way == wayPacked || l.g.way == wayWide)
}
func (l *linearKernel) scratchFloats() int       { return l.g.scratchFloats() }
func (l *linearKernel) setScratch(buf []float32) { l.g.setScratch(buf) }

func (l *linearKernel) compute() error {
	l.g.multiply()
	return nil
}
