//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#cgo LDFLAGS: -lm
#include "ckernels.h"

// The element-wise and data-movement kernels of the CPU engine, in C so that
// the compiler vectorizes them (Go does not), built twice on x86-64 (IK_CLONES).
// The transcendental ones are written with GCC's vector extensions, eight
// floats at a time (ckernels.h): written as scalar loops, the compiler would
// not vectorize them (clamps before float→int conversions defeat its if-conversion).

// One row of ik_act: act is a constant where it is inlined, so each
// activation gets its own loop.
IK_INLINE void act_row(float *yy, const float *xx, const float *rr, long n, const int act, float p0, float p1) {
	long j = 0;
	if (rr) {
		for (; j + 8 <= n; j += 8) {
			v8f v, q;
			memcpy(&v, xx + j, sizeof v);
			memcpy(&q, rr + j, sizeof q);
			v = v8_act(v + q, act, p0, p1);
			memcpy(yy + j, &v, sizeof v);
		}
	} else {
		for (; j + 8 <= n; j += 8) {
			v8f v;
			memcpy(&v, xx + j, sizeof v);
			v = v8_act(v, act, p0, p1);
			memcpy(yy + j, &v, sizeof v);
		}
	}
	if (j < n) {
		long m = n - j;
		v8f v = SPLAT(0.0f), q = SPLAT(0.0f);
		memcpy(&v, xx + j, m * sizeof(float));
		if (rr) memcpy(&q, rr + j, m * sizeof(float));
		v = v8_act(v + q, act, p0, p1);
		memcpy(yy + j, &v, m * sizeof(float));
	}
}

IK_INLINE void act_rows(float *y, long ldy, const float *x, long ldx, const float *r, long ldr, long rows, long n,
		const int act, float p0, float p1) {
	for (long i = 0; i < rows; i++) act_row(y + i * ldy, x + i * ldx, r ? r + i * ldr : 0, n, act, p0, p1);
}

// y[i][j] = act(x[i][j] + r[i][j]) for i < rows, j < n (r may be null; x may be y).
IK_CLONES
void ik_act(float *y, long ldy, const float *x, long ldx, const float *r, long ldr, long rows, long n,
		int act, float p0, float p1) {
#define IK_ACT_CASE(A) case A: act_rows(y, ldy, x, ldx, r, ldr, rows, n, A, p0, p1); break;
	switch (act) {
	IK_ACT_CASE(IK_NONE)
	IK_ACT_CASE(IK_RELU)
	IK_ACT_CASE(IK_GELU)
	IK_ACT_CASE(IK_GELU_TANH)
	IK_ACT_CASE(IK_SIGMOID)
	IK_ACT_CASE(IK_TANH)
	IK_ACT_CASE(IK_CLIP)
	IK_ACT_CASE(IK_LEAKY_RELU)
	IK_ACT_CASE(IK_HARD_SIGMOID)
	IK_ACT_CASE(IK_HARD_SWISH)
	IK_ACT_CASE(IK_SWISH)
	}
#undef IK_ACT_CASE
}

// x = e^(x − m); returns the sum of the results.
IK_INLINE float exp_sub_sum(float *x, long n, float m) {
	v8f acc = SPLAT(0.0f);
	long j = 0;
	for (; j + 8 <= n; j += 8) {
		v8f v;
		memcpy(&v, x + j, sizeof v);
		v = v8_exp(v - m);
		acc += v;
		memcpy(x + j, &v, sizeof v);
	}
	float s = 0;
	for (int l = 0; l < 8; l++) s += acc[l];
	if (j < n) {
		v8f v = SPLAT(-1000.0f); // pads to e^−87 after the clamp, left out of the sum
		memcpy(&v, x + j, (n - j) * sizeof(float));
		v = v8_exp(v - m);
		for (long l = 0; l < n - j; l++) s += v[l];
		memcpy(x + j, &v, (n - j) * sizeof(float));
	}
	return s;
}

