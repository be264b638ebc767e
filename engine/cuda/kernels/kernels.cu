// infertop's CUDA kernels. Compiled to PTX (see ../kernels.go, go generate) and
// JIT-compiled by the driver for the card. Every parameter is 64-bit wide
// (pointers, long long, double) because gorgonia.org/cu passes each kernel
// argument as 8 bytes; sizes arrive as long long and are narrowed here.
//
// Index math. 64-bit integer division and modulo are long emulated sequences
// on NVIDIA GPUs, so no kernel divides a 64-bit value. The launch grid carries
// the outer indices (plane, channel, sample: blockIdx.x/y/z), each dimension in
// a grid-stride loop so any grid covers any size; those loop counters are
// 64-bit where they grow with the batch, and only ever added and multiplied.
// Indices inside one row or plane are 32-bit (unsigned int): the plan checks
// on the host that every such size is below 2^31 (plan_layers.go, fits32).
// Row kernels (layer norm, softmax) use one block of BLOCK threads per row.

#define BLOCK 256

extern "C" {

// act: 0 none, 1 ReLU, 2 GELU (exact, erf).
__device__ __forceinline__ float infertop_act(float v, long long act) {
    if (act == 1) return v > 0.0f ? v : 0.0f;
    if (act == 2) return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    return v;
}

// Row-major x [rows, cols] → y = act(x + b[col]); b may be null (no bias); x may
// equal y. Block (bx, by): threadIdx.x walks columns, threadIdx.y rows; grid.x
// covers columns, grid.y rows. cols < 2^31.
__global__ void infertop_bias_act(const float* x, float* y, const float* b, long long rows,
                                  long long cols, long long act) {
    const unsigned int nc = (unsigned int)cols;
    const unsigned long long nr = (unsigned long long)rows;
    const unsigned long long rstep = (unsigned long long)gridDim.y * blockDim.y;
    for (unsigned int j = blockIdx.x * blockDim.x + threadIdx.x; j < nc; j += gridDim.x * blockDim.x) {
        const float bj = b ? b[j] : 0.0f;
        for (unsigned long long r = (unsigned long long)blockIdx.y * blockDim.y + threadIdx.y; r < nr;
             r += rstep) {
            const unsigned long long i = r * nc + j;
            float v = x[i];
            if (b) v += bj;
            y[i] = infertop_act(v, act);
        }
    }
}

// x [n, channels, inner] (a convolution's NCHW output, inner = H·W) →
// y = act(x + b[channel]); x may equal y. Grid: x covers inner, y channels,
// z samples; block (BLOCK). channels, inner < 2^31.
__global__ void infertop_bias_act_planes(const float* x, float* y, const float* b, long long n,
                                         long long channels, long long inner, long long act) {
    const unsigned int ni = (unsigned int)inner, nch = (unsigned int)channels;
    const unsigned long long ns = (unsigned long long)n;
    const unsigned long long sample = (unsigned long long)nch * ni;
    for (unsigned int e = blockIdx.x * blockDim.x + threadIdx.x; e < ni; e += gridDim.x * blockDim.x) {
        for (unsigned int c = blockIdx.y; c < nch; c += gridDim.y) {
            const float bc = b[c];
            const unsigned long long off = (unsigned long long)c * ni + e;
            for (unsigned long long s = blockIdx.z; s < ns; s += gridDim.z) {
                const unsigned long long i = s * sample + off;
                y[i] = infertop_act(x[i] + bc, act);
            }
        }
    }
}

// Block-wide sum of v over BLOCK threads; every thread gets the result.
__device__ float infertop_block_sum(float v, float* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (unsigned int s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

__device__ float infertop_block_max(float v, float* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (unsigned int s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] = fmaxf(sh[threadIdx.x], sh[threadIdx.x + s]);
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

// Layer norm over the last dimension: y = (x - mean) / sqrt(var + eps) * g + b,
// biased variance (PyTorch). One block of BLOCK threads per row; cols < 2^31.
__global__ void infertop_layernorm(const float* x, float* y, const float* g, const float* b,
                                   long long rows, long long cols, double eps) {
    __shared__ float sh[BLOCK];
    const unsigned int nc = (unsigned int)cols;
    for (unsigned long long r = blockIdx.x; r < (unsigned long long)rows; r += gridDim.x) {
        const float* xr = x + r * nc;
        float* yr = y + r * nc;
        float s = 0.0f;
        for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) s += xr[j];
        float mean = infertop_block_sum(s, sh) / (float)nc;
        float q = 0.0f;
        for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) {
            float d = xr[j] - mean;
            q += d * d;
        }
        float var = infertop_block_sum(q, sh) / (float)nc;
        float inv = rsqrtf(var + (float)eps);
        for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) yr[j] = (xr[j] - mean) * inv * g[j] + b[j];
    }
}

// In-place softmax of each row of x scaled by scale. One block per row; cols < 2^31.
__global__ void infertop_softmax_rows(float* x, long long rows, long long cols, double scale) {
    __shared__ float sh[BLOCK];
    const float sc = (float)scale;
    const unsigned int nc = (unsigned int)cols;
    for (unsigned long long r = blockIdx.x; r < (unsigned long long)rows; r += gridDim.x) {
        float* xr = x + r * nc;
        float m = -3.402823466e38f;
        for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) m = fmaxf(m, xr[j] * sc);
        m = infertop_block_max(m, sh);
        float s = 0.0f;
        for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) {
            float e = expf(xr[j] * sc - m);
            xr[j] = e;
            s += e;
        }
        s = infertop_block_sum(s, sh);
        float inv = 1.0f / s;
        for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) xr[j] *= inv;
    }
}

