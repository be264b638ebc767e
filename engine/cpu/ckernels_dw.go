//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// The depthwise convolution for AVX-512 and AVX2+FMA, one source
// (ckernels_dw.h) built for each: a tile of up to 8 output pixels × one
// vector of channels sums every tap in registers, starting from the bias,
// and is stored once; the epilogue (ckernels_act.h) then runs over the
// output row while it is in cache. The generic kernel, ik_dwconv, adds each
// tap to the output in memory, a load and a store per multiply-add.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#include "ckernels_act512.h"
#define DW_VT v16f
#define DW_VL 16
#define DW_MT __mmask16
#define DW_MASK(m) ((__mmask16)((1u << (m)) - 1))
#define DW_LOADM(p, k) ((v16f)_mm512_maskz_loadu_ps((k), (p)))
#define DW_STOREM(p, k, v) _mm512_mask_storeu_ps((p), (k), (__m512)(v))
#define DW_T 8
#define DW_ATTR __attribute__((target("arch=x86-64-v4")))
#define DW_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))
#define DW_NAME(s) s##_avx512
#define DW_ACT_ROWS ik_act_avx512
#include "ckernels_dw.h"

#include "ckernels_act256.h"
#define DW_VT v8f
#define DW_VL 8
#define DW_MT __m256i
#define DW_MASK(m) _mm256_cmpgt_epi32(_mm256_set1_epi32(m), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define DW_LOADM(p, k) ((v8f)_mm256_maskload_ps((p), (k)))
#define DW_STOREM(p, k, v) _mm256_maskstore_ps((p), (k), (__m256)(v))
#define DW_T 6
#define DW_ATTR __attribute__((target("arch=x86-64-v3")))
#define DW_HELPER IK_INLINE __attribute__((target("arch=x86-64-v3")))
#define DW_NAME(s) s##_avx2
#define DW_ACT_ROWS ik_act_avx2
#include "ckernels_dw.h"
#define IK_HAVE_DW_ISA 1
#else
#define IK_HAVE_DW_ISA 0
#endif

// ik_dw_rows runs ik_dw of instruction set isa (IK_ISA_AVX2 or IK_ISA_AVX512,
// at most what the CPU runs); it returns 0 where this build has neither.
static int ik_dw_rows(int isa, const float *x, const float *w, const float *b, const float *r, float *y,
		const ik_win *g, long q0, long q1, int act, float p0, float p1) {
#if IK_HAVE_DW_ISA
	if (isa == IK_ISA_AVX512) {
		ik_dw_avx512(x, w, b, r, y, g, q0, q1, act, p0, p1);
		return 1;
	}
	if (isa == IK_ISA_AVX2) {
		ik_dw_avx2(x, w, b, r, y, g, q0, q1, act, p0, p1);
		return 1;
	}
#endif
	return 0;
}
*/
import "C"

// dwConvAct computes output image rows [q0, q1) of a depthwise convolution
// (a multiplier of 1, w in [kh, kw, c]) with its epilogue: y = act(conv +
// b + r), b and r nil when absent, with the kernel of instruction set s;
// below AVX2, the generic kernel (dwConv without wr) and epilogueRows.
func dwConvAct(s isa, x, w, b, r, y []float32, g *window, q0, q1 int, a act) {
	if q1 <= q0 {
		return
	}
	n := q1 * g.ow * g.c
	_ = y[n-1]
	_ = x[(q1-1)/g.oh*g.h*g.w*g.c+g.h*g.w*g.c-1]
	_ = w[g.kh*g.kw*g.c-1]
	if b != nil {
		_ = b[g.c-1]
	}
	if r != nil {
		_ = r[n-1]
	}
	if s >= isaAVX2 && C.ik_dw_rows(C.int(s), cf(x), cf(w), cf(b), cf(r), cf(y), cwin(g), C.long(q0), C.long(q1),
		C.int(a.kind), C.float(a.p0), C.float(a.p1)) != 0 {
		return
	}
	dwConv(x, w, nil, b, y, g, q0, q1)
	m := q0 * g.ow * g.c
	if r != nil {
		r = r[m:n]
	}
	epilogueRows(s, y[m:n], (q1-q0)*g.ow, g.c, g.c, r, a)
}
