// The wide product kernel (see ckernels_dense.go), written once and
// instantiated once per instruction set: the including file defines
//
//   WD_VT, WD_VU  the vector type and its unaligned form
//   WD_VL         floats per vector (16 or 8)
//   WD_NVMAX      most vectors of a panel (its width ÷ WD_VL)
//   WD_MR(nv)     most rows per tile at nv vectors: the WD_MR(nv) × nv
//                 accumulators, nv panel vectors and a broadcast fit the registers
//   WD_ATTR       the attributes of the kernel (its target)
//   WD_HELPER     the attributes of its helpers (IK_INLINE, with the target)
//   WD_NAME(s)    the names of the kernel and its helpers
//   WD_STORE      its dense_store (ckernels_dense.go)
//
// and includes this file, which undefines them again.

// The accumulators of one tile: mr rows of x (ldx apart, read in place) ×
// nv vectors of output features over k inputs, the panel ldw floats an
// input (w[kk·ldw + j] is feature j's weight for input kk). Each input
// loads nv panel vectors and mr broadcasts for mr × nv multiply-adds.
// Written to t[i·64 + j].
WD_HELPER void WD_NAME(wtile)(const int mr, const int nv, const float *x, long ldx, const float *w, long ldw, long k,
		float *t) {
	WD_VT acc[WD_MR(1) * WD_NVMAX];
#pragma GCC unroll 64
	for (int a = 0; a < mr * nv; a++) acc[a] = (WD_VT){0};
	for (long kk = 0; kk < k; kk++, w += ldw) {
		WD_VT wv[WD_NVMAX];
#pragma GCC unroll 4
		for (int v = 0; v < nv; v++) wv[v] = *(const WD_VU *)(w + v * WD_VL);
#pragma GCC unroll 16
		for (int i = 0; i < mr; i++) {
			float xs = x[i * ldx + kk];
#pragma GCC unroll 4
			for (int v = 0; v < nv; v++) acc[i * nv + v] += xs * wv[v];
		}
	}
#pragma GCC unroll 16
	for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
		for (int v = 0; v < nv; v++) *(WD_VU *)(t + i * 64 + v * WD_VL) = acc[i * nv + v];
}

#define WD_CASE(M, NV) \
	case M: WD_NAME(wtile)(M, NV, xi, ldx, w, pw, k, t); break;

// y = act(x·Wᵀ + b + r) for every row of x and the features of panels
// [p0, p1) of n, the weights in panels of width (wideWidth's layout: every
// panel width floats an input but the last, roundUp(n − its start, 16));
// see ik_wide_rows.
WD_ATTR void WD_NAME(ik_wide)(const float *x, long ldx, const float *wp, long width, const float *b, const float *r,
		float *y, long ldy, long rows, long k, long n, long p0, long p1, int act, float a0, float a1) {
	const long end = p1 * width < n ? p1 * width : n;
	float t[WD_MR(1) * 64] __attribute__((aligned(64)));
	const long mrmax = WD_MR(width / WD_VL);
	for (long i0 = 0; i0 < rows;) {
		long mr = dense_tile_rows(rows - i0, mrmax);
		const float *xi = x + i0 * ldx;
		for (long c0 = p0 * width; c0 < end; c0 += width) {
			long nc = end - c0 < width ? end - c0 : width;
			long pw = (nc + 15) / 16 * 16; // this panel's width
			const float *w = wp + c0 * k;
			switch (pw / WD_VL) {
#if WD_NVMAX >= 4
			case 4:
				switch (mr) { WD_CASE(1, 4) WD_CASE(2, 4) WD_CASE(3, 4) WD_CASE(4, 4) WD_CASE(5, 4) WD_CASE(6, 4) }
				break;
			case 3:
				switch (mr) {
					WD_CASE(1, 3) WD_CASE(2, 3) WD_CASE(3, 3) WD_CASE(4, 3) WD_CASE(5, 3) WD_CASE(6, 3) WD_CASE(7, 3)
					WD_CASE(8, 3)
				}
				break;
#endif
			case 2:
				switch (mr) {
					WD_CASE(1, 2) WD_CASE(2, 2) WD_CASE(3, 2) WD_CASE(4, 2) WD_CASE(5, 2) WD_CASE(6, 2)
#if WD_MR(2) > 6
					WD_CASE(7, 2) WD_CASE(8, 2) WD_CASE(9, 2) WD_CASE(10, 2) WD_CASE(11, 2) WD_CASE(12, 2)
#endif
				}
				break;
#if WD_VL == 16
			case 1:
				switch (mr) {
					WD_CASE(1, 1) WD_CASE(2, 1) WD_CASE(3, 1) WD_CASE(4, 1) WD_CASE(5, 1) WD_CASE(6, 1) WD_CASE(7, 1)
					WD_CASE(8, 1) WD_CASE(9, 1) WD_CASE(10, 1) WD_CASE(11, 1) WD_CASE(12, 1) WD_CASE(13, 1)
					WD_CASE(14, 1) WD_CASE(15, 1) WD_CASE(16, 1)
				}
				break;
#endif
			}
			for (long h = 0; h < nc; h += 16) {
				long c = c0 + h;
				WD_STORE(t + h, 64, mr, nc - h < 16 ? nc - h : 16, y + i0 * ldy + c, ldy, b ? b + c : 0,
					r ? r + i0 * ldy + c : 0, act, a0, a1);
			}
		}
		i0 += mr;
	}
}

#undef WD_CASE
#undef WD_VT
#undef WD_VU
#undef WD_VL
#undef WD_NVMAX
#undef WD_MR
#undef WD_ATTR
#undef WD_HELPER
#undef WD_NAME
#undef WD_STORE
