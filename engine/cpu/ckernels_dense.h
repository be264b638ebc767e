// The packed product kernel (see ckernels_dense.go), written once and
// instantiated once per instruction set: the including file defines
//
//   DN_VT, DN_VU  the vector type and its unaligned form
//   DN_VL         floats per vector (16 or 8)
//   DN_MR         most rows per tile: the accumulators, DN_MR × 16 / DN_VL
//                 vectors, and the panel's 16 / DN_VL vectors fit the registers
//   DN_KS(mr)     how many sets of accumulators a tile of mr rows keeps
//                 (mr × DN_KS(mr) ≤ DN_MR)
//   DN_ATTR       the attributes of the kernel (its target)
//   DN_HELPER     the attributes of its helpers (IK_INLINE, with the target)
//   DN_NAME(s)    the names of the kernel and its helpers
//   DN_STORE      its dense_store (ckernels_dense.go)
//
// and includes this file, which undefines them again.

#define DN_NV (16 / DN_VL)

// The accumulators of one tile: mr rows × 16 output features over k inputs,
// the x rows interleaved (xt[kk·mr + i] is row i's input kk), the weights one
// panel (w[kk·16 + j] is feature j's weight for input kk). Written to t[i·16 + j].
// A tile of few rows keeps DN_KS(mr) sets of accumulators, each summing
// every DN_KS(mr)-th input, so that enough independent FMAs are in flight to
// cover their latency.
DN_HELPER void DN_NAME(tile)(const int mr, const float *xt, const float *w, long k, float *t) {
	const int ks = DN_KS(mr);
	DN_VT acc[DN_MR * DN_NV];
#pragma GCC unroll 16
	for (int a = 0; a < mr * DN_NV * ks; a++) acc[a] = (DN_VT){0};
	long kk = 0;
	for (; kk + ks <= k; kk += ks, xt += ks * mr, w += ks * 16) {
#pragma GCC unroll 8
		for (int s = 0; s < ks; s++) {
			DN_VT wv[DN_NV];
#pragma GCC unroll 2
			for (int v = 0; v < DN_NV; v++) wv[v] = *(const DN_VU *)(w + s * 16 + v * DN_VL);
#pragma GCC unroll 16
			for (int i = 0; i < mr; i++) {
				float xs = xt[s * mr + i];
#pragma GCC unroll 2
				for (int v = 0; v < DN_NV; v++) acc[(s * mr + i) * DN_NV + v] += xs * wv[v];
			}
		}
	}
	for (; kk < k; kk++, xt += mr, w += 16) {
		DN_VT wv[DN_NV];
#pragma GCC unroll 2
		for (int v = 0; v < DN_NV; v++) wv[v] = *(const DN_VU *)(w + v * DN_VL);
#pragma GCC unroll 16
		for (int i = 0; i < mr; i++) {
			float xs = xt[i];
#pragma GCC unroll 2
			for (int v = 0; v < DN_NV; v++) acc[i * DN_NV + v] += xs * wv[v];
		}
	}
#pragma GCC unroll 8
	for (int s = 1; s < ks; s++)
#pragma GCC unroll 16
		for (int a = 0; a < mr * DN_NV; a++) acc[a] += acc[s * mr * DN_NV + a];
#pragma GCC unroll 16
	for (int i = 0; i < mr; i++)
#pragma GCC unroll 2
		for (int v = 0; v < DN_NV; v++) *(DN_VU *)(t + i * 16 + v * DN_VL) = acc[i * DN_NV + v];
}

#define DN_CASE(M) \
	case M: DN_NAME(tile)(M, xt, w, k, t); break;

// y = act(x·Wᵀ + b + r) for every row of x and the output features of panels
// [p0, p1) (see ik_dense_rows in ckernels_dense.go).
DN_ATTR void DN_NAME(ik_dense)(const float *x, long ldx, const float *wp, const float *b, const float *r, float *y,
		long ldy, long rows, long k, long n, long p0, long p1, long group, float *xbuf, int act, float a0, float a1) {
	float t[DN_MR * 16] __attribute__((aligned(64)));
	for (long g0 = 0; g0 < rows; g0 += group) {
		long g1 = g0 + group < rows ? g0 + group : rows;
		dense_pack_rows(xbuf, x + g0 * ldx, ldx, g1 - g0, k, DN_MR);
		for (long p = p0; p < p1; p++) {
			const float *w = wp + p * 16 * k, *xt = xbuf;
			long c0 = p * 16, nv = n - c0 < 16 ? n - c0 : 16;
			for (long i0 = g0; i0 < g1;) {
				long mr = dense_tile_rows(g1 - i0, DN_MR);
				switch (mr) {
				DN_CASE(1) DN_CASE(2) DN_CASE(3) DN_CASE(4) DN_CASE(5) DN_CASE(6)
#if DN_MR > 6
				DN_CASE(7) DN_CASE(8) DN_CASE(9) DN_CASE(10) DN_CASE(11) DN_CASE(12)
				DN_CASE(13) DN_CASE(14) DN_CASE(15) DN_CASE(16)
#endif
				}
				DN_STORE(t, 16, mr, nv, y + i0 * ldy + c0, ldy, b ? b + c0 : 0, r ? r + i0 * ldy + c0 : 0, act, a0, a1);
				xt += mr * k;
				i0 += mr;
			}
		}
	}
}

#undef DN_CASE
#undef DN_NV
#undef DN_VT
#undef DN_VU
#undef DN_VL
#undef DN_STORE
#undef DN_MR
#undef DN_KS
#undef DN_ATTR
#undef DN_HELPER
#undef DN_NAME
