package cpu

import (
	"math"

	"infertop/model"
)

// layerNormKernel normalizes each row of the last axis (rows in parallel),
// then scales and shifts it.
type layerNormKernel struct {
	c              *compute
	d              int
	eps            float32
	split          rowSplit
	xt, gt, bt, yt *model.Tensor
	x, g, b, y     []float32
}

// layerNorm plans a LayerNormalization over the last axis whose scale and
// bias are [D] (or omitted bias) and whose statistics outputs are not read.
func (p *planner) layerNorm(n *model.Node) (bool, error) {
	x := n.Input(0)
	xs := p.shape(x)
	r := len(xs)
	axis := int(n.Attrs.Int("axis", -1))
	if axis < 0 {
		axis += r
	}
	d := xs[r-1]
	flat := func(name string) bool { return name == "" || model.NumElems(p.shape(name)) == d }
	if axis != r-1 || d == 0 || !flat(n.Input(1)) || !flat(n.Input(2)) || p.used(n.Outputs[1:]...) {
		return false, nil
	}
	in, g := p.get(x, false), p.get(n.Input(1), false)
	ins := []*val{in, g}
	k := &layerNormKernel{c: p.c, d: d, eps: n.Attrs.Float("epsilon", 1e-5), xt: in.t, gt: g.t}
	k.bt = p.optional(n.Input(2), false, &ins)
	y := p.out(n.Outputs[0], false)
	k.yt = y.t
	k.split = splitRows(p.c.pool.threads, model.NumElems(xs)/d, d)
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: ins, outs: []*val{y}, inplace: []int{0}})
	return true, nil
}

func (k *layerNormKernel) bind() {
	k.x, k.g, k.y = k.xt.F32, k.gt.F32, k.yt.F32
	if k.bt != nil {
		k.b = k.bt.F32
	}
}

func (k *layerNormKernel) compute() error { return k.split.do(k.c, k) }

func (k *layerNormKernel) run(chunk, chunks, _ int) {
	r0, r1 := k.split.span(chunk, chunks)
	layerNormRows(k.x[r0*k.d:], k.y[r0*k.d:], r1-r0, k.d, k.g, k.b, k.eps)
}

// softmaxKernel is a softmax over contiguous rows (the last axis; before
// opset 13, the axes from the attribute's on), rows in parallel.
type softmaxKernel struct {
	c      *compute
	d      int
	split  rowSplit
	xt, yt *model.Tensor
	x, y   []float32
}

// softmax plans a float32 Softmax whose rows are contiguous in the graph's layout.
func (p *planner) softmax(n *model.Node) (bool, error) {
	x := n.Input(0)
	xs := p.shape(x)
	r := len(xs)
	opset := model.EffectiveOpset(p.opset)
	def := int64(-1)
	if opset < 13 {
		def = 1
	}
	axis := int(n.Attrs.Int("axis", def))
	if axis < 0 {
		axis += r
	}
	d := model.NumElems(xs[axis:])
	if p.dtype(x) != model.Float32 || d == 0 || (opset >= 13 && axis != r-1) {
		return false, nil
	}
	in := p.get(x, false)
	y := p.out(n.Outputs[0], false)
	k := &softmaxKernel{c: p.c, d: d, xt: in.t, yt: y.t, split: splitRows(p.c.pool.threads, model.NumElems(xs)/d, d)}
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{in}, outs: []*val{y}, inplace: []int{0}})
	return true, nil
}

func (k *softmaxKernel) bind() { k.x, k.y = k.xt.F32, k.yt.F32 }

func (k *softmaxKernel) compute() error { return k.split.do(k.c, k) }

func (k *softmaxKernel) run(chunk, chunks, _ int) {
	r0, r1 := k.split.span(chunk, chunks)
	y := k.y[r0*k.d : r1*k.d]
	copy(y, k.x[r0*k.d:r1*k.d])
	softmaxRows(y, r1-r0, k.d, k.d)
}

// affineKernel is a standalone BatchNormalization: y = x·s + t per channel,
// s = scale/√(var + ε) and t = bias − mean·s computed once, in either layout.
type affineKernel struct {
	c      *compute
	cl     bool
	n, ch  int // values per row, channels
	split  rowSplit
	s, t   []float32
	xt, yt *model.Tensor
	x, y   []float32
}

// batchNorm plans an inference BatchNormalization of per-channel parameters
// whose statistics outputs are not read, in its input's layout.
func (p *planner) batchNorm(n *model.Node) (bool, error) {
	x := n.Input(0)
	xs := p.shape(x)
	if p.dtype(x) != model.Float32 || len(xs) < 2 || p.used(n.Outputs[1:]...) {
		return false, nil
	}
	ch := xs[1]
	par := make([]*model.Tensor, 4)
	for i := range par {
		par[i] = p.g.Const(n.Input(i + 1))
		if par[i] == nil || len(par[i].F32) != ch {
			return false, nil
		}
	}
	k := &affineKernel{c: p.c, ch: ch, s: make([]float32, ch), t: make([]float32, ch)}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	for c := 0; c < ch; c++ {
		s := float64(par[0].F32[c]) / math.Sqrt(float64(par[3].F32[c])+eps)
		k.s[c] = float32(s)
		k.t[c] = float32(float64(par[1].F32[c]) - float64(par[2].F32[c])*s)
	}
	k.cl = p.isCL(x) && p.clable(x)
	in := p.get(x, k.cl)
	y := p.out(n.Outputs[0], k.cl)
	k.xt, k.yt = in.t, y.t
	rows := xs[0] * ch
	k.n = model.NumElems(xs[2:])
	if k.cl {
		rows, k.n = xs[0]*model.NumElems(xs[2:]), ch
	}
	k.split = splitRows(p.c.pool.threads, rows, k.n)
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{in}, outs: []*val{y}, inplace: []int{0}})
	return true, nil
}

func (k *affineKernel) packedFloats() int { return 2 * k.ch }

func (k *affineKernel) bind() { k.x, k.y = k.xt.F32, k.yt.F32 }

func (k *affineKernel) compute() error { return k.split.do(k.c, k) }

func (k *affineKernel) run(chunk, chunks, _ int) {
	r0, r1 := k.split.span(chunk, chunks)
	affineRows(k.y, k.x, k.s, k.t, k.n, k.ch, k.cl, r0, r1)
}
