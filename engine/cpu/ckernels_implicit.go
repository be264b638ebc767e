//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// An implicit-GEMM convolution for AVX-512, for at most 16 output channels:
// the wide kernel's product of im2col rows by one 16-wide panel of packed
// weights, its x values read straight from the NHWC input instead of from
// im2col rows. Where a convolution has few outputs (a network's first
// layer: 3 channels in, 3×3; lenet5's second), copying its im2col rows cost
// about as much as multiplying them.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#include "ckernels_act512.h"

#define IM_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))

// nt output pixels from ox of output row oy of image n, all their taps
// inside the input row unless check is set (then nt is 1): sums over every
// tap in registers, then y = act(sum + b + r) in the first m lanes.
IM_HELPER void im_tile(const int nt, const int check, const float *x, const ik_win *g, const float *wp,
		const float *b, const float *r, float *y, long m, long n, long oy, long ox, int act, float a0, float a1) {
	const long c = g->c, kw = g->kw, sw = g->sw, dw = g->dw, wd = g->w;
	__m512 acc[8];
#pragma GCC unroll 8
	for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
	for (long ki = 0; ki < g->kh; ki++) {
		long iy = oy * g->sh - g->ph + ki * g->dh;
		if (iy < 0 || iy >= g->h) continue;
		const float *xr = x + ((n * g->h + iy) * wd) * c;
		for (long kj = 0; kj < kw; kj++) {
			long ix = ox * sw - g->pw + kj * dw;
			if (check && (ix < 0 || ix >= wd)) continue;
			const float *xp = xr + ix * c, *w = wp + (ki * kw + kj) * c * 16;
			for (long ci = 0; ci < c; ci++) {
				__m512 wv = _mm512_loadu_ps(w + ci * 16);
#pragma GCC unroll 8
				for (int t = 0; t < nt; t++) acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(xp[t * sw * c + ci]), wv, acc[t]);
			}
		}
	}
	const __mmask16 k = m >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << m) - 1);
	const __m512 bias = b ? _mm512_maskz_loadu_ps(k, b) : _mm512_setzero_ps();
#pragma GCC unroll 8
	for (int t = 0; t < nt; t++) {
		__m512 v = _mm512_add_ps(acc[t], bias);
		if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, r + t * m));
		_mm512_mask_storeu_ps(y + t * m, k, (__m512)act_avx512((v16f)v, act, a0, a1));
	}
}

#define IM_TILE(NT) \
	case NT: im_tile(NT, 0, x, g, wp, b, r ? r + p * m : 0, y + p * m, m, n, oy, ox, act, a0, a1); break;

// Output pixels [p0, p1) (p = (n·oh + oy)·ow + ox) of a convolution of one
// group with m ≤ 16 outputs, the weights one panel of 16 (packWide's layout,
// inputs in im2col's (ki, kj, channel) order): y = act(x ⊛ w + b + r), y and
// r m floats a pixel, b and r null when absent.
static __attribute__((target("arch=x86-64-v4"))) void ik_conv_implicit(const float *x, const ik_win *g,
		const float *wp, const float *b, const float *r, float *y, long m, long p0, long p1, int act, float a0,
		float a1) {
	const long ow = g->ow, oh = g->oh, sw = g->sw;
	// The output columns [lo, hi) whose taps all fall inside the input row.
	long lo = (g->pw + sw - 1) / sw, last = g->w - 1 + g->pw - (g->kw - 1) * g->dw;
	long hi = last < 0 ? 0 : last / sw + 1;
	if (hi > ow) hi = ow;
	if (lo > hi) lo = hi;
	for (long p = p0; p < p1;) {
		long ox = p % ow, q = p / ow, oy = q % oh, n = q / oh;
		long end = p1 - p < ow - ox ? ox + (p1 - p) : ow; // this output row's part
		while (ox < end) {
			if (ox < lo || ox >= hi) {
				im_tile(1, 1, x, g, wp, b, r ? r + p * m : 0, y + p * m, m, n, oy, ox, act, a0, a1);
				ox++, p++;
				continue;
			}
			long nt = (hi < end ? hi : end) - ox;
			if (nt > 8) nt = 8;
			switch (nt) {
				IM_TILE(1) IM_TILE(2) IM_TILE(3) IM_TILE(4) IM_TILE(5) IM_TILE(6) IM_TILE(7) IM_TILE(8)
			}
			ox += nt, p += nt;
		}
	}
}
#define IK_HAVE_IMPLICIT 1
#else
#define IK_HAVE_IMPLICIT 0
#endif

static int ik_have_implicit(void) { return IK_HAVE_IMPLICIT; }

// ik_conv_implicit_rows runs ik_conv_implicit (where ik_have_implicit).
static void ik_conv_implicit_rows(const float *x, const ik_win *g, const float *wp, const float *b, const float *r,
		float *y, long m, long p0, long p1, int act, float a0, float a1) {
#if IK_HAVE_IMPLICIT
	ik_conv_implicit(x, g, wp, b, r, y, m, p0, p1, act, a0, a1);
#endif
}
*/
import "C"

// implicitConv says a convolution of one group with m outputs and window g
// can multiply through convImplicit with instruction set s: AVX-512, at
// most 16 outputs (one panel of the wide kernel's packed weights) and at
// most 160 inputs a pixel (kh·kw·c). It beat im2col + the wide kernel 2.2×
// at 27 inputs (3 channels, 3×3) and 2× at 150 (lenet5's conv2: 6, 5×5);
// larger ones were not measured.
func implicitConv(s isa, g *window, m int) bool {
	return C.ik_have_implicit() != 0 && s == isaAVX512 && m <= denseLanes && g.kh*g.kw*g.c <= 160
}

// convImplicit computes output pixels [p0, p1) of a convolution of one
// group with m ≤ 16 outputs (implicitConv): y = act(x ⊛ W + b + r), the
// weights wp packed by packWide (one panel), y and r m floats a pixel, b
// and r nil when absent.
func convImplicit(x []float32, g *window, wp, b, r, y []float32, m, p0, p1 int, a act) {
	if p1 <= p0 {
		return
	}
	_, _ = y[p1*m-1], wp[g.kh*g.kw*g.c*denseLanes-1]
	_ = x[(p1-1)/(g.oh*g.ow)*g.h*g.w*g.c+g.h*g.w*g.c-1]
	if b != nil {
		_ = b[m-1]
	}
	if r != nil {
		_ = r[p1*m-1]
	}
	C.ik_conv_implicit_rows(cf(x), cwin(g), cf(wp), cf(b), cf(r), cf(y), C.long(m), C.long(p0), C.long(p1),
		C.int(a.kind), C.float(a.p0), C.float(a.p1))
}
