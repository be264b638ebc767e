package model

import "fmt"

// Matrix products: MatMul (numpy's matmul, batched and broadcast), Gemm and
// the fused Linear.
var matmulOps = map[string]opDef{
	"MatMul": {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferMatMul, eval: evalMatMul},
	"Gemm":   {since: 1, ins: [2]int{2, 3}, outs: [2]int{1, 1}, types: tFloat, infer: inferGemm, eval: evalGemm},
	OpLinear: {since: 1, ins: [2]int{2, 4}, outs: [2]int{1, 1}, types: tFloat, infer: inferLinear, eval: evalLinear},
}

// dotF32 is Σₖ a[ao+k·as]·b[bo+k·bs] over k < K, in float64.
func dotF32(a []float32, ao, as int, b []float32, bo, bs, K int) float64 {
	s := 0.0
	for k := 0; k < K; k++ {
		s += float64(a[ao+k*as]) * float64(b[bo+k*bs])
	}
	return s
}

// dotI64 is dotF32 for integers.
func dotI64(a []int64, ao, as int, b []int64, bo, bs, K int) int64 {
	var s int64
	for k := 0; k < K; k++ {
		s += a[ao+k*as] * b[bo+k*bs]
	}
	return s
}

// inferMatMul follows numpy's matmul: a 1-D operand is a row (first) or a
// column (second) whose added dimension is dropped from the result; the
// dimensions before the last two broadcast.
func inferMatMul(c *inferCtx) error {
	if err := c.sameType(0, 1); err != nil {
		return err
	}
	if err := c.wantRank(0, 1, MaxRank); err != nil {
		return err
	}
	if err := c.wantRank(1, 1, MaxRank); err != nil {
		return err
	}
	a, b := c.shape(0), c.shape(1)
	var m, ka, kb, n []Dim
	var ab, bb Shape
	if len(a) == 1 {
		ka = a
	} else {
		ab, m, ka = a[:len(a)-2], a[len(a)-2:len(a)-1], a[len(a)-1:]
	}
	if len(b) == 1 {
		kb = b
	} else {
		bb, kb, n = b[:len(b)-2], b[len(b)-2:len(b)-1], b[len(b)-1:]
	}
	if ka[0].Known() && kb[0].Known() && ka[0].Size != kb[0].Size {
		return c.errf("%q %v and %q %v do not multiply: %d columns against %d rows",
			c.name(0), a, c.name(1), b, ka[0].Size, kb[0].Size)
	}
	batch, err := broadcastShapes(ab, bb)
	if err != nil {
		return c.errf("the batch dimensions of %q %v and %q %v do not broadcast (%v)", c.name(0), a, c.name(1), b, err)
	}
	out := append(append(append(Shape{}, batch...), m...), n...)
	c.set(0, c.dtype(0), out)
	return nil
}

// evalMatMul multiplies each pair of matrices of a broadcast batch.
func evalMatMul(_ *Node, _ int, in, out []*Tensor) error {
	a, b, y := in[0], in[1], out[0]
	as, bs := a.Shape, b.Shape
	M, K, N, K2 := 1, as[len(as)-1], 1, bs[0]
	nb := len(y.Shape)
	var ab, bb []int
	if len(as) > 1 {
		M, ab = as[len(as)-2], as[:len(as)-2]
		nb--
	}
	if len(bs) > 1 {
		K2, N, bb = bs[len(bs)-2], bs[len(bs)-1], bs[:len(bs)-2]
		nb--
	}
	if K != K2 || nb < 0 {
		return fmt.Errorf("shapes %v and %v do not multiply into %v", as, bs, y.Shape)
	}
	var w walker
	if err := w.broadcast(y.Shape[:nb], ab, bb, nil); err != nil {
		return err
	}
	batches := prod(y.Shape, 0, nb)
	if batches*M*N != y.Len() {
		return fmt.Errorf("shapes %v and %v do not multiply into %v", as, bs, y.Shape)
	}
	for bi := 0; bi < batches; bi++ {
		ao, bo, yo := w.off[0]*M*K, w.off[1]*K*N, bi*M*N
		for i := 0; i < M; i++ {
			for j := 0; j < N; j++ {
				if y.DType == Float32 {
					y.F32[yo+i*N+j] = float32(dotF32(a.F32, ao+i*K, 1, b.F32, bo+j, N, K))
				} else {
					y.I64[yo+i*N+j] = dotI64(a.I64, ao+i*K, 1, b.I64, bo+j, N, K)
				}
			}
		}
		w.next()
	}
	wrapInt32(y)
	return nil
}

// gemmDims reads Gemm's M, K and N from A and B as transA and transB say.
func gemmDims(n *Node, a, b []Dim) (m, k, k2, nn Dim) {
	m, k = a[0], a[1]
	if n.Attrs.Int("transA", 0) != 0 {
		m, k = k, m
	}
	k2, nn = b[0], b[1]
	if n.Attrs.Int("transB", 0) != 0 {
		k2, nn = nn, k2
	}
	return
}

