package cuda

import (
	"math"

	"infertop/model"
)

// A Gemm the load-time passes did not fuse into a Linear (run-time
// operands, transposed A, alpha and beta): Y = alpha·op(A)·op(B) + beta·C
// as one cuBLAS GEMM, C first copied into Y broadcast (infertop_binary's
// copy) for the GEMM's beta to scale.

func gemmReason(g *model.Graph, n *model.Node) string {
	a, b, y := shapeOf(g, n.Input(0)), shapeOf(g, n.Input(1)), shapeOf(g, output0(n))
	if len(a) != 2 || len(b) != 2 || len(y) != 2 {
		return "a Gemm of other than 2-D operands has no CUDA plan"
	}
	if y[0] > math.MaxInt32 || y[1] > math.MaxInt32 {
		return "a Gemm beyond cuBLAS's 32-bit dimensions has no CUDA plan"
	}
	if c := n.Input(2); c != "" {
		return stridedReason(y, expandStrides(shapeOf(g, c), y))
	}
	return ""
}

// gemmIn returns the named value as a product's operand in the plan's
// type: a constant's weight buffer, or a run-time value (converted into
// scratch in a half-precision plan).
func (b *builder) gemmIn(node, what, name string) (Ref, error) {
	if b.g.Const(name) != nil {
		r, _, err := b.weightIn(name)
		return r, err
	}
	r, err := b.ref(name)
	if err != nil {
		return Ref{}, err
	}
	return b.halfCopy(node, what, r, b.elems(name)), nil
}

// emitGemm computes Gemm. Row-major Y [M, N] is, read column-major, Yᵀ
// [N, M] (ld N) = op(B)ᵀ·op(A)ᵀ: B stored [K, N] reads column-major as
// op(B)ᵀ itself (op N, ld N), stored [N, K] (transB) as its transpose (op
// T, ld K); A likewise with M.
func emitGemm(b *builder, n *model.Node) error {
	transA, transB := n.Attrs.Int("transA", 0) != 0, n.Attrs.Int("transB", 0) != 0
	alpha, beta := n.Attrs.Float("alpha", 1), n.Attrs.Float("beta", 1)
	as, y := b.shape(n.Input(0)), b.shape(n.Outputs[0])
	m, nn, k := y[0], y[1], as[1]
	if transA {
		k = as[0]
	}
	a, err := b.gemmIn(n.Name, "a", n.Input(0))
	if err != nil {
		return err
	}
	bb, err := b.gemmIn(n.Name, "b", n.Input(1))
	if err != nil {
		return err
	}
	out := b.out(n.Outputs[0])
	g := Gemm{In: b.opts.half(), TransA: transB, TransB: transA, M: nn, N: m, K: k, Alpha: alpha,
		A: bb, LdA: nn, B: a, LdB: k, C: out, LdC: nn}
	if transB {
		g.LdA = k
	}
	if transA {
		g.LdB = m
	}
	if c := n.Input(2); c != "" && beta != 0 {
		cr, err := b.ref(c)
		if err != nil {
			return err
		}
		if err := b.strided(n.Name, binCopy, ptr(cr), out, y, expandStrides(b.shape(c), y)); err != nil {
			return err
		}
		g.Beta = beta
	}
	b.gemm(n.Name, g)
	return nil
}
