package cuda

import (
	"fmt"
	"math"

	"infertop/model"
)

// emitAttention computes model.OpAttention over packed projections qkv
// [N, T, 3d] (q | k | v along the last axis) into y [N, T, d]:
//
//	S_h = softmax(Q_h·K_hᵀ · scale + M)        [N, H, T, T] (scratch)
//	y[:, :, h·dh:(h+1)·dh] = S_h·V_h           [N, T, d]
//
// Q_h, K_h and V_h are read in place from qkv with leading dimension 3d, so no
// transpose kernel is needed; one strided-batched GEMM per head runs over the
// batch. scale is the node's, by default 1/√dh. Without a mask the softmax
// kernel applies the scale; with an additive mask M (any shape that
// broadcasts to [N, H, T, T]) the Q·Kᵀ GEMMs do (alpha), and one
// infertop_binary launch adds M to the scores in place before the softmax.
// In a half-precision plan the products read half-precision copies of qkv
// and of the softmax's probabilities (scratch), and sum in float32.
func emitAttention(b *builder, n *model.Node) error {
	qkvRef, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	s := b.shape(n.Input(0))
	batch, t, d := int64(s[0]), int64(s[1]), int64(s[2]/3)
	heads := n.Attrs.Int("num_heads", 0)
	if heads < 1 || d%heads != 0 {
		return fmt.Errorf("node %s: num_heads %d does not divide the width %d", n.Name, heads, d)
	}
	dh := d / heads
	scale := 1 / math.Sqrt(float64(dh))
	if n.Attrs.Has("scale") {
		scale = float64(n.Attrs.Float("scale", 0))
	}
	if batch*heads*t > math.MaxInt32 {
		return fmt.Errorf("node %s: %d softmax rows exceed one launch", n.Name, batch*heads*t)
	}
	if err := fits32(n.Name, "the row length", t); err != nil {
		return err
	}
	mask, err := b.args(n.Input(1))
	if err != nil {
		return err
	}
	alpha, softScale := float32(1), scale
	if !mask[0].IsNull() {
		alpha, softScale = float32(scale), 1
	}
	y := b.out(n.Outputs[0])
	scores := b.scratch(n.Name+"/scores", batch*heads*t*t)
	typ := b.opts.half()
	qkv := b.halfCopy(n.Name, "qkv", qkvRef, batch*t*3*d)
	for h := int64(0); h < heads; h++ {
		// Row-major S[q,k] = Σj Q[q,j]·K[k,j] (ld T). Column-major C(k,q) = S[q,k], so
		// C = K·Qᵀ: K stored row-major with ld 3d reads column-major as Kᵀ (op T),
		// Q likewise reads as Qᵀ (op N). M = N = T keys/queries, K = dh.
		b.gemm(n.Name, Gemm{In: typ, TransA: true, M: int(t), N: int(t), K: int(dh), Alpha: alpha,
			A: qkv.Plus(d + h*dh), LdA: int(3 * d),
			B: qkv.Plus(h * dh), LdB: int(3 * d),
			C: scores.Plus(h * t * t), LdC: int(t),
			Batch: int(batch), StrideA: t * 3 * d, StrideB: t * 3 * d, StrideC: heads * t * t})
	}
	if !mask[0].IsNull() {
		full := []int{int(batch), int(heads), int(t), int(t)}
		if err := b.binary(n.Name, binAdd, ptr(scores), mask[0], scores, full, full, b.shape(n.Input(1))); err != nil {
			return err
		}
	}
	rows := batch * heads * t
	b.rowwise(n.Name, KSoftmax, rows, ptr(scores), i64(rows), i64(t), f64(softScale))
	probs := b.halfCopy(n.Name, "probabilities", scores, rows*t)
	for h := int64(0); h < heads; h++ {
		// Row-major O_h[q,j] = Σk P[q,k]·V[k,j], stored with ld d. Column-major
		// C(j,q) = O_h[q,j] = Vᵀ·Pᵀ: V (ld 3d) reads column-major as Vᵀ (op N),
		// P (ld T) reads as Pᵀ (op N). M = dh, N = T queries, K = T keys.
		b.gemm(n.Name, Gemm{In: typ, M: int(dh), N: int(t), K: int(t), Alpha: 1,
			A: qkv.Plus(2*d + h*dh), LdA: int(3 * d),
			B: probs.Plus(h * t * t), LdB: int(t),
			C: y.Plus(h * dh), LdC: int(d),
			Batch: int(batch), StrideA: t * 3 * d, StrideB: heads * t * t, StrideC: t * d})
	}
	return nil
}
