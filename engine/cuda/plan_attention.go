package cuda

import (
	"fmt"
	"math"

	"infertop/presets"
)

// attention emits PyTorch's nn.MultiheadAttention (batch first, self-attention,
// no mask) over x [N, T, d]:
//
//	qkv = x·in_projᵀ + in_bias                 [N, T, 3d] (q | k | v along the last axis)
//	S_h = softmax(Q_h·K_hᵀ / √dh)               [N, H, T, T]
//	O[:, :, h·dh:(h+1)·dh] = S_h·V_h            [N, T, d]
//	y = O·out_projᵀ + out_bias                  [N, T, d]
//
// Q_h, K_h and V_h are read in place from qkv with leading dimension 3d, so no
// transpose kernel is needed; one strided-batched GEMM per head runs over the batch.
func (b *builder) attention(l presets.Layer, x Ref, s []int) (Ref, error) {
	t, d, heads := int64(s[0]), int64(l.In), int64(l.Heads)
	dh := d / heads
	qkv, err := b.linear(l.Name+".in_proj", l.Name+".in_proj_weight", l.Name+".in_proj_bias", x, b.n*t, l.In, 3*l.In, ActNone)
	if err != nil {
		return Ref{}, err
	}
	scores := Ref{Buf: b.add(Buffer{Name: l.Name + ".scores", Role: RoleActivation, Floats: b.n * heads * t * t})}
	mixed := Ref{Buf: b.add(Buffer{Name: l.Name + ".heads", Role: RoleActivation, Floats: b.n * t * d})}
	if b.n*heads*t > math.MaxInt32 {
		return Ref{}, fmt.Errorf("%s: batch too large for one launch", l.Name)
	}
	for h := int64(0); h < heads; h++ {
		// Row-major S[q,k] = Σj Q[q,j]·K[k,j] (ld T). Column-major C(k,q) = S[q,k], so
		// C = K·Qᵀ: K stored row-major with ld 3d reads column-major as Kᵀ (op T),
		// Q likewise reads as Qᵀ (op N). M = N = T keys/queries, K = dh.
		b.gemm(l.Name, Gemm{TransA: true, M: int(t), N: int(t), K: int(dh), Alpha: 1,
			A: qkv.Plus(d + h*dh), LdA: int(3 * d),
			B: qkv.Plus(h * dh), LdB: int(3 * d),
			C: scores.Plus(h * t * t), LdC: int(t),
			Batch: int(b.n), StrideA: t * 3 * d, StrideB: t * 3 * d, StrideC: heads * t * t})
	}
	if err := fits32(l.Name, "the row length", t); err != nil {
		return Ref{}, err
	}
	rows := b.n * heads * t
	b.rowwise(l.Name, KSoftmax, rows, ptr(scores), i64(rows), i64(t), f64(1/math.Sqrt(float64(dh))))
	for h := int64(0); h < heads; h++ {
		// Row-major O_h[q,j] = Σk P[q,k]·V[k,j], stored with ld d. Column-major
		// C(j,q) = O_h[q,j] = Vᵀ·Pᵀ: V (ld 3d) reads column-major as Vᵀ (op N),
		// P (ld T) reads as Pᵀ (op N). M = dh, N = T queries, K = T keys.
		b.gemm(l.Name, Gemm{M: int(dh), N: int(t), K: int(t), Alpha: 1,
			A: qkv.Plus(2*d + h*dh), LdA: int(3 * d),
			B: scores.Plus(h * t * t), LdB: int(t),
			C: mixed.Plus(h * dh), LdC: int(d),
			Batch: int(b.n), StrideA: t * 3 * d, StrideB: heads * t * t, StrideC: t * d})
	}
	return b.linear(l.Name+".out_proj", l.Name+".out_proj.weight", l.Name+".out_proj.bias", mixed, b.n*t, l.In, l.In, ActNone)
}
