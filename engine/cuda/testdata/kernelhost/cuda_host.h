// Just enough of CUDA's device dialect for g++ to compile kernels.cu for the
// host test harness (host.cc). Blocks run one after another; a block's
// threads run as fibers on one OS thread, so __shared__ (static storage) is
// shared by exactly the threads of the running block, and __syncthreads()
// switches to the next thread until all of them have reached it.
#ifndef INFERTOP_CUDA_HOST_H
#define INFERTOP_CUDA_HOST_H

#include <math.h>
#include <string.h>

struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
};

// Set by the harness before each thread runs or resumes.
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

void infertop_host_syncthreads();

struct float4 {
    float x, y, z, w;
};
struct int4 {
    int x, y, z, w;
};

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
#define __syncthreads() infertop_host_syncthreads()

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __uint_as_float(unsigned int u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
inline unsigned int __float_as_uint(float f) {
    unsigned int u;
    memcpy(&u, &f, sizeof u);
    return u;
}

#endif