// Reductions keep 8 partial results so that they vectorize without -ffast-math.
#define IK_LANES 8

IK_INLINE float ik_max(const float *x, long n) {
	float m[IK_LANES];
	for (int l = 0; l < IK_LANES; l++) m[l] = x[0];
	long j = 0;
	for (; j + IK_LANES <= n; j += IK_LANES)
		for (int l = 0; l < IK_LANES; l++) m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
	float r = m[0];
	for (int l = 1; l < IK_LANES; l++) r = m[l] > r ? m[l] : r;
	for (; j < n; j++) r = x[j] > r ? x[j] : r;
	return r;
}

IK_INLINE float ik_sum(const float *x, long n) {
	float s[IK_LANES] = {0};
	long j = 0;
	for (; j + IK_LANES <= n; j += IK_LANES)
		for (int l = 0; l < IK_LANES; l++) s[l] += x[j + l];
	float r = 0;
	for (int l = 0; l < IK_LANES; l++) r += s[l];
	for (; j < n; j++) r += x[j];
	return r;
}

IK_INLINE float ik_sqdev(const float *x, long n, float mean) {
	float s[IK_LANES] = {0};
	long j = 0;
	for (; j + IK_LANES <= n; j += IK_LANES)
		for (int l = 0; l < IK_LANES; l++) {
			float v = x[j + l] - mean;
			s[l] += v * v;
		}
	float r = 0;
	for (int l = 0; l < IK_LANES; l++) r += s[l];
	for (; j < n; j++) r += (x[j] - mean) * (x[j] - mean);
	return r;
}

// Softmax of each of rows rows of n values (row stride ld).
IK_CLONES
void ik_softmax_rows(float *s, long rows, long n, long ld) {
	for (long i = 0; i < rows; i++) {
		float *row = s + i * ld;
		float m = ik_max(row, n);
		float inv = 1.0f / exp_sub_sum(row, n, m);
		for (long j = 0; j < n; j++) row[j] *= inv;
	}
}

// Layer normalization of rows rows of d values, then ·g (+ b when not null).
IK_CLONES
void ik_layernorm(const float *x, float *y, long rows, long d, const float *g, const float *b, float eps) {
	for (long i = 0; i < rows; i++) {
		const float *xx = x + i * d;
		float *yy = y + i * d;
		float mean = ik_sum(xx, d) / (float)d;
		float ss = ik_sqdev(xx, d, mean);
		float inv = 1.0f / __builtin_sqrtf(ss / (float)d + eps);
		if (b) {
			for (long j = 0; j < d; j++) yy[j] = (xx[j] - mean) * inv * g[j] + b[j];
		} else {
			for (long j = 0; j < d; j++) yy[j] = (xx[j] - mean) * inv * g[j];
		}
	}
}

// Mean or maximum of each of rows [r0, r1) of n values into y[r].
IK_CLONES
void ik_reduce_rows(const float *x, float *y, long n, long r0, long r1, int max) {
	for (long r = r0; r < r1; r++) {
		const float *row = x + r * n;
		y[r] = max ? ik_max(row, n) : ik_sum(row, n) / (float)n;
	}
}

IK_INLINE void copy_or_zero(float *d, const float *s, long n) {
	if (!s) {
		for (long i = 0; i < n; i++) d[i] = 0;
	} else if (n >= 32) {
		memcpy(d, s, n * sizeof(float));
	} else {
		for (long i = 0; i < n; i++) d[i] = s[i];
	}
}

