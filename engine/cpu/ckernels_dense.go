//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// The packed product kernel: y = act(x·Wᵀ + b + r) for a few rows of x, the
// weights packed once into panels of 16 output features (packDense), each
// panel contiguous and read front to back, so that the kernel streams the
// weights once per call whatever the row count. A tile of up to DN_MR rows ×
// 16 features accumulates in registers over all inputs; rows beyond a tile
// re-read the panel from cache, not from memory.
//
// Two builds of one source (ckernels_dense.h): for AVX-512, sixteen floats a
// vector, tiles of up to 16 rows (16 accumulators); and for AVX2 (and the
// baseline, IK_CLONES), eight floats a vector, tiles of up to 6 rows (12
// accumulators, 2 panel vectors and a broadcast fill 15 of 16 registers).

// ik_dense_tile_rows is how many rows the next tile takes of the left rows:
// the rows split as evenly as possible into tiles of at most mr.
IK_INLINE long dense_tile_rows(long left, long mr) {
	long tiles = (left + mr - 1) / mr;
	return (left + tiles - 1) / tiles;
}

// dense_pack_rows interleaves rows rows of x (ldx apart), k inputs each, tile
// by tile as dense_tile_rows cuts them: a tile of m rows is m·k floats,
// buf[kk·m + i] its row i's input kk.
IK_INLINE void dense_pack_rows(float *buf, const float *x, long ldx, long rows, long k, long mr) {
	for (long i0 = 0; i0 < rows;) {
		long m = dense_tile_rows(rows - i0, mr);
		for (long i = 0; i < m; i++) {
			const float *xi = x + (i0 + i) * ldx;
			for (long kk = 0; kk < k; kk++) buf[kk * m + i] = xi[kk];
		}
		buf += m * k;
		i0 += m;
	}
}

// dense_store writes a tile's sums t (mr rows, ts apart) to the nv ≤ 16
// columns of y it covers: y = act(t + b + r), b (the tile's bias) and r (its
// residual, ldy apart like y) null when absent.
IK_INLINE void dense_store(const float *t, long ts, long mr, long nv, float *y, long ldy, const float *b,
		const float *r, int act, float a0, float a1) {
	v8f bias[2] = {SPLAT(0.0f), SPLAT(0.0f)};
	if (b) memcpy(bias, b, nv * sizeof(float));
	for (long i = 0; i < mr; i++) {
		for (long h = 0; h < nv; h += 8) {
			long m = nv - h < 8 ? nv - h : 8;
			v8f v, q = SPLAT(0.0f);
			memcpy(&v, t + i * ts + h, sizeof v);
			if (r) memcpy(&q, r + i * ldy + h, m * sizeof(float));
			v = v8_act(v + bias[h / 8] + q, act, a0, a1);
			memcpy(y + i * ldy + h, &v, m * sizeof(float));
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
typedef float v16f __attribute__((vector_size(64)));
typedef float v16fu __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64)));
#include "ckernels_act512.h"

// dense_store for AVX-512: one masked vector of 16 lanes a row, the
// activation in 16 lanes without a division (ckernels_act.h).
IK_INLINE __attribute__((target("arch=x86-64-v4"))) void dense_store_avx512(const float *t, long ts, long mr,
		long nv, float *y, long ldy, const float *b, const float *r, int act, float a0, float a1) {
	const __mmask16 k = nv >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nv) - 1);
	const __m512 bias = b ? _mm512_maskz_loadu_ps(k, b) : _mm512_setzero_ps();
	for (long i = 0; i < mr; i++) {
		__m512 v = _mm512_add_ps(_mm512_loadu_ps(t + i * ts), bias);
		if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, r + i * ldy));
		_mm512_mask_storeu_ps(y + i * ldy, k, (__m512)act_avx512((v16f)v, act, a0, a1));
	}
}

#define DN_VT v16f
#define DN_VU v16fu
#define DN_VL 16
#define DN_MR 16
#define DN_KS(mr) ((mr) >= 8 ? 1 : (mr) >= 4 ? 2 : (mr) >= 2 ? 4 : 8)
#define DN_ATTR __attribute__((target("arch=x86-64-v4")))
#define DN_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))
#define DN_NAME(s) s##_avx512
#define DN_STORE dense_store_avx512
#include "ckernels_dense.h"
#define WD_VT v16f
#define WD_VU v16fu
#define WD_VL 16
#define WD_NVMAX 4
#define WD_MR(nv) ((nv) == 1 ? 16 : (nv) == 2 ? 12 : (nv) == 3 ? 8 : 6)
#define WD_ATTR __attribute__((target("arch=x86-64-v4")))
#define WD_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))
#define WD_NAME(s) s##_avx512
#define WD_STORE dense_store_avx512
#include "ckernels_wide.h"
#define IK_HAVE_AVX512 1
#else
#define IK_HAVE_AVX512 0
#endif

