// infertop's CUDA kernels. Compiled to PTX (see ../kernels.go, go generate) and
// JIT-compiled by the driver for the card. Every parameter is 64-bit wide
// (pointers, long long, double) because gorgonia.org/cu passes each kernel
// argument as 8 bytes. Element-wise kernels use one thread per element in a
// grid-stride loop; row kernels use one block of 256 threads per row.

#define BLOCK 256

extern "C" {

// act: 0 none, 1 ReLU, 2 GELU (exact, erf).
__device__ __forceinline__ float infertop_act(float v, long long act) {
    if (act == 1) return v > 0.0f ? v : 0.0f;
    if (act == 2) return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    return v;
}

// y[i] = act(x[i] + b[(i / inner) % channels]); b may be null (no bias); x may equal y.
__global__ void infertop_bias_act(const float* x, float* y, const float* b,
                                  long long total, long long channels, long long inner, long long act) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        float v = x[i];
        if (b) v += b[(i / inner) % channels];
        y[i] = infertop_act(v, act);
    }
}

// Block-wide sum of v over BLOCK threads; every thread gets the result.
__device__ float infertop_block_sum(float v, float* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = BLOCK / 2; s > 0; s >>= 1) {
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
    for (int s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] = fmaxf(sh[threadIdx.x], sh[threadIdx.x + s]);
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

// Layer norm over the last dimension: y = (x - mean) / sqrt(var + eps) * g + b,
// biased variance (PyTorch). One block of BLOCK threads per row.
__global__ void infertop_layernorm(const float* x, float* y, const float* g, const float* b,
                                   long long rows, long long cols, double eps) {
    __shared__ float sh[BLOCK];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float s = 0.0f;
        for (long long j = threadIdx.x; j < cols; j += BLOCK) s += xr[j];
        float mean = infertop_block_sum(s, sh) / (float)cols;
        float q = 0.0f;
        for (long long j = threadIdx.x; j < cols; j += BLOCK) {
            float d = xr[j] - mean;
            q += d * d;
        }
        float var = infertop_block_sum(q, sh) / (float)cols;
        float inv = rsqrtf(var + (float)eps);
        for (long long j = threadIdx.x; j < cols; j += BLOCK) yr[j] = (xr[j] - mean) * inv * g[j] + b[j];
    }
}

// In-place softmax of each row of x scaled by scale. One block per row.
__global__ void infertop_softmax_rows(float* x, long long rows, long long cols, double scale) {
    __shared__ float sh[BLOCK];
    float sc = (float)scale;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        float* xr = x + r * cols;
        float m = -3.402823466e38f;
        for (long long j = threadIdx.x; j < cols; j += BLOCK) m = fmaxf(m, xr[j] * sc);
        m = infertop_block_max(m, sh);
        float s = 0.0f;
        for (long long j = threadIdx.x; j < cols; j += BLOCK) {
            float e = expf(xr[j] * sc - m);
            xr[j] = e;
            s += e;
        }
        s = infertop_block_sum(s, sh);
        float inv = 1.0f / s;
        for (long long j = threadIdx.x; j < cols; j += BLOCK) xr[j] *= inv;
    }
}

// im2col over NCHW x [n, c, h, w] into col [n, c*k*k, oh*ow] (row (ci, ky, kx),
// column (oy, ox)); zero outside the padded image.
__global__ void infertop_im2col(const float* x, float* col, long long n, long long c, long long h,
                                long long w, long long k, long long stride, long long pad,
                                long long oh, long long ow) {
    long long p = oh * ow, ckk = c * k * k, total = n * ckk * p;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        long long pix = i % p, row = (i / p) % ckk, s = i / (p * ckk);
        long long ox = pix % ow, oy = pix / ow;
        long long kx = row % k, ky = (row / k) % k, ci = row / (k * k);
        long long iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
        float v = 0.0f;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) v = x[((s * c + ci) * h + iy) * w + ix];
        col[i] = v;
    }
}

// 2x2 max pooling, stride 2 (floor) over nc planes of h×w into oh×ow.
__global__ void infertop_maxpool2(const float* x, float* y, long long nc, long long h, long long w,
                                  long long oh, long long ow) {
    long long total = nc * oh * ow;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        long long ox = i % ow, oy = (i / ow) % oh, pl = i / (oh * ow);
        const float* src = x + (pl * h + 2 * oy) * w + 2 * ox;
        y[i] = fmaxf(fmaxf(src[0], src[1]), fmaxf(src[w], src[w + 1]));
    }
}

// Global average pool: y[i] = mean of plane i (hw values), for nc planes.
__global__ void infertop_avgpool(const float* x, float* y, long long nc, long long hw) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < nc;
         i += (long long)gridDim.x * blockDim.x) {
        const float* src = x + i * hw;
        float s = 0.0f;
        for (long long j = 0; j < hw; j++) s += src[j];
        y[i] = s / (float)hw;
    }
}

// y = a + b, then ReLU when relu is 1.
__global__ void infertop_residual_add(const float* a, const float* b, float* y, long long total,
                                      long long relu) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        float v = a[i] + b[i];
        if (relu == 1 && v < 0.0f) v = 0.0f;
        y[i] = v;
    }
}

}  // extern "C"