// Rows [r0, r1) of the im2col matrix of NHWC x for the cg channels from coff:
// row r is output pixel (n, oy, ox), r = (n·oh + oy)·ow + ox, holding
// kh·kw·cg values in (ki, kj, channel) order; taps outside the image are zero.
IK_CLONES
void ik_im2col(float *col, const float *x, const ik_win *g, long coff, long cg, long r0, long r1) {
	long h = g->h, w = g->w, c = g->c, kh = g->kh, kw = g->kw, oh = g->oh, ow = g->ow;
	long kc = kw * cg, kkc = kh * kc;
	long ox = r0 % ow, t = r0 / ow, oy = t % oh, n = t / oh;
	int contiguous = g->dw == 1 && cg == c;
	for (long r = r0; r < r1; r++) {
		float *dst = col + (r - r0) * kkc;
		long ix0 = ox * g->sw - g->pw;
		for (long ki = 0; ki < kh; ki++) {
			float *d = dst + ki * kc;
			long iy = oy * g->sh - g->ph + ki * g->dh;
			if (iy < 0 || iy >= h) {
				for (long i = 0; i < kc; i++) d[i] = 0;
				continue;
			}
			const float *xr = x + (n * h + iy) * w * c + coff;
			if (contiguous) {
				// One run of kw·c values, zero where it leaves the row.
				long kj0 = ix0 < 0 ? -ix0 : 0;
				long kj1 = w - ix0 < kw ? w - ix0 : kw;
				if (kj0 >= kj1) {
					for (long i = 0; i < kc; i++) d[i] = 0;
					continue;
				}
				for (long i = 0; i < kj0 * c; i++) d[i] = 0;
				copy_or_zero(d + kj0 * c, xr + (ix0 + kj0) * c, (kj1 - kj0) * c);
				for (long i = kj1 * c; i < kc; i++) d[i] = 0;
				continue;
			}
			for (long kj = 0; kj < kw; kj++) {
				long ix = ix0 + kj * g->dw;
				copy_or_zero(d + kj * cg, ix < 0 || ix >= w ? 0 : xr + ix * c, cg);
			}
		}
		if (++ox == ow) {
			ox = 0;
			if (++oy == oh) {
				oy = 0;
				n++;
			}
		}
	}
}
*/
import "C"

import "unsafe"

// haveCKernels says the vectorized C kernels are compiled in.
const haveCKernels = true

func cf(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func cwin(g *window) *C.ik_win { return (*C.ik_win)(unsafe.Pointer(g)) }

// softmaxRows replaces each of rows rows of n values (stride ld) with its softmax.
func softmaxRows(s []float32, rows, n, ld int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = s[(rows-1)*ld+n-1]
	C.ik_softmax_rows(cf(s), C.long(rows), C.long(n), C.long(ld))
}

// layerNormRows normalizes rows rows of d values of x into y, then scales by
// g and shifts by b (b may be nil).
func layerNormRows(x, y []float32, rows, d int, g, b []float32, eps float32) {
	if rows <= 0 || d <= 0 {
		return
	}
	_, _, _ = x[rows*d-1], y[rows*d-1], g[d-1]
	if b != nil {
		_ = b[d-1]
	}
	C.ik_layernorm(cf(x), cf(y), C.long(rows), C.long(d), cf(g), cf(b), C.float(eps))
}

// reduceRows writes the mean (or the maximum) of each of rows [r0, r1) of n values of x into y.
func reduceRows(x, y []float32, n, r0, r1 int, isMax bool) {
	if r1 <= r0 || n <= 0 {
		return
	}
	_, _ = x[r1*n-1], y[r1-1]
	m := C.int(0)
	if isMax {
		m = 1
	}
	C.ik_reduce_rows(cf(x), cf(y), C.long(n), C.long(r0), C.long(r1), m)
}

// im2col writes rows [r0, r1) of the im2col matrix of NHWC x, for the cg
// channels from coff, into col.
func im2col(col, x []float32, g *window, coff, cg, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	_ = col[(r1-r0)*g.kh*g.kw*cg-1]
	_ = x[(r1-1)/(g.oh*g.ow)*g.h*g.w*g.c+g.h*g.w*g.c-1]
	C.ik_im2col(cf(col), cf(x), cwin(g), C.long(coff), C.long(cg), C.long(r0), C.long(r1))
}