#define DN_VT v8f
#define DN_VU v8fu
#define DN_VL 8
#define DN_MR 6
#define DN_KS(mr) ((mr) >= 4 ? 1 : (mr) >= 2 ? 2 : 4)
#define DN_ATTR IK_CLONES
#define DN_HELPER IK_INLINE
#define DN_NAME(s) s##_avx2
#define DN_STORE dense_store
#include "ckernels_dense.h"
#define WD_VT v8f
#define WD_VU v8fu
#define WD_VL 8
#define WD_NVMAX 2
#define WD_MR(nv) 6
#define WD_ATTR IK_CLONES
#define WD_HELPER IK_INLINE
#define WD_NAME(s) s##_avx2
#define WD_STORE dense_store
#include "ckernels_wide.h"

// ik_dense_isa is the best instruction set this CPU runs the kernel with.
static int ik_dense_isa(void) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
	__builtin_cpu_init();
	if (IK_HAVE_AVX512 && __builtin_cpu_supports("x86-64-v4")) return IK_ISA_AVX512;
	if (__builtin_cpu_supports("x86-64-v3")) return IK_ISA_AVX2;
#endif
	return IK_ISA_BASELINE;
}

static void ik_dense_rows(int isa, const float *x, long ldx, const float *wp, const float *b, const float *r, float *y,
		long ldy, long rows, long k, long n, long p0, long p1, long group, float *xbuf, int act, float a0, float a1) {
#if IK_HAVE_AVX512
	if (isa == IK_ISA_AVX512) {
		ik_dense_avx512(x, ldx, wp, b, r, y, ldy, rows, k, n, p0, p1, group, xbuf, act, a0, a1);
		return;
	}
#endif
	ik_dense_avx2(x, ldx, wp, b, r, y, ldy, rows, k, n, p0, p1, group, xbuf, act, a0, a1);
}

static void ik_wide_rows(int isa, const float *x, long ldx, const float *wp, long width, const float *b,
		const float *r, float *y, long ldy, long rows, long k, long n, long p0, long p1, int act, float a0, float a1) {
#if IK_HAVE_AVX512
	if (isa == IK_ISA_AVX512) {
		ik_wide_avx512(x, ldx, wp, width, b, r, y, ldy, rows, k, n, p0, p1, act, a0, a1);
		return;
	}
#endif
	ik_wide_avx2(x, ldx, wp, width, b, r, y, ldy, rows, k, n, p0, p1, act, a0, a1);
}
*/
import "C"

// cpuISA is the best instruction set this CPU runs the packed kernel with.
func cpuISA() isa { return isa(C.ik_dense_isa()) }

// denseRows computes y = act(x·Wᵀ + b + r) for rows rows of x (k inputs,
// ldx apart) and the output features of panels [p0, p1) of wp (packDense's
// layout for n features), with instruction set s (at most cpuISA). y and r
// are ldy apart; b and r may be nil. xbuf holds min(rows, group)·k floats
// (the rows interleaved), group is how many rows share one pass over the
// panels (denseGroup).
func denseRows(s isa, x []float32, ldx int, wp, b, r, y []float32, ldy, rows, k, n, p0, p1, group int, xbuf []float32, a act) {
	if rows <= 0 || p1 <= p0 {
		return
	}
	c1 := min(p1*denseLanes, n)
	_, _, _ = x[(rows-1)*ldx+k-1], wp[p1*denseLanes*k-1], y[(rows-1)*ldy+c1-1]
	_ = xbuf[min(rows, group)*k-1]
	if b != nil {
		_ = b[c1-1]
	}
	if r != nil {
		_ = r[(rows-1)*ldy+c1-1]
	}
	C.ik_dense_rows(C.int(s), cf(x), C.long(ldx), cf(wp), cf(b), cf(r), cf(y), C.long(ldy), C.long(rows), C.long(k),
		C.long(n), C.long(p0), C.long(p1), C.long(group), cf(xbuf), C.int(a.kind), C.float(a.p0), C.float(a.p1))
}

// wideRows computes y = act(x·Wᵀ + b + r) for rows rows of x (k inputs,
// ldx apart, read in place) and the output features of panels [p0, p1) of
// wp (packWide's layout for n features, wideWidth(s, n) to a panel), with
// instruction set s (at most cpuISA). y and r are ldy apart; b and r may
// be nil.
func wideRows(s isa, x []float32, ldx int, wp, b, r, y []float32, ldy, rows, k, n, p0, p1 int, a act) {
	if rows <= 0 || p1 <= p0 {
		return
	}
	_, _, _ = x[(rows-1)*ldx+k-1], wp[wideFloats(s, n, k)-1], y[(rows-1)*ldy+n-1]
	if b != nil {
		_ = b[n-1]
	}
	if r != nil {
		_ = r[(rows-1)*ldy+n-1]
	}
	C.ik_wide_rows(C.int(s), cf(x), C.long(ldx), cf(wp), C.long(wideWidth(s, n)), cf(b), cf(r), cf(y), C.long(ldy),
		C.long(rows), C.long(k), C.long(n), C.long(p0), C.long(p1), C.int(a.kind), C.float(a.p0), C.float(a.p1))
}
