package cpu

import (
	"fmt"
	"time"

	"infertop/internal/blas"
	"infertop/model"
)

// convMode is how a convolution computes.
type convMode int

const (
	// convIm2col: im2col + sgemm per group, the general way.
	convIm2col convMode = iota
	// convPointwise: a 1×1 convolution at stride 1 without padding, whose
	// input pixels are already im2col's rows: sgemm straight on the input.
	convPointwise
	// convDirect: a single-channel input at stride 1 (see directConv).
	convDirect
	// convDepthwise: one input channel per output channel (see ik_dwconv).
	convDepthwise
)

// String names the way for a profile: "im2col + sgemm", "pointwise sgemm",
// "direct convolution" or "depthwise kernel".
func (m convMode) String() string {
	switch m {
	case convPointwise:
		return "pointwise sgemm"
	case convDirect:
		return "direct convolution"
	case convDepthwise:
		return "depthwise kernel"
	}
	return "im2col + sgemm"
}

// wideName names an im2col or pointwise convolution through the wide
// kernel, for a profile: "im2col" or "pointwise".
func (m convMode) wideName() string {
	if m == convPointwise {
		return "pointwise"
	}
	return "im2col"
}

// convKernel runs a model.OpFusedConv node over channels-last input into
// channels-last output, 2-D (or 1-D, as images one pixel high), with any
// kernel, strides, padding, dilations and groups, adding bias and residual and
// applying the activation while each chunk of output pixels is in cache.
//
//   - im2col + sgemm: the output pixels (batch × oh × ow rows) are split among
//     the parts; each part builds the im2col rows of a chunk of its pixels in
//     its own buffer, one group at a time, multiplies them by the group's
//     weights (reordered once to [out, kh, kw, c/groups]) with a
//     single-threaded sgemm, and applies the epilogue.
//   - pointwise: the same without im2col.
//   - direct and depthwise: the parts take whole output image rows.
type convKernel struct {
	c              *compute
	g              window
	groups, cg, mg int // groups, input channels and outputs per group
	m, kkc         int // outputs, and one group's im2col row (kh·kw·cg)
	mode           convMode
	act            act
	rows           int // batch·oh·ow
	units          int // what the chunks split: rows, or batch·oh image rows
	chunk          int // units per chunk
	parts, chunks  int
	col            [][]float32 // per worker: chunk × kkc of im2col, or directScratch floats
	wt             *model.Tensor
	xt, bt, rt, yt *model.Tensor
	x, w, b, r, y  []float32
	wr             []float32 // depthwise at stride 1: each tap's weights along a row
	packed         int       // floats of the reordered weights
	// An im2col or pointwise convolution of one group can also multiply
	// through the wide kernel (wideRows) over its weights packed in wide
	// (packWide's layout), with the epilogue in its store; tune chooses.
	wide []float32
	tune convTuning
}

// convChunkFloats bounds one part's im2col buffer (it should stay in L2).
const convChunkFloats = 64 << 10

// attrInts reads an ints attribute, or n copies of def.
func attrInts(n *model.Node, name string, count int, def int) []int {
	out := make([]int, count)
	v, ok := n.Attrs.Ints(name)
	for i := range out {
		out[i] = def
		if ok && i < len(v) {
			out[i] = int(v[i])
		}
	}
	return out
}

// windowOf reads a convolution's or a pool's window attributes (strides,
// pads, dilations; auto_pad is resolved by then) for input xs and output ys
// of rank 3 (1-D, taken as one pixel high) or 4, with kernel sizes k.
func windowOf(n *model.Node, xs, ys, k []int) window {
	ns := len(xs) - 2
	s, d, p := attrInts(n, "strides", ns, 1), attrInts(n, "dilations", ns, 1), attrInts(n, "pads", 2*ns, 0)
	g := window{h: 1, w: xs[len(xs)-1], c: xs[1], kh: 1, kw: k[ns-1], sh: 1, sw: s[ns-1], dh: 1, dw: d[ns-1],
		pw: p[ns-1], ew: p[2*ns-1], oh: 1, ow: ys[len(ys)-1]}
	if ns == 2 {
		g.h, g.kh, g.sh, g.dh, g.ph, g.eh, g.oh = xs[2], k[0], s[0], d[0], p[0], p[2], ys[2]
	}
	return g
}

