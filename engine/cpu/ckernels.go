//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#cgo LDFLAGS: -lm
#include <string.h>
#include "ckernels.h"

// The element-wise and data-movement kernels of the CPU engine, in C so that
// the compiler vectorizes them (Go does not), built twice on x86-64 (IK_CLONES).

// The transcendental kernels are written with GCC's vector extensions, eight
// floats at a time: written as scalar loops, the compiler would not vectorize
// them (clamps before float→int conversions defeat its if-conversion).
#define SPLAT(c) ((v8f){c, c, c, c, c, c, c, c})
#define SPLATI(c) ((v8i){c, c, c, c, c, c, c, c})

static inline v8f sel(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }

// e^x (Cephes expf: x = n·ln2 + r, degree-5 polynomial in r), for x ≤ 88.37;
// arguments below −87 give e^−87, a normal float, never a slow denormal.
static inline v8f v8_exp(v8f x) {
	x = sel(x > SPLAT(88.3762626647949f), SPLAT(88.3762626647949f), x);
	x = sel(x < SPLAT(-87.0f), SPLAT(-87.0f), x);
	v8f v = x * 1.44269504088896341f + 0.5f;
	v8i n = __builtin_convertvector(v, v8i); // truncates: make it a floor
	n += (v8i)(v < __builtin_convertvector(n, v8f));
	v8f fx = __builtin_convertvector(n, v8f);
	x = x - fx * 0.693359375f - fx * -2.12194440e-4f;
	v8f z = x * x;
	v8f y = ((((1.9875691500e-4f * x + 1.3981999507e-3f) * x + 8.3334519073e-3f) * x + 4.1665795894e-2f) * x + 1.6666665459e-1f) * x + 5.0000001201e-1f;
	y = y * z + x + 1.0f;
	return y * (v8f)((n + 127) << 23);
}

// Exact-erf GELU x/2·(1 + erf(x/√2)), erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
static inline v8f v8_gelu(v8f x) {
	v8f u = x * 0.70710678118654752f;
	v8i sign = (v8i)u & SPLATI((int32_t)0x80000000u);
	v8f a = (v8f)((v8i)u & SPLATI(0x7fffffff));
	v8f t = 1.0f / (1.0f + 0.3275911f * a);
	v8f poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
	v8f erfa = 1.0f - poly * v8_exp(-a * a);
	v8f erf = (v8f)((v8i)erfa | sign);
	return 0.5f * x * (1.0f + erf);
}

static inline void gelu_inplace(float *x, long n) {
	long j = 0;
	for (; j + 8 <= n; j += 8) {
		v8f v;
		memcpy(&v, x + j, sizeof v);
		v = v8_gelu(v);
		memcpy(x + j, &v, sizeof v);
	}
	if (j < n) {
		v8f v = SPLAT(0.0f);
		memcpy(&v, x + j, (n - j) * sizeof(float));
		v = v8_gelu(v);
		memcpy(x + j, &v, (n - j) * sizeof(float));
	}
}

