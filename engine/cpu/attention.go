package cpu

import (
	"math"

	"infertop/internal/blas"
	"infertop/model"
)

// attentionKernel is model.OpAttention: from the packed projection qkv
// [batch·t, 3d] (q, k and v one after the other along each row) it computes,
// per sample and head, softmax(q·kᵀ·scale + mask)·v into y [batch·t, d].
// The (sample, head, block of query rows) units are split among the parts;
// each part keeps its score block in its own scratch.
type attentionKernel struct {
	c                  *compute
	batch, t, d, heads int
	scale              float32
	blocks, units      int
	parts              int
	scores             [][]float32 // per part: ceil(t/blocks) × t
	// The mask's strides over [batch, heads, t, t] (0 where it is broadcast).
	ms              [4]int
	qkvt, maskt, yt *model.Tensor
	qkv, mask, y    []float32
}

// attention plans an OpAttention node in the graph's layout.
func (p *planner) attention(n *model.Node) (bool, error) {
	xs := p.shape(n.Input(0))
	b, t, d := xs[0], xs[1], xs[2]/3
	heads := int(n.Attrs.Int("num_heads", 0))
	if heads < 1 || d%heads != 0 || t == 0 || d == 0 {
		return false, nil
	}
	scale := 1 / math.Sqrt(float64(d/heads))
	if n.Attrs.Has("scale") {
		scale = float64(n.Attrs.Float("scale", 0))
	}
	k := &attentionKernel{c: p.c, batch: b, t: t, d: d, heads: heads, scale: float32(scale)}
	threads := p.c.pool.threads
	k.blocks = 1
	for b*heads*k.blocks < threads*chunksPerPart && t/(2*k.blocks) >= 16 {
		k.blocks *= 2
	}
	k.units = b * heads * k.blocks
	k.parts = min(partsFor(b*heads*2*t*t*(d/heads), minPartFlops, threads), k.units)
	in := p.get(n.Input(0), false)
	ins := []*val{in}
	k.qkvt = in.t
	if m := n.Input(1); m != "" {
		ms := padShape(p.shape(m), 4)
		full := []int{b, heads, t, t}
		st := 1
		for i := 3; i >= 0; i-- {
			if ms[i] == full[i] && ms[i] != 1 {
				k.ms[i] = st
			}
			st *= ms[i]
		}
		k.maskt = p.optional(m, false, &ins)
	}
	y := p.out(n.Outputs[0], false)
	k.yt = y.t
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: ins, outs: []*val{y}})
	return true, nil
}

func (k *attentionKernel) blockRows() int { return (k.t + k.blocks - 1) / k.blocks }

func (k *attentionKernel) scratchFloats() int { return k.parts * k.blockRows() * k.t }

func (k *attentionKernel) setScratch(buf []float32) {
	k.scores = make([][]float32, k.parts)
	n := k.blockRows() * k.t
	for p := range k.scores {
		k.scores[p] = buf[p*n : (p+1)*n]
	}
}

func (k *attentionKernel) bind() {
	k.qkv, k.y = k.qkvt.F32, k.yt.F32
	if k.maskt != nil {
		k.mask = k.maskt.F32
	}
}

func (k *attentionKernel) compute() error {
	k.c.pool.do(k, k.units, k.parts)
	return nil
}

func (k *attentionKernel) run(u, _, worker int) {
	t, d, dh := k.t, k.d, k.d/k.heads
	ld := 3 * d
	blk := u % k.blocks
	h := (u / k.blocks) % k.heads
	s := u / (k.blocks * k.heads)
	i0, i1 := span(t, blk, k.blocks, 1)
	m := i1 - i0
	if m <= 0 {
		return
	}
	sc := k.scores[worker][:m*t]
	base := s * t * ld
	q := k.qkv[base+i0*ld+h*dh:]
	kk := k.qkv[base+d+h*dh:]
	v := k.qkv[base+2*d+h*dh:]
	k.c.lib.Sgemm(blas.NoTrans, blas.Trans, m, t, dh, k.scale, q, ld, kk, ld, 0, sc, t)
	if k.mask != nil {
		k.addMask(sc, s, h, i0, m)
	}
	softmaxRows(sc, m, t, t)
	k.c.lib.Sgemm(blas.NoTrans, blas.NoTrans, m, dh, t, 1, sc, t, v, ld, 0, k.y[(s*t+i0)*d+h*dh:], d)
}

// addMask adds the mask's rows for query rows [i0, i0+m) of sample s, head h to the scores.
func (k *attentionKernel) addMask(sc []float32, s, h, i0, m int) {
	t := k.t
	off := s*k.ms[0] + h*k.ms[1] + i0*k.ms[2]
	if k.ms[3] == 1 {
		actRows(k.c.isa, sc, t, sc, t, k.mask[off:], k.ms[2], m, t, act{})
		return
	}
	for i := 0; i < m; i++ {
		row := sc[i*t : (i+1)*t]
		o := off + i*k.ms[2]
		for j := range row {
			row[j] += k.mask[o+j*k.ms[3]]
		}
	}
}