// conv plans an OpFusedConv node of a 1-D or 2-D convolution, channels-last.
func (p *planner) conv(n *model.Node) (bool, error) {
	xs, ys := p.shape(n.Input(0)), p.shape(n.Outputs[0])
	w := p.g.Const(n.Input(1))
	if len(xs) < 3 || len(xs) > 4 || w == nil {
		return false, nil
	}
	a, err := actOf(model.ActivationOf(n))
	if err != nil {
		return false, err
	}
	k := &convKernel{c: p.c, act: a, wt: w, m: w.Shape[0], cg: w.Shape[1], groups: int(n.Attrs.Int("group", 1))}
	k.g = windowOf(n, xs, ys, w.Shape[2:])
	if k.groups < 1 || k.cg*k.groups != xs[1] || k.m%k.groups != 0 {
		return false, fmt.Errorf("input channels %d do not match the weight's %d × group %d", xs[1], k.cg, k.groups)
	}
	k.mg = k.m / k.groups
	k.kkc = k.g.kh * k.g.kw * k.cg
	k.plan(xs[0])

	x := p.get(n.Input(0), true)
	ins := []*val{x}
	k.xt = x.t
	if k.mode == convDirect {
		ins = append(ins, p.get(n.Input(1), false)) // read as it is
	}
	k.bt = p.optional(n.Input(2), false, &ins)
	k.rt = p.optional(n.Input(3), true, &ins)
	y := p.out(n.Outputs[0], true)
	k.yt = y.t
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: ins, outs: []*val{y}})
	return true, nil
}

// plan chooses the mode and cuts the work into chunks.
func (k *convKernel) plan(batch int) {
	g, threads := &k.g, k.c.pool.threads
	k.rows = batch * g.oh * g.ow
	flops := k.rows * k.kkc * k.m // multiply-adds: every output value takes kh·kw·c/groups
	switch {
	case k.cg == 1 && k.mg == 1:
		k.mode = convDepthwise
		k.packed = g.kh * g.kw * k.m
		if k.dwRepeat() {
			k.packed += g.kh * g.kw * g.ow * k.m // the weights repeated along a row
		}
	case k.groups == 1 && directConv(g, k.m):
		k.mode = convDirect
	case g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.eh == 0 && g.ew == 0:
		k.mode = convPointwise
		k.packed = k.m * k.kkc
	default:
		k.mode = convIm2col
		k.packed = k.m * k.kkc
	}
	k.tune = newConvTuning(k.groups == 1 && k.mode != convDepthwise, k.c.isa)
	if k.mode == convDirect || k.mode == convDepthwise {
		k.units = batch * g.oh
		k.parts = min(partsFor(flops, minPartFlops, threads), k.units)
		k.chunk = max(1, (k.units+k.parts*chunksPerPart-1)/(k.parts*chunksPerPart))
		k.chunks = (k.units + k.chunk - 1) / k.chunk
		return
	}
	k.units = k.rows
	k.parts = min(partsFor(flops, minPartFlops, threads), max(k.rows/16, 1))
	// Chunks of at most convChunkFloats of im2col (or of output, pointwise),
	// so that they stay in cache, and about chunksPerPart of them per part.
	per := k.kkc
	if k.mode == convPointwise {
		per = k.m
	}
	k.chunk = max(16, convChunkFloats/max(per, 1)/8*8)
	if k.parts > 1 {
		k.chunk = max(16, min(k.chunk, roundUp((k.rows+k.parts*chunksPerPart-1)/(k.parts*chunksPerPart), 8)))
	}
	k.chunk = min(k.chunk, roundUp(k.rows, 8))
	k.chunks = (k.rows + k.chunk - 1) / k.chunk
}

// directConv reports whether a convolution runs directly rather than as
// im2col + sgemm: a single-channel input at stride 1, with a square kernel
// and the same padding on every side. There an im2col row is only k·k
// floats, copied a few at a time, and the product has k·k inner and outC
// output columns, shapes at which sgemm runs far below its speed (lenet5's
// first layer ran at 7 GFLOP/s, two thirds of it in im2col). The direct
// kernel slides each weight along a zero-padded input row instead, which
// vectorizes over the output pixels.
func directConv(g *window, outC int) bool {
	return g.c == 1 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.kh == g.kw &&
		g.ph == g.pw && g.ph == g.eh && g.pw == g.ew && outC <= 64 && g.kh <= 11
}

// directScratch is the floats one worker of a direct convolution needs: k
// zero-padded input rows and outC output rows, each rounded up to whole
// vectors of 16 (ow + k − 1 = w + 2·pad at stride 1).
func directScratch(g *window, outC int) int {
	owp := roundUp(g.ow, 16)
	return g.kh*(owp+g.kh-1) + outC*owp
}

// dwRepeat says a depthwise convolution keeps each tap's weights repeated
// along an output row (wr): the generic kernel's way at stride 1. With AVX2
// and up the kernel of dwConvAct reads the weights once per tile instead.
func (k *convKernel) dwRepeat() bool { return k.g.sw == 1 && k.c.isa < isaAVX2 }