// x = e^(x − m); returns the sum of the results.
static inline float exp_sub_sum(float *x, long n, float m) {
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

// y[i][j] = act(y[i][j] (+ r[i][j])) for i < rows, j < n; act 0 none, 1 ReLU, 2 GELU.
IK_CLONES
void ik_epilogue(float *y, long rows, long n, long ldy, const float *r, long ldr, int act) {
	for (long i = 0; i < rows; i++) {
		float *yy = y + i * ldy;
		const float *rr = r ? r + i * ldr : 0;
		if (rr) {
			for (long j = 0; j < n; j++) yy[j] += rr[j];
		}
		if (act == 1) {
			for (long j = 0; j < n; j++) yy[j] = yy[j] > 0 ? yy[j] : 0;
		} else if (act == 2) {
			gelu_inplace(yy, n);
		}
	}
}

// Reductions keep 8 partial results so that they vectorize without -ffast-math.
#define IK_LANES 8

static inline float ik_max(const float *x, long n) {
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

static inline float ik_sum(const float *x, long n) {
	float s[IK_LANES] = {0};
	long j = 0;
	for (; j + IK_LANES <= n; j += IK_LANES)
		for (int l = 0; l < IK_LANES; l++) s[l] += x[j + l];
	float r = 0;
	for (int l = 0; l < IK_LANES; l++) r += s[l];
	for (; j < n; j++) r += x[j];
	return r;
}

static inline float ik_sqdev(const float *x, long n, float mean) {
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

// Layer normalization of rows rows of d values, then ·g + b.
IK_CLONES
void ik_layernorm(const float *x, float *y, long rows, long d, const float *g, const float *b, float eps) {
	for (long i = 0; i < rows; i++) {
		const float *xx = x + i * d;
		float *yy = y + i * d;
		float mean = ik_sum(xx, d) / (float)d;
		float ss = ik_sqdev(xx, d, mean);
		float inv = 1.0f / __builtin_sqrtf(ss / (float)d + eps);
		for (long j = 0; j < d; j++) yy[j] = (xx[j] - mean) * inv * g[j] + b[j];
	}
}

// Rows [r0, r1) of the im2col matrix of NHWC x: row r is output pixel
// (n, oy, ox), r = (n·oh + oy)·ow + ox, holding k·k·c values in (ki, kj, c) order.
IK_CLONES
void ik_im2col_nhwc(float *col, const float *x, long h, long w, long c, long k, long stride, long pad,
		long oh, long ow, long r0, long r1) {
	long kc = k * c, kkc = k * kc;
	long ox = r0 % ow, t = r0 / ow, oy = t % oh, n = t / oh;
	for (long r = r0; r < r1; r++) {
		float *dst = col + (r - r0) * kkc;
		long ix0 = ox * stride - pad;
		long kj0 = ix0 < 0 ? -ix0 : 0;
		long kj1 = w - ix0 < k ? w - ix0 : k;
		for (long ki = 0; ki < k; ki++) {
			float *d = dst + ki * kc;
			long iy = oy * stride - pad + ki;
			if (iy < 0 || iy >= h || kj0 >= kj1) {
				for (long i = 0; i < kc; i++) d[i] = 0;
				continue;
			}
			for (long i = 0; i < kj0 * c; i++) d[i] = 0;
			const float *src = x + ((n * h + iy) * w + ix0 + kj0) * c;
			long len = (kj1 - kj0) * c;
			float *dd = d + kj0 * c;
			if (len >= 32) {
				memcpy(dd, src, len * sizeof(float));
			} else {
				for (long i = 0; i < len; i++) dd[i] = src[i];
			}
			for (long i = kj1 * c; i < kc; i++) d[i] = 0;
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

// 2×2 max pooling, stride 2, of NHWC x for output rows [r0, r1), row = n·oh + i.
IK_CLONES
void ik_maxpool2_nhwc(const float *x, float *y, long h, long w, long c, long oh, long ow, long r0, long r1) {
	for (long r = r0; r < r1; r++) {
		long i = r % oh, n = r / oh;
		const float *top = x + (n * h + 2 * i) * w * c;
		const float *bot = top + w * c;
		float *dst = y + r * ow * c;
		for (long j = 0; j < ow; j++) {
			const float *a = top + 2 * j * c, *b = bot + 2 * j * c;
			float *d = dst + j * c;
			for (long q = 0; q < c; q++) {
				float m = a[q] > a[c + q] ? a[q] : a[c + q];
				float m2 = b[q] > b[c + q] ? b[q] : b[c + q];
				d[q] = m > m2 ? m : m2;
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

// epilogueRows applies act(y + r) to rows × n values of y (row stride ld; r has the same layout, or is nil).
func epilogueRows(y []float32, rows, n, ld int, r []float32, a act) {
	if rows <= 0 || n <= 0 || (r == nil && a == actNone) {
		return
	}
	_ = y[(rows-1)*ld+n-1]
	if r != nil {
		_ = r[(rows-1)*ld+n-1]
	}
	C.ik_epilogue(cf(y), C.long(rows), C.long(n), C.long(ld), cf(r), C.long(ld), C.int(a))
}

// softmaxRows replaces each of rows rows of n values (stride ld) with its softmax.
func softmaxRows(s []float32, rows, n, ld int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = s[(rows-1)*ld+n-1]
	C.ik_softmax_rows(cf(s), C.long(rows), C.long(n), C.long(ld))
}

// layerNormRows normalizes rows rows of d values of x into y, then scales by g and shifts by b.
func layerNormRows(x, y []float32, rows, d int, g, b []float32) {
	if rows <= 0 {
		return
	}
	_, _, _, _ = x[rows*d-1], y[rows*d-1], g[d-1], b[d-1]
	C.ik_layernorm(cf(x), cf(y), C.long(rows), C.long(d), cf(g), cf(b), C.float(layerNormEps))
}

// im2col writes rows [r0, r1) of the im2col matrix of NHWC x into col.
func im2col(col, x []float32, g *convGeom, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	_ = col[(r1-r0)*g.kkc-1]
	_ = x[len(x)-1]
	C.ik_im2col_nhwc(cf(col), cf(x), C.long(g.h), C.long(g.w), C.long(g.c), C.long(g.k), C.long(g.stride), C.long(g.pad),
		C.long(g.oh), C.long(g.ow), C.long(r0), C.long(r1))
}

// maxPoolRows pools output rows [r0, r1) (row = n·oh + i) of NHWC x into y.
func maxPoolRows(x, y []float32, h, w, c, oh, ow, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	_ = y[r1*ow*c-1]
	_ = x[((r1-1)/oh*h+2*((r1-1)%oh)+1)*w*c+2*ow*c-1]
	C.ik_maxpool2_nhwc(cf(x), cf(y), C.long(h), C.long(w), C.long(c), C.long(oh), C.long(ow), C.long(r0), C.long(r1))
}
