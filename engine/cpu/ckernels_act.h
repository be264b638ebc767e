// The activations of the epilogues, the transcendental ones without a
// division (see ckernels_act.go),
// written once and instantiated once per instruction set: the including
// file defines
//
//   AC_VT, AC_VI  the float and int32 vector types of AC_VL lanes
//   AC_VL         floats per vector (16 or 8)
//   AC_RCP(d)     an estimate of 1/d, good to at least 11 bits
//   AC_MAX(a, b)  the lane-wise maximum, b where either is NaN
//   AC_MIN(a, b)  the lane-wise minimum, b where either is NaN
//   AC_ATTR       the attributes of the row function (its target)
//   AC_HELPER     the attributes of its helpers (IK_INLINE, with the target)
//   AC_NAME(s)    the names of the row function and its helpers
//
// and includes this file, which undefines them again.

// 1/d to about 23 bits: the estimate and one Newton step.
AC_HELPER AC_VT AC_NAME(recip)(AC_VT d) {
	AC_VT r = AC_RCP(d);
	return r + r * (1.0f - d * r);
}

// e^x for x ≤ 88: x = n·ln2 + r, n rounded to the nearest integer by adding
// 1.5·2^23, and Cephes's degree-5 polynomial for e^r. x below −87 counts as
// −87 (e^−87 is a normal float, so no result is a slow denormal); NaN stays NaN.
AC_HELPER AC_VT AC_NAME(exp)(AC_VT x) {
	x = AC_MAX((AC_VT){0} - 87.0f, x);
	AC_VT t = x * 1.44269504088896341f + 12582912.0f;
	AC_VT fx = t - 12582912.0f;
	x = x - fx * 0.693359375f - fx * -2.12194440e-4f;
	AC_VT z = x * x;
	AC_VT p = ((((1.9875691500e-4f * x + 1.3981999507e-3f) * x + 8.3334519073e-3f) * x + 4.1665795894e-2f) * x + 1.6666665459e-1f) * x + 5.0000001201e-1f;
	p = p * z + x + 1.0f;
	return p * (AC_VT)(((AC_VI)t - 0x4B400000 + 127) << 23);
}

AC_HELPER AC_VT AC_NAME(absv)(AC_VT x) { return (AC_VT)((AC_VI)x & 0x7fffffff); }

// sigmoid(x) = 1/(1 + e^−x), e^−x at most e^88 (sigmoid(−88) < 1e−38).
AC_HELPER AC_VT AC_NAME(sigmoid)(AC_VT x) {
	return AC_NAME(recip)(1.0f + AC_NAME(exp)(AC_MIN((AC_VT){0} + 88.0f, -x)));
}

// tanh(x) = sign(x)·(1 − 2e/(1 + e)) with e = e^−2|x|: exactly ±1 where e
// is negligible, whatever the reciprocal's last bit.
AC_HELPER AC_VT AC_NAME(tanh)(AC_VT x) {
	AC_VI sign = (AC_VI)x & (int32_t)0x80000000u;
	AC_VT e = AC_NAME(exp)(-2.0f * AC_NAME(absv)(x));
	AC_VT t = 1.0f - 2.0f * e * AC_NAME(recip)(1.0f + e);
	return (AC_VT)((AC_VI)t | sign);
}

// Exact-erf GELU, erf by Abramowitz & Stegun 7.1.26 as v8_gelu.
AC_HELPER AC_VT AC_NAME(gelu)(AC_VT x) {
	AC_VT u = x * 0.70710678118654752f;
	AC_VI sign = (AC_VI)u & (int32_t)0x80000000u;
	AC_VT a = AC_NAME(absv)(u);
	AC_VT t = AC_NAME(recip)(1.0f + 0.3275911f * a);
	AC_VT poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
	AC_VT erfa = 1.0f - poly * AC_NAME(exp)(-a * a);
	return 0.5f * x * (1.0f + (AC_VT)((AC_VI)erfa | sign));
}

