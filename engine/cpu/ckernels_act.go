//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// The activations of the epilogues for AVX-512 and for AVX2+FMA, one source
// (ckernels_act.h) built for each, the transcendental ones (sigmoid, SiLU,
// tanh, GELU) with the reciprocal from the CPU's estimate and a Newton step
// instead of a division. A CPU without AVX2 takes ik_act.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#include "ckernels_act512.h"
#include "ckernels_act256.h"
#define IK_HAVE_ACT_ISA 1
#else
#define IK_HAVE_ACT_ISA 0
#endif

void ik_act(float *y, long ldy, const float *x, long ldx, const float *r, long ldr, long rows, long n,
		int act, float p0, float p1);

// ik_act_rows is ik_act with the build for instruction set isa (an IK_ISA_
// code, at most what the CPU runs).
static void ik_act_rows(int isa, float *y, long ldy, const float *x, long ldx, const float *r, long ldr, long rows,
		long n, int act, float p0, float p1) {
#if IK_HAVE_ACT_ISA
	if (isa == IK_ISA_AVX512) {
		ik_act_avx512(y, ldy, x, ldx, r, ldr, rows, n, act, p0, p1);
		return;
	}
	if (isa == IK_ISA_AVX2) {
		ik_act_avx2(y, ldy, x, ldx, r, ldr, rows, n, act, p0, p1);
		return;
	}
#endif
	ik_act(y, ldy, x, ldx, r, ldr, rows, n, act, p0, p1);
}
*/
import "C"

// actRows sets y = act(x + r) over rows × n values (row strides ldy, ldx and
// ldr; r may be nil, x may be y), with the kernels of instruction set s (at
// most cpuISA; isaNone and isaBaseline take the generic build).
func actRows(s isa, y []float32, ldy int, x []float32, ldx int, r []float32, ldr, rows, n int, a act) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = y[(rows-1)*ldy+n-1], x[(rows-1)*ldx+n-1]
	if r != nil {
		_ = r[(rows-1)*ldr+n-1]
	}
	C.ik_act_rows(C.int(s), cf(y), C.long(ldy), cf(x), C.long(ldx), cf(r), C.long(ldr), C.long(rows), C.long(n),
		C.int(a.kind), C.float(a.p0), C.float(a.p1))
}
