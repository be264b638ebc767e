package model

import (
	"fmt"
	"math"
)

// The fused multi-head attention (see OpAttention).
var attentionOps = map[string]opDef{
	OpAttention: {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tFloat, infer: inferAttention, eval: evalAttention},
}

// attentionHeads reads num_heads and scale for a model width d.
func attentionHeads(n *Node, d int) (h int, scale float64, err error) {
	h = int(n.Attrs.Int("num_heads", 0))
	if h < 1 {
		return 0, 0, fmt.Errorf("num_heads %d must be positive", h)
	}
	if d >= 0 && d%h != 0 {
		return 0, 0, fmt.Errorf("the width %d is not divisible by num_heads %d", d, h)
	}
	scale = 1 / math.Sqrt(float64(d/h))
	if n.Attrs.Has("scale") {
		scale = float64(n.Attrs.Float("scale", 0))
	}
	return h, scale, nil
}

// inferAttention: QKV [B, T, 3·D] → [B, T, D]; the mask broadcasts to [B, H, T, T].
func inferAttention(c *inferCtx) error {
	if err := c.wantRank(0, 3, 3); err != nil {
		return err
	}
	qkv := c.shape(0)
	d := unknown
	if qkv[2].Known() {
		if qkv[2].Size%3 != 0 {
			return c.errf("QKV %v: its last dimension is not 3 × the width", qkv)
		}
		d = Fixed(qkv[2].Size / 3)
	}
	h, _, err := attentionHeads(c.n, d.Size)
	if err != nil {
		return c.errf("%v", err)
	}
	if c.has(1) {
		if err := c.wantType(1, tFloat); err != nil {
			return err
		}
		full := Shape{qkv[0], Fixed(h), qkv[1], qkv[1]}
		if s, err := broadcastShapes(full, c.shape(1)); err != nil || !s.Equal(full) {
			return c.errf("the mask %q has shape %v, which does not broadcast to [B H T T] = %v", c.name(1), c.shape(1), full)
		}
	}
	c.set(0, Float32, Shape{qkv[0], qkv[1], d})
	return nil
}

// attnBlock is how many output features one pass over the keys accumulates.
const attnBlock = 64

// evalAttention computes, for each batch, head and query, the softmax of the
// scaled scores (plus the mask) against every key, and their weighted sum of
// values. Scores are recomputed rather than stored, and the weighted sums
// accumulate in float64 in a fixed-size array, so no call allocates.
func evalAttention(n *Node, _ int, in, out []*Tensor) error {
	qkv, y := in[0], out[0]
	B, T, D := qkv.Shape[0], qkv.Shape[1], qkv.Shape[2]/3
	H, scale, err := attentionHeads(n, D)
	if err != nil {
		return err
	}
	dh := D / H
	var mask []float32
	var ms [4]int
	if len(in) > 1 && in[1] != nil {
		var w walker
		if err := w.broadcast([]int{B, H, T, T}, in[1].Shape, nil, nil); err != nil {
			return err
		}
		mask = in[1].F32
		copy(ms[:], w.str[0][:4])
	}
	x := qkv.F32
	row := 3 * D
	score := func(b, h, i, j int) float64 {
		s := scale * dotF32(x, (b*T+i)*row+h*dh, 1, x, (b*T+j)*row+D+h*dh, 1, dh)
		if mask != nil {
			s += float64(mask[b*ms[0]+h*ms[1]+i*ms[2]+j*ms[3]])
		}
		return s
	}
	var acc [attnBlock]float64
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < T; i++ {
				m := math.Inf(-1)
				for j := 0; j < T; j++ {
					m = max(m, score(b, h, i, j))
				}
				sum := 0.0
				for j := 0; j < T; j++ {
					sum += math.Exp(score(b, h, i, j) - m)
				}
				for d0 := 0; d0 < dh; d0 += attnBlock {
					nd := min(attnBlock, dh-d0)
					clear(acc[:nd])
					for j := 0; j < T; j++ {
						p := math.Exp(score(b, h, i, j)-m) / sum
						v := x[(b*T+j)*row+2*D+h*dh+d0:]
						for k := 0; k < nd; k++ {
							acc[k] += p * float64(v[k])
						}
					}
					yo := (b*T+i)*D + h*dh + d0
					for k := 0; k < nd; k++ {
						y.F32[yo+k] = float32(acc[k])
					}
				}
			}
		}
	}
	return nil
}
