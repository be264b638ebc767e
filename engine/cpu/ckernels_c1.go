//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// The direct single-channel convolution for AVX-512 and AVX2+FMA, one
// source (ckernels_c1.h) built for each: tiles of two vectors of output
// pixels × up to 8 (AVX-512) or 6 (AVX2) output channels, so that each
// input vector loaded feeds that many multiply-adds. The generic kernel,
// ik_conv_c1, computes one output channel at a time and loads the input
// again for each.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
typedef float v16f __attribute__((vector_size(64)));
typedef float v16fu __attribute__((vector_size(64), aligned(4)));
// How a tile of 16 pixels × no ≤ 8 channels (no vectors, one a channel)
// becomes no vectors of channels-last output: lane e of output vector m takes
// lane idx[m][e] of channel vector o where mask[m][o] has bit e.
typedef struct {
	__m512i idx[8];
	__mmask16 mask[8][8];
} c1_perm;

static __attribute__((target("arch=x86-64-v4"))) void c1_perm_init(c1_perm *pm, long no) {
	memset(pm, 0, sizeof *pm);
	for (long m = 0; m < no; m++) {
		int32_t ix[16];
		for (long e = 0; e < 16; e++) {
			long f = m * 16 + e;
			ix[e] = (int32_t)(f / no);
			pm->mask[m][f % no] |= (__mmask16)(1u << e);
		}
		pm->idx[m] = _mm512_loadu_si512(ix);
	}
}

#define C1_VT v16f
#define C1_VU v16fu
#define C1_VL 16
#define C1_NO 8
#define C1_ATTR static __attribute__((target("arch=x86-64-v4")))
#define C1_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))
#define C1_NAME(s) s##_avx512
#define C1_SCATTER(p, k, idx, v) _mm512_mask_i32scatter_ps((p), (k), (idx), (__m512)(v), 4)
#include "ckernels_c1.h"
#define C1_VT v8f
#define C1_VU v8fu
#define C1_VL 8
#define C1_NO 6
#define C1_ATTR static __attribute__((target("arch=x86-64-v3")))
#define C1_HELPER IK_INLINE __attribute__((target("arch=x86-64-v3")))
#define C1_NAME(s) s##_avx2
#include "ckernels_c1.h"
#define IK_HAVE_C1_ISA 1
#else
#define IK_HAVE_C1_ISA 0
#endif

void ik_conv_c1(const float *x, const float *wt, const float *b, float *y, float *buf, long h, long w, long k, long pad,
		long oh, long ow, long outc, long q0, long q1, int relu);

// ik_conv_c1_rows runs the ik_conv_c1 of instruction set isa (IK_ISA_AVX2 or
// IK_ISA_AVX512, at most what the CPU runs); it returns 0 where this build
// has neither.
static int ik_conv_c1_rows(int isa, const float *x, const float *wt, const float *b, float *y, float *buf, long h,
		long w, long k, long pad, long oh, long ow, long outc, long q0, long q1, int relu) {
#if IK_HAVE_C1_ISA
	if (isa == IK_ISA_AVX512) {
		ik_conv_c1_avx512(x, wt, b, y, buf, h, w, k, pad, oh, ow, outc, q0, q1, relu);
		return 1;
	}
	if (isa == IK_ISA_AVX2) {
		ik_conv_c1_avx2(x, wt, b, y, buf, h, w, k, pad, oh, ow, outc, q0, q1, relu);
		return 1;
	}
#endif
	return 0;
}
*/
import "C"

// convC1 runs the direct single-channel convolution for output image rows
// [q0, q1) (see goConvC1), with the kernel of instruction set s (the
// generic one below AVX2), ReLU applied when relu is set.
func convC1(s isa, x, w, b, y, buf []float32, g *window, outC, q0, q1 int, relu bool) {
	r := C.int(0)
	if relu {
		r = 1
	}
	if q1 <= q0 {
		return
	}
	_ = y[q1*g.ow*outC-1]
	_ = x[(q1-1)/g.oh*g.h*g.w+g.h*g.w-1]
	_ = w[outC*g.kh*g.kw-1]
	_ = b[outC-1]
	_ = buf[directScratch(g, outC)-1]
	if s >= isaAVX2 && C.ik_conv_c1_rows(C.int(s), cf(x), cf(w), cf(b), cf(y), cf(buf), C.long(g.h), C.long(g.w),
		C.long(g.kh), C.long(g.ph), C.long(g.oh), C.long(g.ow), C.long(outC), C.long(q0), C.long(q1), r) != 0 {
		return
	}
	C.ik_conv_c1(cf(x), cf(w), cf(b), cf(y), cf(buf), C.long(g.h), C.long(g.w), C.long(g.kh), C.long(g.ph),
		C.long(g.oh), C.long(g.ow), C.long(outC), C.long(q0), C.long(q1), r)
}
