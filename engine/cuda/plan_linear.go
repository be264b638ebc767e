package cuda

import (
	"fmt"
	"math"

	"infertop/model"
)

// emitLinear computes model.OpLinear, y = act(x·Wᵀ + b + r), over x
// [..., K] read as rows×K row-major (rows the product of the leading
// dimensions) with W [N, K]. Row-major y [rows, N] is, read column-major,
// yᵀ [N, rows] with ld N; yᵀ = W·xᵀ where row-major W [N, K] read
// column-major is Wᵀ (ld K), hence op(A) = T, and row-major x read
// column-major is xᵀ [K, rows] (ld K), op(B) = N. Bias and activation are
// one kernel after the GEMM; a residual is added before the activation.
// In a half-precision plan W is a weight of that type and x is converted
// into a scratch copy first.
func emitLinear(b *builder, n *model.Node) error {
	w := b.shape(n.Input(1))
	out, in := w[0], w[1]
	act, _ := epilogueOf(model.ActivationOf(n))
	args, err := b.args(n.Input(0), "", n.Input(2), n.Input(3))
	if err != nil {
		return err
	}
	wt, typ, err := b.weightIn(n.Input(1))
	if err != nil {
		return err
	}
	rows := b.elems(n.Input(0)) / int64(in)
	if rows > math.MaxInt32 {
		return fmt.Errorf("node %s: %d rows exceed cuBLAS's 32-bit dimensions", n.Name, rows)
	}
	x := b.halfCopy(n.Name, "x", args[0].Ref, rows*int64(in))
	y := b.out(n.Outputs[0])
	b.gemm(n.Name, Gemm{In: typ, TransA: true, M: out, N: int(rows), K: in, Alpha: 1,
		A: wt, LdA: in, B: x, LdB: in, C: y, LdC: out})
	bias, res := args[2], args[3]
	if res.IsNull() {
		if bias.IsNull() && act.code == ActNone {
			return nil
		}
		return b.biasAct(n.Name, y, y, bias, rows, int64(out), act)
	}
	if !bias.IsNull() {
		if err := b.biasAct(n.Name, y, y, bias, rows, int64(out), epilogue{}); err != nil {
			return err
		}
	}
	return b.residual(n.Name, y, res.Ref, b.shape(n.Outputs[0]), act)
}
