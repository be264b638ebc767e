// The activations of ckernels_act.h built for AVX-512 (names ending _avx512),
// for a cgo preamble that has typedef'd v16f and v16i and included
// <immintrin.h>.
#define AC_VT v16f
#define AC_VI v16i
#define AC_VL 16
#define AC_RCP(d) ((v16f)_mm512_rcp14_ps((__m512)(d)))
#define AC_MAX(a, b) ((v16f)_mm512_max_ps((__m512)(a), (__m512)(b)))
#define AC_MIN(a, b) ((v16f)_mm512_min_ps((__m512)(a), (__m512)(b)))
#define AC_ATTR __attribute__((target("arch=x86-64-v4")))
#define AC_HELPER IK_INLINE __attribute__((target("arch=x86-64-v4")))
#define AC_NAME(s) s##_avx512
#include "ckernels_act.h"
