// The direct single-channel convolution (see ckernels_c1.go), written once
// and instantiated once per instruction set: the including file defines
//
//   C1_VT, C1_VU  the vector type and its unaligned form
//   C1_VL         floats per vector (16 or 8)
//   C1_NO         most output channels a tile computes (its sums: C1_NO × 2
//                 vectors, plus 2 input vectors and a broadcast, fit the registers)
//   C1_ATTR, C1_HELPER, C1_NAME(s)  as in ckernels_wide.h
//   C1_SCATTER(p, k, idx, v)  (AVX-512 only) a masked scatter of v's lanes
//                 to p + idx[l]: a tile then writes its sums straight to the
//                 channels-last output, where otherwise they go to acc and a
//                 copy reorders them
//
// and includes this file, which undefines them again.

// Sums of nv vectors of output pixels from j, for the no output channels
// whose weights start at wo (k·k a channel), over the taps of kernel rows
// [k0, k1) of the zero-padded input rows (pw floats apart): each input
// vector is loaded once per tap and feeds all no channels. Stored to acc
// (owp floats a channel), or with C1_SCATTER to output row dst (outc
// channels a pixel, ow pixels, ReLU where relu is set).
C1_HELPER void C1_NAME(c1_tile)(const int no, const int nv, const float *rows, long pw, long k, long k0, long k1,
		const float *wo, const float *b, float *acc, long owp, long j, float *dst, long outc, long ow, int relu,
		const c1_perm *pm) {
	C1_VT s[C1_NO][2];
#pragma GCC unroll 16
	for (int o = 0; o < no; o++)
#pragma GCC unroll 2
		for (int v = 0; v < nv; v++) s[o][v] = (C1_VT){0} + b[o];
	for (long ki = k0; ki < k1; ki++) {
		const float *r = rows + ki * pw + j, *wk = wo + ki * k;
		for (long kj = 0; kj < k; kj++) {
			C1_VT xv[2];
#pragma GCC unroll 2
			for (int v = 0; v < nv; v++) xv[v] = *(const C1_VU *)(r + kj + v * C1_VL);
#pragma GCC unroll 16
			for (int o = 0; o < no; o++) {
				float wv = wk[o * k * k + kj];
#pragma GCC unroll 2
				for (int v = 0; v < nv; v++) s[o][v] += wv * xv[v];
			}
		}
	}
#ifdef C1_SCATTER
	const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
		_mm512_set1_epi32((int)outc));
#pragma GCC unroll 2
	for (int v = 0; v < nv; v++) {
		long p = j + v * C1_VL, left = ow - p;
		if (left <= 0) break;
#pragma GCC unroll 16
		for (int o = 0; o < no; o++)
			if (relu) s[o][v] = (C1_VT)_mm512_max_ps((__m512)s[o][v], _mm512_setzero_ps());
		if (pm && no == outc) {
			// The 16 pixels' outc channels are no vectors of dst in a row:
			// lane e of vector m is pixel (16m + e) / no, channel (16m + e) % no.
			long nf = (left < 16 ? left : 16) * outc;
#pragma GCC unroll 16
			for (int m = 0; m < no; m++) {
				long f = nf - m * 16;
				if (f <= 0) break;
				__m512 t = _mm512_setzero_ps();
#pragma GCC unroll 16
				for (int o = 0; o < no; o++) t = _mm512_mask_permutexvar_ps(t, pm->mask[m][o], pm->idx[m], (__m512)s[o][v]);
				_mm512_mask_storeu_ps(dst + p * outc + m * 16, f >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << f) - 1), t);
			}
			continue;
		}
		__mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
#pragma GCC unroll 16
		for (int o = 0; o < no; o++) C1_SCATTER(dst + p * outc + o, m, idx, s[o][v]);
	}
	(void)acc;
	(void)owp;
#else
#pragma GCC unroll 16
	for (int o = 0; o < no; o++)
#pragma GCC unroll 2
		for (int v = 0; v < nv; v++) *(C1_VU *)(acc + o * owp + j + v * C1_VL) = s[o][v];
	(void)dst;
	(void)outc;
	(void)ow;
	(void)relu;
	(void)pm;
#endif
}

#define C1_CASE(NO) \
	case NO: \
		for (; j + 2 * C1_VL <= owp; j += 2 * C1_VL) \
			C1_NAME(c1_tile)(NO, 2, rows, pw, k, k0, k1, wo, bo, ao, owp, j, dst + o0, outc, ow, relu, pm); \
		if (j < owp) C1_NAME(c1_tile)(NO, 1, rows, pw, k, k0, k1, wo, bo, ao, owp, j, dst + o0, outc, ow, relu, pm); \
		break;

// ik_conv_c1 (ckernels_conv.go) with the output channels in groups of up to
// C1_NO, so that each input vector loaded feeds C1_NO multiply-adds; owp
// is ow rounded up to C1_VL, and buf holds k·(owp + k − 1) + outc·owp floats.
C1_ATTR void C1_NAME(ik_conv_c1)(const float *x, const float *wt, const float *b, float *y, float *buf, long h,
		long w, long k, long pad, long oh, long ow, long outc, long q0, long q1, int relu) {
	long owp = (ow + C1_VL - 1) / C1_VL * C1_VL, pw = owp + k - 1;
	float *rows = buf, *acc = buf + k * pw;
	memset(rows, 0, k * pw * sizeof(float)); // the padding; only [pad, pad + w) is written below
	const c1_perm *pm = 0;
#ifdef C1_SCATTER
	c1_perm perm;
	if (outc <= C1_NO) {
		c1_perm_init(&perm, outc);
		pm = &perm;
	}
#endif
	for (long q = q0; q < q1; q++) {
		long n = q / oh, oy = q % oh;
		long k0 = pad - oy > 0 ? pad - oy : 0, k1 = h + pad - oy < k ? h + pad - oy : k;
		for (long ki = k0; ki < k1; ki++)
			memcpy(rows + ki * pw + pad, x + (n * h + oy - pad + ki) * w, w * sizeof(float));
		float *dst = y + q * ow * outc;
		for (long o0 = 0; o0 < outc; o0 += C1_NO) {
			long no = outc - o0 < C1_NO ? outc - o0 : C1_NO, j = 0;
			const float *wo = wt + o0 * k * k, *bo = b + o0;
			float *ao = acc + o0 * owp;
			switch (no) {
				C1_CASE(1) C1_CASE(2) C1_CASE(3) C1_CASE(4) C1_CASE(5) C1_CASE(6)
#if C1_NO > 6
				C1_CASE(7) C1_CASE(8)
#endif
			}
		}
#ifndef C1_SCATTER
		ik_rows_to_pixels(dst, acc, owp, ow, outc, relu);
#endif
	}
}

#undef C1_CASE
#undef C1_VT
#undef C1_VU
#undef C1_VL
#undef C1_NO
#undef C1_ATTR
#undef C1_HELPER
#undef C1_NAME
#undef C1_SCATTER
