//go:build cgo

package cpu

/*
#cgo CFLAGS: -O3 -Wno-psabi
#include "ckernels.h"

// Binary element-wise operations over a broadcast of up to four collapsed
// dimensions (see bcastPlan): y is dense [d0, d1, d2, n]; operand a's
// element (i0, i1, i2, j) is at i0·a0 + i1·a1 + i2·a2 + j·ai, with ai 0
// (broadcast) or 1, and b's likewise. Rows [r0, r1) of the d0·d1·d2 rows are
// computed. op: 0 add, 1 sub, 2 mul, 3 div.
#define IK_ROW(OP, AI, BI) \
	for (long j = 0; j < n; j++) yr[j] = ar[(AI) ? j : 0] OP br[(BI) ? j : 0];
#define IK_OP(OP) \
	if (ai && bi) { IK_ROW(OP, 1, 1) } else if (ai) { IK_ROW(OP, 1, 0) } else if (bi) { IK_ROW(OP, 0, 1) } else { IK_ROW(OP, 0, 0) }

IK_CLONES
void ik_binary(int op, float *y, const float *a, const float *b, const intptr_t *d, const intptr_t *sa, const intptr_t *sb,
		long n, long r0, long r1) {
	long d1 = d[1], d2 = d[2], ai = sa[3], bi = sb[3];
	long i2 = r0 % d2, t = r0 / d2, i1 = t % d1, i0 = t / d1;
	for (long r = r0; r < r1; r++) {
		const float *ar = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
		const float *br = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
		float *yr = y + r * n;
		switch (op) {
		case 0: IK_OP(+) break;
		case 1: IK_OP(-) break;
		case 2: IK_OP(*) break;
		default: IK_OP(/) break;
		}
		if (++i2 == d2) {
			i2 = 0;
			if (++i1 == d1) {
				i1 = 0;
				i0++;
			}
		}
	}
}

// y = x·s + t per channel: with cl the channel is the row's position j
// (channels-last rows of n = C values), else the row's channel r mod c
// (channels-first rows of n = H·W values). Rows [r0, r1).
IK_CLONES
void ik_affine(float *y, const float *x, const float *s, const float *t, long n, long c, int cl, long r0, long r1) {
	for (long r = r0; r < r1; r++) {
		float *yr = y + r * n;
		const float *xr = x + r * n;
		if (cl) {
			for (long j = 0; j < n; j++) yr[j] = xr[j] * s[j] + t[j];
		} else {
			float sc = s[r % c], sh = t[r % c];
			for (long j = 0; j < n; j++) yr[j] = xr[j] * sc + sh;
		}
	}
}
*/
import "C"

import "unsafe"

// binaryRows computes rows [r0, r1) of n values of a broadcast plan p (see
// ik_binary; n is p.d[3], or less for a part of a single row).
func binaryRows(p *bcastPlan, y, a, b []float32, n, r0, r1 int) {
	if r1 <= r0 || n <= 0 {
		return
	}
	_ = y[r1*n-1]
	C.ik_binary(C.int(p.op), cf(y), cf(a), cf(b), (*C.intptr_t)(unsafe.Pointer(&p.d[0])),
		(*C.intptr_t)(unsafe.Pointer(&p.sa[0])), (*C.intptr_t)(unsafe.Pointer(&p.sb[0])), C.long(n), C.long(r0), C.long(r1))
}

// affineRows computes y = x·s + t per channel over rows [r0, r1) of n values (see ik_affine).
func affineRows(y, x, s, t []float32, n, c int, cl bool, r0, r1 int) {
	if r1 <= r0 || n <= 0 {
		return
	}
	_, _ = y[r1*n-1], x[r1*n-1]
	_, _ = s[c-1], t[c-1]
	C.ik_affine(cf(y), cf(x), cf(s), cf(t), C.long(n), C.long(c), cbool(cl), C.long(r0), C.long(r1))
}