// inferGemm: A and B are matrices, C (optional) broadcasts to [M, N].
func inferGemm(c *inferCtx) error {
	for i := range c.in {
		if !c.has(i) {
			continue
		}
		if err := c.sameType(0, i); err != nil {
			return err
		}
	}
	if err := c.wantRank(0, 2, 2); err != nil {
		return err
	}
	if err := c.wantRank(1, 2, 2); err != nil {
		return err
	}
	m, k, k2, n := gemmDims(c.n, c.shape(0), c.shape(1))
	if k.Known() && k2.Known() && k.Size != k2.Size {
		return c.errf("A %v and B %v do not multiply (transA=%d, transB=%d): %d columns against %d rows",
			c.shape(0), c.shape(1), c.n.Attrs.Int("transA", 0), c.n.Attrs.Int("transB", 0), k.Size, k2.Size)
	}
	out := Shape{m, n}
	if c.has(2) {
		if err := c.wantRank(2, 0, 2); err != nil {
			return err
		}
		if s, err := broadcastShapes(out, c.shape(2)); err != nil || len(s) != 2 || (s.Known() && !s.Equal(out)) {
			return c.errf("C %v does not broadcast to [M N] = %v", c.shape(2), out)
		}
		if c.opset < 7 && c.n.Attrs.Int("broadcast", 0) == 0 && !c.shape(2).Equal(out) {
			return c.errf("before opset 7 C must be [M N] = %v unless broadcast=1; it is %v", out, c.shape(2))
		}
	}
	c.set(0, Float32, out)
	return nil
}

// evalGemm computes alpha·A'·B' + beta·C.
func evalGemm(n *Node, _ int, in, out []*Tensor) error {
	a, b, y := in[0], in[1], out[0]
	M, N := y.Shape[0], y.Shape[1]
	K := a.Shape[1]
	ai, ak := K, 1
	if n.Attrs.Int("transA", 0) != 0 {
		K = a.Shape[0]
		ai, ak = 1, M
	}
	bk, bj := N, 1
	if n.Attrs.Int("transB", 0) != 0 {
		bk, bj = 1, K
	}
	alpha, beta := float64(n.Attrs.Float("alpha", 1)), float64(n.Attrs.Float("beta", 1))
	var cm, cn int
	var cv []float32
	if len(in) > 2 && in[2] != nil {
		var w walker
		if err := w.broadcast(y.Shape, in[2].Shape, nil, nil); err != nil {
			return err
		}
		cm, cn, cv = w.str[0][0], w.str[0][1], in[2].F32
	}
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			s := alpha * dotF32(a.F32, i*ai, ak, b.F32, j*bj, bk, K)
			if cv != nil {
				s += beta * float64(cv[i*cm+j*cn])
			}
			y.F32[i*N+j] = float32(s)
		}
	}
	return nil
}

// inferLinear: X [..., K], W [N, K] constant, B [N] constant or omitted, R
// omitted or of the output's shape [..., N]; a valid activation.
func inferLinear(c *inferCtx) error {
	if err := fusedChecks(c, 1, 2); err != nil {
		return err
	}
	if err := c.wantRank(0, 1, MaxRank); err != nil {
		return err
	}
	if err := c.wantRank(1, 2, 2); err != nil {
		return err
	}
	x, w := c.shape(0), c.shape(1)
	k, wn, wk := x[len(x)-1], w[0], w[1]
	if k.Known() && wk.Known() && k.Size != wk.Size {
		return c.errf("X %v has %d features, the weight %v takes %d", x, k.Size, w, wk.Size)
	}
	out := append(x[:len(x)-1:len(x)-1], wn)
	if c.has(2) && !c.shape(2).Equal(Shape{wn}) {
		return c.errf("the bias %q has shape %v, not [%v]", c.name(2), c.shape(2), wn)
	}
	c.set(0, Float32, out)
	return fusedResidual(c, 3, out)
}

// evalLinear computes act(X·Wᵀ + B + R) row by row.
func evalLinear(n *Node, _ int, in, out []*Tensor) error {
	x, w, y := in[0], in[1], out[0]
	N, K := w.Shape[0], w.Shape[1]
	bias, res := optF32(in, 2), optF32(in, 3)
	act := ActivationOf(n)
	rows := y.Len() / max(N, 1)
	for r := 0; r < rows; r++ {
		for j := 0; j < N; j++ {
			s := dotF32(x.F32, r*K, 1, w.F32, j*K, 1, K)
			if bias != nil {
				s += float64(bias[j])
			}
			if res != nil {
				s += float64(res[r*N+j])
			}
			y.F32[r*N+j] = float32(act.Apply(s))
		}
	}
	return nil
}

// optF32 is the data of optional input i, or nil.
func optF32(in []*Tensor, i int) []float32 {
	if i < len(in) && in[i] != nil {
		return in[i].F32
	}
	return nil
}
