//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include <string.h>
#include "ckernels.h"

// An implicit-GEMM convolution for AVX-512: the wide kernel's product of
// im2col rows by panels of packed weights, its x values read from the NHWC
// input rows instead of from im2col rows. Each tile keeps nt output pixels
// × nv vectors of outputs in registers over every tap and every input
// channel, then adds bias and residual and applies the activation as it
// stores. Rows that padding reaches are first copied, padded, into the
// caller's scratch (kh rows of impl_row floats), so no tap is checked.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#include "ckernels_act512.h"

#define IM_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))
#define IM_KHMAX 16

// The most pixels a tile of nv vectors takes: nt × nv accumulators, nv
// weight vectors and a broadcast within the 32 registers.
#define IM_MR(nv) ((nv) == 1 ? 12 : (nv) == 2 ? 12 : (nv) == 3 ? 8 : 6)

// One tile: nt pixels (ldx floats apart in every row) × the nv vectors of
// one panel (pw floats an input, (ki, kj, channel) order). rows[ki] is the
// input row of tap row ki at the tile's first pixel and first tap column,
// null where the row is outside the input (padding: no term). y, r: the
// tile's first pixel at the panel's first output, m floats a pixel; b: the
// panel's bias or null; nc: the panel's outputs.
IM_HELPER void im_tile(const int nt, const int nv, const float *const *rows, long off, long kh, long kw, long dwc,
		long c, long ldx, const float *w, long pw, const float *b, const float *r, float *y, long m, long nc,
		int act, float a0, float a1) {
	__m512 acc[24];
#pragma GCC unroll 24
	for (int a = 0; a < nt * nv; a++) acc[a] = _mm512_setzero_ps();
	// The residual and the output come from memory, and their loads at the
	// end would wait on it (a residual cost 30 % of a 32-channel layer).
	for (int t = 0; t < nt; t++)
		for (int v = 0; v < nv; v++) {
			if (r) _mm_prefetch((const char *)(r + t * m + v * 16), _MM_HINT_T0);
			_mm_prefetch((const char *)(y + t * m + v * 16), _MM_HINT_ET0);
		}
	for (long ki = 0; ki < kh; ki++) {
		if (!rows[ki]) continue;
		const float *xr = rows[ki] + off, *wk = w + ki * kw * c * pw;
		for (long kj = 0; kj < kw; kj++, xr += dwc) {
			for (long ci = 0; ci < c; ci++, wk += pw) {
				__m512 wv[4];
#pragma GCC unroll 4
				for (int v = 0; v < nv; v++) wv[v] = _mm512_loadu_ps(wk + v * 16);
#pragma GCC unroll 12
				for (int t = 0; t < nt; t++) {
					__m512 xs = _mm512_set1_ps(xr[t * ldx + ci]);
#pragma GCC unroll 4
					for (int v = 0; v < nv; v++) acc[t * nv + v] = _mm512_fmadd_ps(xs, wv[v], acc[t * nv + v]);
				}
			}
		}
	}
#pragma GCC unroll 4
	for (int v = 0; v < nv; v++) {
		long lanes = nc - v * 16;
		const __mmask16 k = lanes >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << lanes) - 1);
		const __m512 bias = b ? _mm512_maskz_loadu_ps(k, b + v * 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
		for (int t = 0; t < nt; t++) {
			__m512 s = _mm512_add_ps(acc[t * nv + v], bias);
			if (r) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(k, r + t * m + v * 16));
			_mm512_mask_storeu_ps(y + t * m + v * 16, k, (__m512)act_avx512((v16f)s, act, a0, a1));
		}
	}
}

#define IM_TILE(NT, NV) \
	case NT: \
		im_tile(NT, NV, rows, o * ldx, g->kh, tkw, dwc, tc, ldx, wpan, pw, b ? b + c0 : 0, \
			r ? r + (p + o - ox) * m + c0 : 0, y + (p + o - ox) * m + c0, m, nc, act, a0, a1); \
		break;