// workers is how many goroutines may run the chunks (each needs its own buffer).
func (k *convKernel) workers() int { return min(k.parts, k.chunks) }

func (k *convKernel) bufFloats() int {
	switch k.mode {
	case convDirect:
		n := directScratch(&k.g, k.m)
		if k.tune.isa != isaNone {
			n = max(n, k.wideBlock()*k.kkc)
		}
		return n
	case convIm2col:
		return max(k.chunk*k.kkc, implicitScratch(&k.g))
	}
	return 0
}

// wideBlock is how many output pixels of a direct convolution's chunk
// one im2col pass of its wide way takes: about convChunkFloats of im2col.
func (k *convKernel) wideBlock() int {
	return min(k.chunk*k.g.ow, max(16, convChunkFloats/max(k.kkc, 1)/8*8))
}

func (k *convKernel) scratchFloats() int { return k.workers() * k.bufFloats() }

func (k *convKernel) setScratch(buf []float32) {
	k.col = make([][]float32, k.workers())
	n := k.bufFloats()
	for p := range k.col {
		k.col[p] = buf[p*n : (p+1)*n]
	}
}

func (k *convKernel) packedFloats() int {
	n := k.packed
	if k.bt == nil && k.mode == convDirect {
		n += k.m // zero bias
	}
	switch {
	case k.tune.isa == isaNone:
	case !k.tune.tuned:
		n += wideFloats(k.tune.isa, k.m, k.kkc)
	case k.tune.way == wayWide && k.mode == convDirect:
		n += wideFloats(k.tune.isa, k.m, k.kkc)
	case k.tune.way == wayWide:
		n = wideFloats(k.tune.isa, k.m, k.kkc)
	}
	return n
}

// readsPacked says a direct convolution that took the wide way reads its
// weights (input 1) only through their packed copy.
func (k *convKernel) readsPacked(i int) bool {
	return i == 1 && k.mode == convDirect && k.tune.tuned && k.tune.way == wayWide
}

// bind reorders the weights for the mode and takes the buffers' slices.
func (k *convKernel) bind() {
	g, w := &k.g, k.wt.F32
	kk := g.kh * g.kw
	switch k.mode {
	case convDirect:
		k.w = w // [m, 1, kh, kw]: im2col's row order already
		if k.tune.isa != isaNone {
			k.wide = make([]float32, wideFloats(k.tune.isa, k.m, k.kkc))
			packWide(k.wide, k.tune.isa, k.w, k.m, k.kkc)
		}
	case convDepthwise:
		// [c, 1, kh, kw] → [kh, kw, c], and at stride 1 each tap's row repeated ow times.
		k.w = make([]float32, k.packed)
		for c := 0; c < k.m; c++ {
			for t := 0; t < kk; t++ {
				k.w[t*k.m+c] = w[c*kk+t]
			}
		}
		if k.dwRepeat() {
			k.wr = k.w[kk*k.m:]
			for t := 0; t < kk; t++ {
				for ox := 0; ox < g.ow; ox++ {
					copy(k.wr[(t*g.ow+ox)*k.m:(t*g.ow+ox+1)*k.m], k.w[t*k.m:(t+1)*k.m])
				}
			}
			k.w = k.w[:kk*k.m]
		}
	default:
		// [m, cg, kh, kw] → [m, kh, kw, cg]: each group's rows one [mg, kkc] matrix.
		k.w = make([]float32, k.m*k.kkc)
		for m := 0; m < k.m; m++ {
			for c := 0; c < k.cg; c++ {
				for t := 0; t < kk; t++ {
					k.w[(m*kk+t)*k.cg+c] = w[(m*k.cg+c)*kk+t]
				}
			}
		}
		if k.tune.isa != isaNone {
			k.wide = make([]float32, wideFloats(k.tune.isa, k.m, k.kkc))
			packWide(k.wide, k.tune.isa, k.w, k.m, k.kkc)
		}
	}
	k.x, k.y = k.xt.F32, k.yt.F32
	k.b, k.r = nil, nil
	if k.bt != nil {
		k.b = k.bt.F32
	} else if k.mode == convDirect {
		k.b = make([]float32, k.m)
	}
	if k.rt != nil {
		k.r = k.rt.F32
	}
}

