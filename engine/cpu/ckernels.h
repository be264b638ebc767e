// Shared by the cgo preambles of the CPU engine's C kernels.
#ifndef INFERTOP_CKERNELS_H
#define INFERTOP_CKERNELS_H

#include <stdint.h>
#include <string.h>

// On x86-64 each kernel is built twice, for AVX2+FMA and for the baseline,
// and the loader picks one for the CPU.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IK_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define IK_CLONES
#endif

// GCC's vector extensions, eight floats at a time; v8fu may be unaligned.
typedef float v8f __attribute__((vector_size(32)));
typedef float v8fu __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32)));

// Every helper a cloned kernel calls must be IK_INLINE: one the compiler
// leaves out of line is built for the baseline only, and the AVX2 clone then
// calls it (exp_sub_sum alone made softmax four times slower that way).
#define IK_INLINE static inline __attribute__((always_inline))
#define SPLAT(c) ((v8f){c, c, c, c, c, c, c, c})
#define SPLATI(c) ((v8i){c, c, c, c, c, c, c, c})

// The geometry of a convolution's or a pool's window over NHWC input (window
// in Go, the same fields in the same order): input height, width and
// channels, kernel, strides, padding before (top, left), dilations, output
// height and width, padding after (bottom, right).
typedef struct {
	intptr_t h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, eh, ew;
} ik_win;

// The activations of the fused ops' epilogues (act in Go).
enum { IK_NONE, IK_RELU, IK_GELU, IK_GELU_TANH, IK_SIGMOID, IK_TANH, IK_CLIP, IK_LEAKY_RELU, IK_HARD_SIGMOID, IK_HARD_SWISH, IK_SWISH };

// The instruction sets of the kernels that come in several builds (isa in Go).
enum { IK_ISA_NONE, IK_ISA_BASELINE, IK_ISA_AVX2, IK_ISA_AVX512 };

IK_INLINE v8f sel(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }

// ik_rows_to_pixels writes outc rows of ow sums (acc, owp floats a row) as
// ow pixels of outc channels (dst, channels-last), with ReLU when relu is
// set: the store of the single-channel direct convolutions.
static inline void ik_rows_to_pixels(float *dst, const float *acc, long owp, long ow, long outc, int relu) {
	if (relu) {
		for (long j = 0; j < ow; j++)
			for (long o = 0; o < outc; o++) {
				float v = acc[o * owp + j];
				dst[j * outc + o] = v > 0 ? v : 0;
			}
	} else {
		for (long j = 0; j < ow; j++)
			for (long o = 0; o < outc; o++) dst[j * outc + o] = acc[o * owp + j];
	}
}

IK_INLINE v8f clamp8(v8f v, float lo, float hi) {
	v = sel(v < SPLAT(lo), SPLAT(lo), v);
	return sel(v > SPLAT(hi), SPLAT(hi), v);
}

// e^x (Cephes expf: x = n·ln2 + r, degree-5 polynomial in r), for x ≤ 88.37;
// arguments below −87 give e^−87, a normal float, never a slow denormal.
IK_INLINE v8f v8_exp(v8f x) {
	x = clamp8(x, -87.0f, 88.3762626647949f);
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
IK_INLINE v8f v8_gelu(v8f x) {
	v8f u = x * 0.70710678118654752f;
	v8i sign = (v8i)u & SPLATI((int32_t)0x80000000u);
	v8f a = (v8f)((v8i)u & SPLATI(0x7fffffff));
	v8f t = 1.0f / (1.0f + 0.3275911f * a);
	v8f poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
	v8f erfa = 1.0f - poly * v8_exp(-a * a);
	v8f erf = (v8f)((v8i)erfa | sign);
	return 0.5f * x * (1.0f + erf);
}

// tanh(x) = sign(x)·(1 − 2/(e^(2|x|) + 1)): absolute error about 1e-7.
IK_INLINE v8f v8_tanh(v8f x) {
	v8i sign = (v8i)x & SPLATI((int32_t)0x80000000u);
	v8f a = (v8f)((v8i)x & SPLATI(0x7fffffff));
	v8f t = 1.0f - 2.0f / (v8_exp(2.0f * a) + 1.0f);
	return (v8f)((v8i)t | sign);
}

IK_INLINE v8f v8_sigmoid(v8f x) { return 1.0f / (1.0f + v8_exp(-x)); }

// GELU with the tanh approximation: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
IK_INLINE v8f v8_gelu_tanh(v8f x) {
	v8f u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
	return 0.5f * x * (1.0f + v8_tanh(u));
}

// act(x) for one of the IK_ activations; p0 and p1 are its parameters.
IK_INLINE v8f v8_act(v8f v, int act, float p0, float p1) {
	switch (act) {
	case IK_RELU:
		return sel(v > SPLAT(0.0f), v, SPLAT(0.0f));
	case IK_GELU:
		return v8_gelu(v);
	case IK_GELU_TANH:
		return v8_gelu_tanh(v);
	case IK_SIGMOID:
		return v8_sigmoid(v);
	case IK_TANH:
		return v8_tanh(v);
	case IK_CLIP:
		return clamp8(v, p0, p1);
	case IK_LEAKY_RELU:
		return sel(v < SPLAT(0.0f), v * p0, v);
	case IK_HARD_SIGMOID:
		return clamp8(v * p0 + p1, 0.0f, 1.0f);
	case IK_HARD_SWISH:
		return v * clamp8(v * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
	case IK_SWISH:
		return v * v8_sigmoid(v);
	}
	return v;
}

#endif