// Output pixels [p0, p1) (p = (n·oh + oy)·ow + ox) of a convolution of one
// group with m outputs, the weights packed by packWide in panels of width
// floats (inputs in im2col's (ki, kj, channel) order): y = act(x ⊛ w + b + r),
// y and r m floats a pixel, b and r null when absent; pad: kh × impl_row
// floats of scratch when the window pads left or right.
static __attribute__((target("arch=x86-64-v4"))) void ik_conv_implicit(const float *x, const ik_win *g,
		const float *wp, long width, const float *b, const float *r, float *y, long m, long p0, long p1, float *pad,
		int act, float a0, float a1) {
	const long ow = g->ow, oh = g->oh, c = g->c, k = g->kh * g->kw * c, ldx = g->sw * c, dwc = g->dw * c;
	const int padded = g->pw > 0 || g->ew > 0;
	const long wpad = (ow - 1) * g->sw + (g->kw - 1) * g->dw + 1; // a padded row's pixels
	const long copy = g->w < wpad - g->pw ? g->w : wpad - g->pw;    // the input pixels it holds
	const float *rows[IM_KHMAX];
	// Undilated, a tap row's kw·c inputs lie in one run of the row, in the
	// weights' order: one loop over them (3 channels, 7×7: 21 a row, not 7 of 3).
	const long tkw = g->dw == 1 ? 1 : g->kw, tc = g->dw == 1 ? g->kw * c : c;
	// Panel by panel, so that a panel's weights are read from cache for every
	// output row of the part (ResNet-50's last 3×3 layers hold 9.4 MB).
	for (long c0 = 0; c0 < m; c0 += width) {
	for (long p = p0; p < p1;) {
		long ox = p % ow, q = p / ow, oy = q % oh, n = q / oh;
		long end = p1 - p < ow - ox ? ox + (p1 - p) : ow; // this output row's part
		for (long ki = 0; ki < g->kh; ki++) {
			long iy = oy * g->sh - g->ph + ki * g->dh;
			rows[ki] = 0;
			if (iy < 0 || iy >= g->h) continue;
			const float *src = x + ((n * g->h + iy) * g->w) * c;
			if (!padded) {
				rows[ki] = src;
				continue;
			}
			float *row = pad + ki * wpad * c;
			memset(row, 0, g->pw * c * sizeof(float));
			if (copy > 0) {
				memcpy(row + g->pw * c, src, copy * c * sizeof(float));
				memset(row + (g->pw + copy) * c, 0, (wpad - g->pw - copy) * c * sizeof(float));
			} else memset(row + g->pw * c, 0, (wpad - g->pw) * c * sizeof(float));
			rows[ki] = row;
		}
		// The input rows the next output row adds, into L2 while this one computes.
		for (long ki = 0; ki < g->kh; ki++) {
			long iy = (oy + 1) * g->sh - g->ph + ki * g->dh;
			if (iy < 0 || iy >= g->h || oy + 1 >= oh) continue;
			if (iy <= oy * g->sh - g->ph + (g->kh - 1) * g->dh) continue; // read by this row already
			const char *src = (const char *)(x + ((n * g->h + iy) * g->w) * c);
			for (long i = 0; i < g->w * c * 4; i += 64) _mm_prefetch(src + i, _MM_HINT_T1);
		}
		{
			long nc = m - c0 < width ? m - c0 : width, pw = (nc + 15) / 16 * 16, nv = pw / 16;
			const float *wpan = wp + c0 * k;
			long mr = IM_MR(nv), tiles = (end - ox + mr - 1) / mr;
			for (long t = 0, o = ox; t < tiles; t++) {
				long nt = (end - o + (tiles - t) - 1) / (tiles - t); // the tiles as even as they go
				switch (nv) {
				case 1:
					switch (nt) {
						IM_TILE(1, 1) IM_TILE(2, 1) IM_TILE(3, 1) IM_TILE(4, 1) IM_TILE(5, 1) IM_TILE(6, 1)
						IM_TILE(7, 1) IM_TILE(8, 1) IM_TILE(9, 1) IM_TILE(10, 1) IM_TILE(11, 1) IM_TILE(12, 1)
					}
					break;
				case 2:
					switch (nt) {
						IM_TILE(1, 2) IM_TILE(2, 2) IM_TILE(3, 2) IM_TILE(4, 2) IM_TILE(5, 2) IM_TILE(6, 2)
						IM_TILE(7, 2) IM_TILE(8, 2) IM_TILE(9, 2) IM_TILE(10, 2) IM_TILE(11, 2) IM_TILE(12, 2)
					}
					break;
				case 3:
					switch (nt) {
						IM_TILE(1, 3) IM_TILE(2, 3) IM_TILE(3, 3) IM_TILE(4, 3) IM_TILE(5, 3) IM_TILE(6, 3)
						IM_TILE(7, 3) IM_TILE(8, 3)
					}
					break;
				default:
					switch (nt) { IM_TILE(1, 4) IM_TILE(2, 4) IM_TILE(3, 4) IM_TILE(4, 4) IM_TILE(5, 4) IM_TILE(6, 4) }
				}
				o += nt;
			}
		}
		p += end - ox;
	}
	}
}
#define IK_HAVE_IMPLICIT 1
#else
#define IK_HAVE_IMPLICIT 0
#endif

static int ik_have_implicit(void) { return IK_HAVE_IMPLICIT; }

// ik_conv_implicit_rows runs ik_conv_implicit (where ik_have_implicit).
static void ik_conv_implicit_rows(const float *x, const ik_win *g, const float *wp, long width, const float *b,
		const float *r, float *y, long m, long p0, long p1, float *pad, int act, float a0, float a1) {
#if IK_HAVE_IMPLICIT
	ik_conv_implicit(x, g, wp, width, b, r, y, m, p0, p1, pad, act, a0, a1);
#endif
}
*/
import "C"

// implicitConv says a convolution of one group with m outputs and window g
// can multiply through convImplicit with instruction set s: AVX-512 and a
// kernel at most 16 rows high.
func implicitConv(s isa, g *window, m int) bool {
	return C.ik_have_implicit() != 0 && s == isaAVX512 && g.kh <= 16 && m > 0
}

// convImplicit computes output pixels [p0, p1) of a convolution of one
// group with m outputs (implicitConv): y = act(x ⊛ W + b + r), the weights
// wp packed by packWide, y and r m floats a pixel, b and r nil when absent;
// pad holds implicitScratch(g) floats.
func convImplicit(x []float32, g *window, wp, b, r, y, pad []float32, m, p0, p1 int, a act) {
	if p1 <= p0 {
		return
	}
	_, _ = y[p1*m-1], wp[wideFloats(isaAVX512, m, g.kh*g.kw*g.c)-1]
	_ = x[(p1-1)/(g.oh*g.ow)*g.h*g.w*g.c+g.h*g.w*g.c-1]
	if b != nil {
		_ = b[m-1]
	}
	if r != nil {
		_ = r[p1*m-1]
	}
	var pp *C.float
	if n := implicitScratch(g); n > 0 {
		pp = cf(pad[:n])
	}
	C.ik_conv_implicit_rows(cf(x), cwin(g), cf(wp), C.long(wideWidth(isaAVX512, m)), cf(b), cf(r), cf(y), C.long(m),
		C.long(p0), C.long(p1), pp, C.int(a.kind), C.float(a.p0), C.float(a.p1))
}
