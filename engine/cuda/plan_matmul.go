package cuda

import (
	"math"
	"slices"

	"infertop/model"
)

// A MatMul the load-time passes did not fuse into a Linear (two run-time
// operands, as attention's scores when it is not fused, or a constant
// first operand): one strided batched GEMM over the broadcast batch axes.
// An operand whose batch axes are the output's is walked in place, one
// without batch axes (or of batch size 1) is read again for every matrix
// (stride 0), and any other broadcast is first expanded into scratch.

// matmulDims are a MatMul's operands' and output's shapes as matrices:
// a [batch…, m, k], b [batch…, k, n], out [batch…, m, n], a 1-D operand
// given its unit axis (as numpy does, and the output then lacks it).
func matmulDims(a, b []int) (am, bm []int, batch []int, m, n, k int) {
	am, bm = slices.Clone(a), slices.Clone(b)
	if len(am) == 1 {
		am = []int{1, am[0]}
	}
	if len(bm) == 1 {
		bm = []int{bm[0], 1}
	}
	m, k, n = am[len(am)-2], am[len(am)-1], bm[len(bm)-1]
	ab, bb := am[:len(am)-2], bm[:len(bm)-2]
	batch = make([]int, max(len(ab), len(bb)))
	for i := range batch {
		d := 1
		if j := i - (len(batch) - len(ab)); j >= 0 {
			d = ab[j]
		}
		if j := i - (len(batch) - len(bb)); j >= 0 && bb[j] != 1 {
			d = bb[j]
		}
		batch[i] = d
	}
	return am, bm, batch, m, n, k
}

func matmulReason(g *model.Graph, n *model.Node) string {
	a, b := shapeOf(g, n.Input(0)), shapeOf(g, n.Input(1))
	if len(a) == 0 || len(b) == 0 {
		return "a MatMul of a scalar has no CUDA plan"
	}
	am, bm, batch, m, nn, k := matmulDims(a, b)
	if m > math.MaxInt32 || nn > math.MaxInt32 || k > math.MaxInt32 || model.NumElems(batch) > math.MaxInt32 {
		return "a MatMul beyond cuBLAS's 32-bit dimensions has no CUDA plan"
	}
	for _, s := range [][]int{am, bm} {
		full := append(slices.Clone(batch), s[len(s)-2:]...)
		if r := stridedReason(full, expandStrides(s, full)); r != "" {
			return r
		}
	}
	return ""
}

// matmulOperand returns the named operand as the GEMM reads it, and the
// stride between its matrices: in place when its batch axes are the
// output's, stride 0 when it has one matrix, else expanded into scratch
// first (then converted in a half-precision plan, as gemmIn does).
func (b *builder) matmulOperand(node, what, name string, s, batch []int) (Ref, int64, error) {
	mat := int64(s[len(s)-2] * s[len(s)-1])
	nb := model.NumElems(s[:len(s)-2])
	if nb == model.NumElems(batch) || nb == 1 {
		r, err := b.gemmIn(node, what, name)
		if nb == 1 && model.NumElems(batch) > 1 {
			mat = 0
		}
		return r, mat, err
	}
	src, err := b.ref(name)
	if err != nil {
		return Ref{}, 0, err
	}
	full := append(slices.Clone(batch), s[len(s)-2:]...)
	total := int64(model.NumElems(full))
	dst := b.scratch(node+"/"+what+" expanded", total)
	if err := b.strided(node, binCopy, ptr(src), dst, full, expandStrides(s, full)); err != nil {
		return Ref{}, 0, err
	}
	return b.halfCopy(node, what, dst, total), mat, nil
}

// emitMatMul computes MatMul as emitGemm computes Gemm, one GEMM per
// matrix of the batch: row-major Y [m, n] = A·B is, read column-major,
// Yᵀ = Bᵀ·Aᵀ.
func emitMatMul(b *builder, n *model.Node) error {
	am, bm, batch, m, nn, k := matmulDims(b.shape(n.Input(0)), b.shape(n.Input(1)))
	a, sa, err := b.matmulOperand(n.Name, "a", n.Input(0), am, batch)
	if err != nil {
		return err
	}
	bb, sb, err := b.matmulOperand(n.Name, "b", n.Input(1), bm, batch)
	if err != nil {
		return err
	}
	out := b.out(n.Outputs[0])
	b.gemm(n.Name, Gemm{In: b.opts.half(), M: nn, N: m, K: k, Alpha: 1, A: bb, LdA: nn, B: a, LdB: k, C: out, LdC: nn,
		Batch: model.NumElems(batch), StrideA: sb, StrideB: sa, StrideC: int64(m * nn)})
	return nil
}