// im2col over NCHW x, planes = n·c planes of h×w, into col [n, c·k·k, oh·ow]
// (row (ci, ky, kx), column (oy, ox)); zero outside the padded image. Plane
// pl = s·c + ci of x becomes rows pl·k·k … pl·k·k + k·k − 1 of col, so the
// sample and channel never need to be told apart. One thread per (plane,
// output pixel) writes that pixel's k·k column entries: one 32-bit division
// per thread, none per element. Grid: x covers planes, y output pixels; block
// (BLOCK). h·w, k·k·oh·ow and oh·stride + k < 2^31.
__global__ void infertop_im2col(const float* x, float* col, long long planes, long long h, long long w,
                                long long k, long long stride, long long pad, long long oh, long long ow) {
    const unsigned int H = (unsigned int)h, W = (unsigned int)w, K = (unsigned int)k;
    const unsigned int OW = (unsigned int)ow, P = (unsigned int)(oh * ow);
    const unsigned int S = (unsigned int)stride;
    const int PAD = (int)pad;
    const unsigned long long np = (unsigned long long)planes;
    const unsigned long long xplane = (unsigned long long)H * W, cplane = (unsigned long long)K * K * P;
    for (unsigned int pix = blockIdx.y * blockDim.x + threadIdx.x; pix < P; pix += gridDim.y * blockDim.x) {
        const unsigned int oy = pix / OW, ox = pix - oy * OW;
        const int iy0 = (int)(oy * S) - PAD, ix0 = (int)(ox * S) - PAD;
        for (unsigned long long pl = blockIdx.x; pl < np; pl += gridDim.x) {
            const float* xp = x + pl * xplane;
            float* cp = col + pl * cplane + pix;
            for (unsigned int ky = 0; ky < K; ky++) {
                const int iy = iy0 + (int)ky;
                const bool rowIn = iy >= 0 && iy < (int)H;
                for (unsigned int kx = 0; kx < K; kx++) {
                    const int ix = ix0 + (int)kx;
                    float v = 0.0f;
                    if (rowIn && ix >= 0 && ix < (int)W) v = xp[(unsigned int)iy * W + (unsigned int)ix];
                    cp[(ky * K + kx) * P] = v;
                }
            }
        }
    }
}

// 2x2 max pooling, stride 2 (floor), over planes h×w into oh×ow. Grid: x
// covers planes, y output pixels; block (BLOCK). h·w < 2^31.
__global__ void infertop_maxpool2(const float* x, float* y, long long planes, long long h, long long w,
                                  long long oh, long long ow) {
    const unsigned int W = (unsigned int)w, OW = (unsigned int)ow, P = (unsigned int)(oh * ow);
    const unsigned long long np = (unsigned long long)planes, xplane = (unsigned long long)h * W;
    for (unsigned int pix = blockIdx.y * blockDim.x + threadIdx.x; pix < P; pix += gridDim.y * blockDim.x) {
        const unsigned int oy = pix / OW, ox = pix - oy * OW;
        const unsigned int at = 2 * oy * W + 2 * ox;
        for (unsigned long long pl = blockIdx.x; pl < np; pl += gridDim.x) {
            const float* src = x + pl * xplane + at;
            y[pl * P + pix] = fmaxf(fmaxf(src[0], src[1]), fmaxf(src[W], src[W + 1]));
        }
    }
}

// Global average pool: y[i] = mean of plane i (hw values), for nc planes. hw < 2^31.
__global__ void infertop_avgpool(const float* x, float* y, long long nc, long long hw) {
    const unsigned int n = (unsigned int)hw;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
         i < (unsigned long long)nc; i += (unsigned long long)gridDim.x * blockDim.x) {
        const float* src = x + i * n;
        float s = 0.0f;
        for (unsigned int j = 0; j < n; j++) s += src[j];
        y[i] = s / (float)n;
    }
}

// y = a + b, then ReLU when relu is 1. No index math beyond the loop counter.
__global__ void infertop_residual_add(const float* a, const float* b, float* y, long long total,
                                      long long relu) {
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
         i < (unsigned long long)total; i += (unsigned long long)gridDim.x * blockDim.x) {
        float v = a[i] + b[i];
        if (relu == 1 && v < 0.0f) v = 0.0f;
        y[i] = v;
    }
}

}  // extern "C"
