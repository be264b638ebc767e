//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// Max or average pooling of NHWC x for output image rows [q0, q1) (q = n·oh
// + oy), vectorized over the channels. A tap outside the input is skipped; an
// average with count_pad counts the taps in the padding too, but never those
// past it (a ceil_mode window may reach beyond the padding), as model.EvalNode
// does. A window with no tap inside the input gives −∞ (max) or 0 (average).
IK_CLONES
void ik_pool(const float *x, float *y, const ik_win *g, int avg, int count_pad, long q0, long q1) {
	long h = g->h, w = g->w, c = g->c, kh = g->kh, kw = g->kw, oh = g->oh, ow = g->ow;
	if (!avg && kh == 2 && kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0 &&
			g->dh == 1 && g->dw == 1 && 2 * oh <= h && 2 * ow <= w) {
		// 2×2 max pooling at stride 2 inside the image (LeNet's): four loads per value, no bounds.
		for (long q = q0; q < q1; q++) {
			long n = q / oh, i = q % oh;
			const float *top = x + (n * h + 2 * i) * w * c;
			const float *bot = top + w * c;
			float *dst = y + q * ow * c;
			for (long j = 0; j < ow; j++) {
				const float *a = top + 2 * j * c, *b = bot + 2 * j * c;
				float *d = dst + j * c;
				for (long ch = 0; ch < c; ch++) {
					float m = a[ch] > a[c + ch] ? a[ch] : a[c + ch];
					float m2 = b[ch] > b[c + ch] ? b[ch] : b[c + ch];
					d[ch] = m > m2 ? m : m2;
				}
			}
		}
		return;
	}
	for (long q = q0; q < q1; q++) {
		long n = q / oh, oy = q % oh;
		long iy0 = oy * g->sh - g->ph;
		long ny = 0, nyp = 0; // taps inside the input, and inside the padded input
		for (long ki = 0; ki < kh; ki++) {
			long iy = iy0 + ki * g->dh;
			ny += iy >= 0 && iy < h;
			nyp += iy >= -g->ph && iy < h + g->eh;
		}
		for (long ox = 0; ox < ow; ox++) {
			float *restrict d = y + (q * ow + ox) * c;
			long ix0 = ox * g->sw - g->pw;
			long nx = 0, nxp = 0;
			for (long kj = 0; kj < kw; kj++) {
				long ix = ix0 + kj * g->dw;
				nx += ix >= 0 && ix < w;
				nxp += ix >= -g->pw && ix < w + g->ew;
			}
			for (long ch = 0; ch < c; ch++) d[ch] = avg ? 0.0f : -__builtin_inff();
			for (long ki = 0; ki < kh; ki++) {
				long iy = iy0 + ki * g->dh;
				if (iy < 0 || iy >= h) continue;
				const float *xr = x + (n * h + iy) * w * c;
				for (long kj = 0; kj < kw; kj++) {
					long ix = ix0 + kj * g->dw;
					if (ix < 0 || ix >= w) continue;
					const float *restrict s = xr + ix * c;
					if (avg) {
						for (long ch = 0; ch < c; ch++) d[ch] += s[ch];
					} else {
						for (long ch = 0; ch < c; ch++) d[ch] = s[ch] > d[ch] ? s[ch] : d[ch];
					}
				}
			}
			if (avg) {
				long count = count_pad ? nyp * nxp : ny * nx;
				float inv = count > 0 ? 1.0f / (float)count : 0.0f;
				for (long ch = 0; ch < c; ch++) d[ch] *= inv;
			}
		}
	}
}

// Global average or maximum over the hw pixels of NHWC samples [n0, n1): y[n][ch].
IK_CLONES
void ik_global_pool_nhwc(const float *x, float *y, long hw, long c, long n0, long n1, int max) {
	for (long n = n0; n < n1; n++) {
		float *restrict d = y + n * c;
		const float *xs = x + n * hw * c;
		memcpy(d, xs, c * sizeof(float));
		for (long p = 1; p < hw; p++) {
			const float *restrict s = xs + p * c;
			if (max) {
				for (long ch = 0; ch < c; ch++) d[ch] = s[ch] > d[ch] ? s[ch] : d[ch];
			} else {
				for (long ch = 0; ch < c; ch++) d[ch] += s[ch];
			}
		}
		if (!max) {
			float inv = 1.0f / (float)hw;
			for (long ch = 0; ch < c; ch++) d[ch] *= inv;
		}
	}
}
*/
import "C"

// poolRows pools output image rows [q0, q1) of NHWC x into y (see ik_pool).
func poolRows(x, y []float32, g *window, avg, countPad bool, q0, q1 int) {
	if q1 <= q0 {
		return
	}
	_ = y[q1*g.ow*g.c-1]
	_ = x[(q1-1)/g.oh*g.h*g.w*g.c+g.h*g.w*g.c-1]
	C.ik_pool(cf(x), cf(y), cwin(g), cbool(avg), cbool(countPad), C.long(q0), C.long(q1))
}

// globalPoolNHWC averages (or takes the maximum of) the hw pixels of NHWC
// samples [n0, n1) of x into y [n, c].
func globalPoolNHWC(x, y []float32, hw, c, n0, n1 int, isMax bool) {
	if n1 <= n0 || c <= 0 || hw <= 0 {
		return
	}
	_, _ = x[n1*hw*c-1], y[n1*c-1]
	C.ik_global_pool_nhwc(cf(x), cf(y), C.long(hw), C.long(c), C.long(n0), C.long(n1), cbool(isMax))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
