// The activations of ckernels_act.h built for AVX2+FMA (names ending _avx2),
// for a cgo preamble that has v8f and v8i (ckernels.h) and <immintrin.h>.
#define AC_VT v8f
#define AC_VI v8i
#define AC_VL 8
#define AC_RCP(d) ((v8f)_mm256_rcp_ps((__m256)(d)))
#define AC_MAX(a, b) ((v8f)_mm256_max_ps((__m256)(a), (__m256)(b)))
#define AC_MIN(a, b) ((v8f)_mm256_min_ps((__m256)(a), (__m256)(b)))
#define AC_ATTR __attribute__((target("arch=x86-64-v3")))
#define AC_HELPER IK_INLINE __attribute__((target("arch=x86-64-v3")))
#define AC_NAME(s) s##_avx2
#include "ckernels_act.h"
