// Shared by the cgo preambles of the CPU engine's C kernels.
#ifndef INFERTOP_CKERNELS_H
#define INFERTOP_CKERNELS_H

#include <stdint.h>

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

#endif
