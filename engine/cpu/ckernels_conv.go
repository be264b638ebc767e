//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// Direct convolution of a single-channel NHWC input at stride 1, for output
// image rows [q0, q1) (q = n·oh + oy); see goConvC1. For each output row it
// copies the k input rows it reads into zero-padded rows of owp + k − 1 floats
// (owp = ow rounded up to 8), then computes eight output pixels of one output
// channel at a time in a register, over all k·k taps, and stores them once.
// buf holds k·(owp + k − 1) + outc·owp floats (directScratch). relu applies
// ReLU as the values are stored.
IK_CLONES
void ik_conv_c1(const float *x, const float *wt, const float *b, float *y, float *buf,
		long h, long w, long k, long pad, long oh, long ow, long outc, long q0, long q1, int relu) {
	long owp = (ow + 7) & ~7L, pw = owp + k - 1;
	float *rows = buf, *acc = buf + k * pw;
	memset(rows, 0, k * pw * sizeof(float)); // the padding; only [pad, pad + w) is written below
	for (long q = q0; q < q1; q++) {
		long n = q / oh, oy = q % oh;
		long k0 = pad - oy > 0 ? pad - oy : 0, k1 = h + pad - oy < k ? h + pad - oy : k;
		for (long ki = k0; ki < k1; ki++)
			memcpy(rows + ki * pw + pad, x + (n * h + oy - pad + ki) * w, w * sizeof(float));
		for (long o = 0; o < outc; o++) {
			const float *wo = wt + o * k * k;
			long j = 0;
			// Four vectors at a time: four independent sums hide the FMA latency.
			for (; j + 32 <= owp; j += 32) {
				v8f s0 = (v8f){0, 0, 0, 0, 0, 0, 0, 0} + b[o], s1 = s0, s2 = s0, s3 = s0;
				for (long ki = k0; ki < k1; ki++) {
					const float *r = rows + ki * pw + j, *wk = wo + ki * k;
					for (long kj = 0; kj < k; kj++) {
						float wv = wk[kj];
						s0 += wv * *(const v8fu *)(r + kj);
						s1 += wv * *(const v8fu *)(r + kj + 8);
						s2 += wv * *(const v8fu *)(r + kj + 16);
						s3 += wv * *(const v8fu *)(r + kj + 24);
					}
				}
				float *a = acc + o * owp + j;
				*(v8fu *)a = s0;
				*(v8fu *)(a + 8) = s1;
				*(v8fu *)(a + 16) = s2;
				*(v8fu *)(a + 24) = s3;
			}
			for (; j < owp; j += 8) {
				v8f s0 = (v8f){0, 0, 0, 0, 0, 0, 0, 0} + b[o];
				for (long ki = k0; ki < k1; ki++) {
					const float *r = rows + ki * pw + j, *wk = wo + ki * k;
					for (long kj = 0; kj < k; kj++) s0 += wk[kj] * *(const v8fu *)(r + kj);
				}
				*(v8fu *)(acc + o * owp + j) = s0;
			}
		}
		float *dst = y + q * ow * outc;
		ik_rows_to_pixels(dst, acc, owp, ow, outc, relu);
	}
}

// Depthwise convolution of NHWC x (one input channel per output channel, a
// multiplier of 1) for output image rows [q0, q1) (q = n·oh + oy): each output
// pixel starts from the bias (zero when b is null) and adds, for every tap
// inside the image, the tap's weights (w is [kh, kw, c]) times the input
// pixel's channels, vectorized over the channels. At stride 1 along the row,
// wr (when not null) holds each tap's weights repeated for every output
// pixel ([kh, kw, ow, c]): a tap then adds along the whole row at once, one
// long vector loop whatever the channel count.
IK_CLONES
void ik_dwconv(const float *x, const float *w, const float *wr, const float *b, float *y, const ik_win *g,
		long q0, long q1) {
	long h = g->h, wd = g->w, c = g->c, kh = g->kh, kw = g->kw, sh = g->sh, sw = g->sw;
	long ph = g->ph, pw = g->pw, dh = g->dh, dw = g->dw, oh = g->oh, ow = g->ow;
	for (long q = q0; q < q1; q++) {
		long n = q / oh, oy = q % oh;
		float *restrict yr = y + q * ow * c;
		for (long ox = 0; ox < ow; ox++) {
			if (b) {
				memcpy(yr + ox * c, b, c * sizeof(float));
			} else {
				memset(yr + ox * c, 0, c * sizeof(float));
			}
		}
		for (long ki = 0; ki < kh; ki++) {
			long iy = oy * sh - ph + ki * dh;
			if (iy < 0 || iy >= h) continue;
			const float *xr = x + (n * h + iy) * wd * c;
			for (long kj = 0; kj < kw; kj++) {
				const float *restrict wk = w + (ki * kw + kj) * c;
				// The output columns whose tap ix = ox·sw − pw + kj·dw falls inside the row.
				long off = kj * dw - pw;
				long ox0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
				long ox1 = wd - 1 - off < 0 ? 0 : (wd - 1 - off) / sw + 1;
				if (ox1 > ow) ox1 = ow;
				if (wr && sw == 1) {
					const float *restrict wt = wr + (ki * kw + kj) * ow * c;
					const float *restrict xx = xr + off * c;
					float *restrict yy = yr;
					for (long j = ox0 * c; j < ox1 * c; j++) yy[j] += wt[j] * xx[j];
					continue;
				}
				for (long ox = ox0; ox < ox1; ox++) {
					const float *restrict xx = xr + (ox * sw + off) * c;
					float *restrict yy = yr + ox * c;
					for (long ch = 0; ch < c; ch++) yy[ch] += wk[ch] * xx[ch];
				}
			}
		}
	}
}
*/
import "C"

// dwConv runs the depthwise convolution for output image rows [q0, q1) (see
// ik_dwconv; wr may be nil).
func dwConv(x, w, wr, b, y []float32, g *window, q0, q1 int) {
	if q1 <= q0 {
		return
	}
	_ = y[q1*g.ow*g.c-1]
	_ = x[(q1-1)/g.oh*g.h*g.w*g.c+g.h*g.w*g.c-1]
	_ = w[g.kh*g.kw*g.c-1]
	if b != nil {
		_ = b[g.c-1]
	}
	if wr != nil {
		_ = wr[g.kh*g.kw*g.ow*g.c-1]
	}
	C.ik_dwconv(cf(x), cf(w), cf(wr), cf(b), cf(y), cwin(g), C.long(q0), C.long(q1))
}