func (k *convKernel) compute() error {
	if k.mode == convIm2col || k.mode == convDirect {
		if len(k.col) == 0 {
			return fmt.Errorf("no scratch buffer (not prepared)")
		}
	}
	if k.tune.tuned {
		k.c.pool.do(k, k.chunks, k.workers())
		return nil
	}
	i := k.tune.next()
	t0 := time.Now()
	k.c.pool.do(k, k.chunks, k.workers())
	if k.tune.measured(i, time.Since(t0)) {
		k.settled()
	}
	return nil
}

// settled drops the weights of the way the tuning did not choose (a
// direct convolution's are the graph's own, not a copy).
func (k *convKernel) settled() {
	if k.tune.way == wayWide {
		if k.mode != convDirect {
			k.w = nil
		}
	} else {
		k.wide = nil
	}
}

func (k *convKernel) run(chunk, _, worker int) {
	g, m := &k.g, k.m
	u0 := chunk * k.chunk
	u1 := min(u0+k.chunk, k.units)
	r0, r1 := u0, u1
	switch k.mode {
	case convDirect:
		if k.tune.way == wayWide {
			k.runWide(u0*g.ow, u1*g.ow, worker)
			return
		}
		// ReLU is applied as the output is stored when nothing comes between.
		fused := k.act.kind == actReLU && k.r == nil
		convC1(k.c.isa, k.x, k.w, k.b, k.y, k.col[worker], g, m, u0, u1, fused)
		if fused {
			return
		}
		r0, r1 = u0*g.ow, u1*g.ow
	case convDepthwise:
		if k.c.isa >= isaAVX2 {
			dwConvAct(k.c.isa, k.x, k.w, k.b, k.r, k.y, g, u0, u1, k.act)
			return
		}
		dwConv(k.x, k.w, k.wr, k.b, k.y, g, u0, u1)
		r0, r1 = u0*g.ow, u1*g.ow
	default:
		if k.tune.way == wayWide {
			k.runWide(r0, r1, worker)
			return
		}
		y := k.y[r0*m : r1*m]
		beta := float32(0)
		if k.b != nil {
			fillRows(y, r1-r0, m, m, k.b)
			beta = 1
		}
		for grp := 0; grp < k.groups; grp++ {
			var a []float32
			lda := k.kkc
			if k.mode == convPointwise {
				a, lda = k.x[r0*g.c+grp*k.cg:], g.c
			} else {
				a = k.col[worker]
				im2col(a, k.x, g, grp*k.cg, k.cg, r0, r1)
			}
			k.c.lib.Sgemm(blas.NoTrans, blas.Trans, r1-r0, k.mg, k.kkc, 1, a, lda, k.w[grp*k.mg*k.kkc:], k.kkc,
				beta, y[grp*k.mg:], m)
		}
	}
	var r []float32
	if k.r != nil {
		r = k.r[r0*m : r1*m]
	}
	epilogueRows(k.c.isa, k.y[r0*m:r1*m], r1-r0, m, m, r, k.act)
}

// implicit says an im2col convolution's wide way reads the input in place
// (convImplicit) instead of building im2col rows for the wide kernel.
func (k *convKernel) implicit() bool {
	return k.mode == convIm2col && implicitConv(k.tune.isa, &k.g, k.m)
}

// implicitScratch is the floats of scratch convImplicit needs for window
// g: kh padded input rows when the window pads left or right, else none.
func implicitScratch(g *window) int {
	if g.pw == 0 && g.ew == 0 {
		return 0
	}
	return g.kh * ((g.ow-1)*g.sw + (g.kw-1)*g.dw + 1) * g.c
}

// runWide computes output rows [r0, r1) of a convolution of one group
// through the wide kernel, with the epilogue in its store: straight from
// the input (pointwise), from im2col rows built a block at a time, or, for
// few outputs of few inputs a pixel, reading the input in place (implicit).
func (k *convKernel) runWide(r0, r1, worker int) {
	g, m := &k.g, k.m
	if k.implicit() {
		convImplicit(k.x, g, k.wide, k.b, k.r, k.y, k.col[worker], m, r0, r1, k.act)
		return
	}
	block := r1 - r0
	if k.mode == convDirect {
		block = k.wideBlock()
	}
	for b0 := r0; b0 < r1; b0 += block {
		b1 := min(b0+block, r1)
		a, lda := k.x[b0*g.c:], g.c
		if k.mode != convPointwise {
			a, lda = k.col[worker], k.kkc
			im2col(a, k.x, g, 0, k.cg, b0, b1)
		}
		var r []float32
		if k.r != nil {
			r = k.r[b0*m:]
		}
		wideRows(k.tune.isa, a, lda, k.wide, k.b, r, k.y[b0*m:], m, b1-b0, k.kkc, m, 0, widePanels(k.tune.isa, m), k.act)
	}
}
