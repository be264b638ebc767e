package cpu

import (
	"infertop/model"
)

// poolKernel is MaxPool or AveragePool over channels-last input, 1-D or 2-D,
// with any window, strides, padding, dilations, ceil_mode (already in the
// output's size) and count_include_pad; the parts take whole output image rows.
type poolKernel struct {
	c             *compute
	g             window
	avg, countPad bool
	split         rowSplit
	xt, yt        *model.Tensor
	x, y          []float32
}

// pool plans a MaxPool or AveragePool of a 1-D or 2-D input whose Indices
// are not read, channels-last.
func (p *planner) pool(n *model.Node) (bool, error) {
	x := n.Input(0)
	xs, ys := p.shape(x), p.shape(n.Outputs[0])
	if len(xs) < 3 || len(xs) > 4 || p.dtype(x) != model.Float32 || (len(n.Outputs) > 1 && p.used(n.Outputs[1])) {
		return false, nil
	}
	ks, ok := n.Attrs.Ints("kernel_shape")
	if !ok || len(ks) != len(xs)-2 {
		return false, nil
	}
	kernel := make([]int, len(ks))
	for i, v := range ks {
		kernel[i] = int(v)
	}
	k := &poolKernel{c: p.c, g: windowOf(n, xs, ys, kernel), avg: n.Op == "AveragePool",
		countPad: n.Attrs.Int("count_include_pad", 0) != 0}
	in := p.get(x, true)
	y := p.out(n.Outputs[0], true)
	k.xt, k.yt = in.t, y.t
	k.split = splitRows(p.c.pool.threads, xs[0]*k.g.oh, k.g.ow*k.g.c*k.g.kh*k.g.kw)
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{in}, outs: []*val{y}})
	return true, nil
}

func (k *poolKernel) bind() { k.x, k.y = k.xt.F32, k.yt.F32 }

func (k *poolKernel) compute() error { return k.split.do(k.c, k) }

func (k *poolKernel) run(chunk, chunks, _ int) {
	q0, q1 := k.split.span(chunk, chunks)
	poolRows(k.x, k.y, &k.g, k.avg, k.countPad, q0, q1)
}

// globalPoolKernel is GlobalAveragePool or GlobalMaxPool: over channels-last
// input it reduces each sample's pixels channel-vector by channel-vector,
// over the graph's layout each (sample, channel)'s row of pixels. The result
// [N, C, 1, ...] is the same in both layouts.
type globalPoolKernel struct {
	c            *compute
	cl, max      bool
	hw, ch, rows int
	split        rowSplit
	xt, yt       *model.Tensor
	x, y         []float32
}

// globalPool plans a float32 global pool in its input's layout.
func (p *planner) globalPool(n *model.Node) (bool, error) {
	x := n.Input(0)
	xs := p.shape(x)
	if p.dtype(x) != model.Float32 || len(xs) < 3 {
		return false, nil
	}
	cl := p.isCL(x)
	in := p.get(x, cl)
	y := p.out(n.Outputs[0], false) // its order is the same either way
	k := &globalPoolKernel{c: p.c, cl: cl, max: n.Op == "GlobalMaxPool", hw: model.NumElems(xs[2:]), ch: xs[1],
		xt: in.t, yt: y.t}
	if cl {
		k.rows = xs[0]
		k.split = splitRows(p.c.pool.threads, k.rows, k.hw*k.ch)
	} else {
		k.rows = xs[0] * xs[1]
		k.split = splitRows(p.c.pool.threads, k.rows, k.hw)
	}
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{in}, outs: []*val{y}})
	return true, nil
}

func (k *globalPoolKernel) bind() { k.x, k.y = k.xt.F32, k.yt.F32 }

func (k *globalPoolKernel) compute() error { return k.split.do(k.c, k) }

func (k *globalPoolKernel) run(chunk, chunks, _ int) {
	r0, r1 := k.split.span(chunk, chunks)
	if k.cl {
		globalPoolNHWC(k.x, k.y, k.hw, k.ch, r0, r1, k.max)
		return
	}
	reduceRows(k.x, k.y, k.hw, r0, r1, k.max)
}
