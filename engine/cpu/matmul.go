package cpu

import (
	"infertop/internal/blas"
	"infertop/model"
)

// matmulKernel is MatMul of float32 tensors, batched numpy-style: one
// single-threaded sgemm per block of rows of each matrix product, the
// (matrix, row block) units in parallel.
type matmulKernel struct {
	c                *compute
	m, k, n          int
	aOff, bOff       []int // each product's first element in a and b
	rowBlocks, units int
	parts            int
	at, bt, yt       *model.Tensor
	a, b, y          []float32
}

// matmul plans a float32 MatMul in the graph's layout.
func (p *planner) matmul(n *model.Node) (bool, error) {
	an, bn, out := n.Input(0), n.Input(1), n.Outputs[0]
	if p.dtype(an) != model.Float32 {
		return false, nil
	}
	as, bs, ys := p.shape(an), p.shape(bn), p.shape(out)
	k := &matmulKernel{c: p.c, m: 1, k: as[len(as)-1], n: 1}
	nb := len(ys)
	var ab, bb []int
	if len(as) > 1 {
		k.m, ab = as[len(as)-2], as[:len(as)-2]
		nb--
	}
	if len(bs) > 1 {
		k.n, bb = bs[len(bs)-1], bs[:len(bs)-2]
		nb--
	}
	if k.m == 0 || k.n == 0 || k.k == 0 {
		return false, nil
	}
	batch := ys[:nb]
	count := model.NumElems(batch)
	ap, bp := padShape(ab, nb), padShape(bb, nb)
	k.aOff, k.bOff = make([]int, count), make([]int, count)
	idx := make([]int, nb)
	for i := 0; i < count; i++ {
		ao, bo, as, bs := 0, 0, 1, 1
		for d := nb - 1; d >= 0; d-- {
			if ap[d] != 1 {
				ao += idx[d] * as
			}
			if bp[d] != 1 {
				bo += idx[d] * bs
			}
			as *= ap[d]
			bs *= bp[d]
		}
		k.aOff[i], k.bOff[i] = ao*k.m*k.k, bo*k.k*k.n
		for d := nb - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < batch[d] {
				break
			}
			idx[d] = 0
		}
	}
	threads := p.c.pool.threads
	k.parts = partsFor(count*k.m*k.n*k.k, minPartFlops, threads)
	k.rowBlocks = 1
	for count*k.rowBlocks < k.parts*chunksPerPart && k.m/(2*k.rowBlocks) >= 16 {
		k.rowBlocks *= 2
	}
	k.units = count * k.rowBlocks
	k.parts = min(k.parts, k.units)
	av, bv := p.get(an, false), p.get(bn, false)
	y := p.out(out, false)
	k.at, k.bt, k.yt = av.t, bv.t, y.t
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: []*val{av, bv}, outs: []*val{y}})
	return true, nil
}

func (k *matmulKernel) bind() { k.a, k.b, k.y = k.at.F32, k.bt.F32, k.yt.F32 }

func (k *matmulKernel) compute() error {
	k.c.pool.do(k, k.units, k.parts)
	return nil
}

func (k *matmulKernel) run(u, _, _ int) {
	i, blk := u/k.rowBlocks, u%k.rowBlocks
	r0, r1 := span(k.m, blk, k.rowBlocks, 1)
	if r0 >= r1 {
		return
	}
	k.c.lib.Sgemm(blas.NoTrans, blas.NoTrans, r1-r0, k.n, k.k, 1, k.a[k.aOff[i]+r0*k.k:], k.k,
		k.b[k.bOff[i]:], k.n, 0, k.y[(i*k.m+r0)*k.n:], k.n)
}
