// The depthwise convolution with its epilogue (see ckernels_dw.go), written
// once and instantiated once per instruction set after ckernels_act.h for
// the same vector type: the including file defines
//
//   DW_VT, DW_VL   the float vector type and its lanes
//   DW_MT          the type of a lane mask
//   DW_MASK(m)     the mask of the first m < DW_VL lanes
//   DW_LOADM(p, k), DW_STOREM(p, k, v)  masked load (zeros elsewhere) and store
//   DW_T           most output pixels a tile keeps in registers (≤ 8)
//   DW_ATTR, DW_HELPER, DW_NAME(s)  as in ckernels_act.h
//   DW_ACT_ROWS    that instruction set's ik_act (ckernels_act.h)
//
// and includes this file, which undefines them again.

// The channels [cb, cb + DW_VL) (the first of them only where full is 0) of
// nt output pixels from ox of output row oy of image n, whose taps all fall
// inside the input row when check is 0: nt sums in registers over every tap
// from the bias, stored once.
DW_HELPER void DW_NAME(dw_tile)(const int nt, const int check, const int full, DW_MT k, const float *x,
		const float *w, DW_VT bias, float *y, const ik_win *g, long n, long oy, long ox, long cb) {
	const long h = g->h, wd = g->w, c = g->c, kw = g->kw, sw = g->sw, pw = g->pw, dw = g->dw;
	DW_VT acc[8];
#pragma GCC unroll 8
	for (int t = 0; t < nt; t++) acc[t] = bias;
	for (long ki = 0; ki < g->kh; ki++) {
		long iy = oy * g->sh - g->ph + ki * g->dh;
		if (iy < 0 || iy >= h) continue;
		const float *xr = x + (n * h + iy) * wd * c + cb;
		const float *wk = w + ki * kw * c + cb;
		for (long kj = 0; kj < kw; kj++) {
			DW_VT wv;
			if (full) {
				memcpy(&wv, wk + kj * c, sizeof wv);
			} else {
				wv = DW_LOADM(wk + kj * c, k);
			}
			long ix = ox * sw - pw + kj * dw;
			if (check && (ix < 0 || ix >= wd)) continue; // nt is 1 where check is set
			const float *xp = xr + ix * c;
#pragma GCC unroll 8
			for (int t = 0; t < nt; t++) {
				DW_VT xv;
				if (full) {
					memcpy(&xv, xp + t * sw * c, sizeof xv);
				} else {
					xv = DW_LOADM(xp + t * sw * c, k);
				}
				acc[t] += wv * xv;
			}
		}
	}
#pragma GCC unroll 8
	for (int t = 0; t < nt; t++) {
		if (full) {
			memcpy(y + (ox + t) * c, &acc[t], sizeof acc[t]);
		} else {
			DW_STOREM(y + (ox + t) * c, k, acc[t]);
		}
	}
}

#define DW_TILE(NT) \
	case NT: DW_NAME(dw_tile)(NT, 0, full, k, x, w, bias, yr, g, n, oy, ox, cb); break;

// One block of DW_VL channels (or fewer: full 0, mask k) of output row oy of
// image n: the pixels before lo and from hi one at a time with bounds
// checks, those between in tiles of DW_T.
DW_HELPER void DW_NAME(dw_block)(const int full, DW_MT k, const float *x, const float *w, const float *b, float *y,
		const ik_win *g, long n, long oy, long q, long cb, long lo, long hi) {
	const long ow = g->ow, c = g->c;
	DW_VT bias = {0};
	if (b) {
		if (full) {
			memcpy(&bias, b + cb, sizeof bias);
		} else {
			bias = DW_LOADM(b + cb, k);
		}
	}
	float *yr = y + q * ow * c + cb;
	long ox = 0;
	for (; ox < lo; ox++) DW_NAME(dw_tile)(1, 1, full, k, x, w, bias, yr, g, n, oy, ox, cb);
	for (; ox + DW_T <= hi; ox += DW_T) DW_NAME(dw_tile)(DW_T, 0, full, k, x, w, bias, yr, g, n, oy, ox, cb);
	switch (hi - ox) {
		DW_TILE(1) DW_TILE(2) DW_TILE(3) DW_TILE(4) DW_TILE(5) DW_TILE(6) DW_TILE(7)
	}
	for (ox = hi > ox ? hi : ox; ox < ow; ox++)
		DW_NAME(dw_tile)(1, 1, full, k, x, w, bias, yr, g, n, oy, ox, cb);
}

#undef DW_TILE

// Depthwise convolution of NHWC x (a multiplier of 1, w in [kh, kw, c]) for
// output image rows [q0, q1) (q = n·oh + oy), y = act(conv + b + r), b and r
// null when absent (r laid out as y): the sums of a whole output row, then
// the epilogue over it while it is in cache.
static DW_ATTR void DW_NAME(ik_dw)(const float *x, const float *w, const float *b, const float *r, float *y,
		const ik_win *g, long q0, long q1, int act, float p0, float p1) {
	const long c = g->c, ow = g->ow, oh = g->oh, sw = g->sw;
	// The output columns [lo, hi) whose taps all fall inside the input row.
	long lo = (g->pw + sw - 1) / sw, last = g->w - 1 + g->pw - (g->kw - 1) * g->dw;
	long hi = last < 0 ? 0 : last / sw + 1;
	if (hi > ow) hi = ow;
	if (lo > hi) lo = hi;
	const long cf = c / DW_VL * DW_VL;
	const DW_MT tail = DW_MASK(c - cf);
	for (long q = q0; q < q1; q++) {
		long n = q / oh, oy = q % oh;
		for (long cb = 0; cb < cf; cb += DW_VL)
			DW_NAME(dw_block)(1, tail, x, w, b, y, g, n, oy, q, cb, lo, hi);
		if (cf < c) DW_NAME(dw_block)(0, tail, x, w, b, y, g, n, oy, q, cf, lo, hi);
		if (act != IK_NONE || r)
			DW_ACT_ROWS(y + q * ow * c, 0, y + q * ow * c, 0, r ? r + q * ow * c : 0, 0, 1, ow * c, act, p0, p1);
	}
}

#undef DW_VT
#undef DW_VL
#undef DW_MT
#undef DW_MASK
#undef DW_LOADM
#undef DW_STOREM
#undef DW_T
#undef DW_ATTR
#undef DW_HELPER
#undef DW_NAME
#undef DW_ACT_ROWS