// x where the sign bit of s is clear, y where it is set.
AC_HELPER AC_VT AC_NAME(signsel)(AC_VT s, AC_VT x, AC_VT y) {
	AC_VI neg = (AC_VI)s >> 31;
	return (AC_VT)(((AC_VI)y & neg) | ((AC_VI)x & ~neg));
}

// act(v) for one of the IK_ activations; p0 and p1 are its parameters. NaN
// stays NaN, as in the Go kernels.
AC_HELPER AC_VT AC_NAME(act)(AC_VT v, const int act, float p0, float p1) {
	const AC_VT zero = {0}, one = zero + 1.0f;
	switch (act) {
	case IK_RELU:
		return AC_MAX(zero, v);
	case IK_GELU:
		return AC_NAME(gelu)(v);
	case IK_GELU_TANH:
		return 0.5f * v * (1.0f + AC_NAME(tanh)(0.7978845608028654f * (v + 0.044715f * v * v * v)));
	case IK_SIGMOID:
		return AC_NAME(sigmoid)(v);
	case IK_TANH:
		return AC_NAME(tanh)(v);
	case IK_CLIP:
		return AC_MIN(zero + p1, AC_MAX(zero + p0, v));
	case IK_LEAKY_RELU:
		return AC_NAME(signsel)(v, v, v * p0);
	case IK_HARD_SIGMOID:
		return AC_MIN(one, AC_MAX(zero, v * p0 + p1));
	case IK_HARD_SWISH:
		return v * AC_MIN(one, AC_MAX(zero, v * (1.0f / 6.0f) + 0.5f));
	case IK_SWISH:
		return v * AC_NAME(sigmoid)(v);
	}
	return v;
}

// One row: yy = act(xx + rr) (rr may be null); act is a constant where it is inlined.
AC_HELPER void AC_NAME(row)(float *yy, const float *xx, const float *rr, long n, const int act, float p0, float p1) {
	long j = 0;
	for (; j + AC_VL <= n; j += AC_VL) {
		AC_VT v, q = {0};
		memcpy(&v, xx + j, sizeof v);
		if (rr) memcpy(&q, rr + j, sizeof q);
		v = AC_NAME(act)(v + q, act, p0, p1);
		memcpy(yy + j, &v, sizeof v);
	}
	if (j < n) {
		long m = n - j;
		AC_VT v = {0}, q = {0};
		memcpy(&v, xx + j, m * sizeof(float));
		if (rr) memcpy(&q, rr + j, m * sizeof(float));
		v = AC_NAME(act)(v + q, act, p0, p1);
		memcpy(yy + j, &v, m * sizeof(float));
	}
}

// y[i][j] = act(x[i][j] + r[i][j]) for i < rows, j < n (r may be null; x may be y).
static __attribute__((unused)) AC_ATTR void AC_NAME(ik_act)(float *y, long ldy, const float *x, long ldx,
		const float *r, long ldr, long rows, long n, int act, float p0, float p1) {
#define AC_CASE(A) \
	case A: \
		for (long i = 0; i < rows; i++) AC_NAME(row)(y + i * ldy, x + i * ldx, r ? r + i * ldr : 0, n, A, p0, p1); \
		break;
	switch (act) {
	AC_CASE(IK_NONE)
	AC_CASE(IK_RELU)
	AC_CASE(IK_GELU)
	AC_CASE(IK_GELU_TANH)
	AC_CASE(IK_SIGMOID)
	AC_CASE(IK_TANH)
	AC_CASE(IK_CLIP)
	AC_CASE(IK_LEAKY_RELU)
	AC_CASE(IK_HARD_SIGMOID)
	AC_CASE(IK_HARD_SWISH)
	AC_CASE(IK_SWISH)
	}
#undef AC_CASE
}

#undef AC_VT
#undef AC_VI
#undef AC_VL
#undef AC_RCP
#undef AC_MAX
#undef AC_MIN
#undef AC_ATTR
#undef AC_HELPER
#undef AC_NAME
