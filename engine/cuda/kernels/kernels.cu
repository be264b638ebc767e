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

// act: the codes of engine/cpu's IK_ activations: 0 none, 1 ReLU, 2 GELU
// (exact, erf), 3 GELU (tanh approximation), 4 sigmoid, 5 tanh, 6 clip to
// [p0, p1], 7 leaky ReLU (slope p0), 8 hard sigmoid max(0, min(1, p0·v + p1)),
// 9 hard swish v·max(0, min(1, v/6 + 1/2)), 10 swish (SiLU) v·sigmoid(v).
__device__ __forceinline__ float infertop_act(float v, long long act, float p0, float p1) {
    switch (act) {
    case 1: return v > 0.0f ? v : 0.0f;
    case 2: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case 3: return 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    case 4: return 1.0f / (1.0f + expf(-v));
    case 5: return tanhf(v);
    case 6: return fminf(fmaxf(v, p0), p1);
    case 7: return v < 0.0f ? v * p0 : v;
    case 8: return fminf(fmaxf(v * p0 + p1, 0.0f), 1.0f);
    case 9: return v * fminf(fmaxf(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
    case 10: return v / (1.0f + expf(-v));
    }
    return v;
}

// float32 → IEEE half bits (u is the float's bits), rounded to nearest even
// as __float2half_rn rounds: NaN stays a quiet NaN, 65520 and beyond become
// infinity, subnormal halves count units of 2^-24. Integer operations only,
// so that the host harness compiles it as the device does.
__device__ __forceinline__ unsigned short infertop_f2f16(unsigned int u) {
    const unsigned int sign = (u >> 16) & 0x8000u;
    const unsigned int a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);
    if (a >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);
    if (a >= 0x38800000u) {
        unsigned int m = a - 0x38000000u;
        m += 0xfffu + ((m >> 13) & 1u);
        return (unsigned short)(sign | (m >> 13));
    }
    if (a < 0x33000000u) return (unsigned short)sign;
    const unsigned int shift = 126u - (a >> 23);
    const unsigned int mant = (a & 0x7fffffu) | 0x800000u;
    unsigned int r = mant >> shift;
    const unsigned int rem = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (r & 1u))) r++;
    return (unsigned short)(sign | r);
}

// float32 → bfloat16 bits: the upper half, rounded to nearest even as
// __float2bfloat16_rn rounds; NaN stays a quiet NaN.
__device__ __forceinline__ unsigned short infertop_f2bf16(unsigned int u) {
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

// y[i] = x[i] in IEEE half precision (kind 1) or bfloat16 (kind 2), for the
// products of a reduced-precision plan (cuBLAS GemmEx reads y). Grid-stride
// over n values.
__global__ void infertop_to_half(const float* x, unsigned short* y, long long n, long long kind) {
    const unsigned long long total = (unsigned long long)n;
    const unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
        const unsigned int u = __float_as_uint(x[i]);
        y[i] = kind == 2 ? infertop_f2bf16(u) : infertop_f2f16(u);
    }
}

// The float32 value of IEEE half (kind 1) or bfloat16 (kind 2) bits h
// (a half-precision cuDNN convolution's output, read by its bias kernel).
__device__ __forceinline__ float infertop_half2f(unsigned int h, long long kind) {
    if (kind == 2) return __uint_as_float(h << 16);
    const unsigned int sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1fu) return __uint_as_float(sign | 0x7f800000u | (m << 13));
    if (e != 0) return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
    const float v = (float)m * (1.0f / 16777216.0f);
    return sign ? -v : v;
}

// y[i] = (float)x[i] for int64 x: a mask or ids turned into float32.
__global__ void infertop_cast_i64(const long long* x, float* y, long long n) {
    const unsigned long long total = (unsigned long long)n;
    const unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step)
        y[i] = (float)x[i];
}

// Embedding lookup: row r of y [rows, cols] is row idx[r] of table [vocab,
// cols]; a negative index counts from the end (ONNX's Gather), and an
// index outside [-vocab, vocab), which the CPU engine refuses, gives a row
// of zeros. x walks a row's values, y the indices (grid-stride). cols < 2^31.
__global__ void infertop_gather_rows(const float* table, const long long* idx, float* y, long long rows,
                                     long long cols, long long vocab) {
    const unsigned int nc = (unsigned int)cols;
    const unsigned long long nr = (unsigned long long)rows;
    for (unsigned long long r = blockIdx.y; r < nr; r += gridDim.y) {
        long long k = idx[r];
        if (k < 0) k += vocab;
        const bool ok = k >= 0 && k < vocab;
        for (unsigned int j = blockIdx.x * blockDim.x + threadIdx.x; j < nc; j += gridDim.x * blockDim.x)
            y[r * nc + j] = ok ? table[(unsigned long long)k * nc + j] : 0.0f;
    }
}

// Gather along any axis: y [outer, nidx, inner] takes row idx[j] of x
// [outer, axis, inner] for every j, values counted in 32-bit words (an
// int64 value is two). A negative index counts from the end; one outside
// [-axis, axis), which the CPU engine refuses, gives zeros. x walks inner,
// y the indices, z the outer rows (grid-stride). inner < 2^31.
__global__ void infertop_gather(const float* x, const long long* idx, float* y, long long outer, long long axis,
                                long long nidx, long long inner) {
    const unsigned int ni = (unsigned int)inner;
    const unsigned long long no = (unsigned long long)outer, nj = (unsigned long long)nidx;
    for (unsigned long long o = blockIdx.z; o < no; o += gridDim.z)
        for (unsigned long long j = blockIdx.y; j < nj; j += gridDim.y) {
            long long k = idx[j];
            if (k < 0) k += axis;
            const bool ok = k >= 0 && k < axis;
            const float* src = x + (o * (unsigned long long)axis + (unsigned long long)(ok ? k : 0)) * ni;
            const unsigned long long r = o * nj + j;
            for (unsigned int i = blockIdx.x * blockDim.x + threadIdx.x; i < ni; i += gridDim.x * blockDim.x)
                y[r * ni + i] = ok ? src[i] : 0.0f;
        }
}

// Inference batch normalization of x [n, channels, inner] (NC…):
// y = scale·(x − mean)/√(var + eps) + bias, the four parameters one per
// channel, or one per channel and inner position when per is 1 (the old
// spatial=0 form). Grid: x covers inner, y channels, z samples; block
// (BLOCK). channels·inner < 2^31.
__global__ void infertop_batchnorm(const float* x, float* y, const float* scale, const float* bias,
                                   const float* mean, const float* var, long long n, long long channels,
                                   long long inner, long long per, double eps) {
    const unsigned int ni = (unsigned int)inner, nch = (unsigned int)channels;
    const unsigned long long ns = (unsigned long long)n, sample = (unsigned long long)nch * ni;
    for (unsigned int e = blockIdx.x * blockDim.x + threadIdx.x; e < ni; e += gridDim.x * blockDim.x) {
        for (unsigned int c = blockIdx.y; c < nch; c += gridDim.y) {
            const unsigned int p = per ? c * ni + e : c;
            const float a = scale[p] / sqrtf(var[p] + (float)eps), m = mean[p], b = bias[p];
            const unsigned long long off = (unsigned long long)c * ni + e;
            for (unsigned long long s = blockIdx.z; s < ns; s += gridDim.z) {
                const unsigned long long i = s * sample + off;
                y[i] = (x[i] - m) * a + b;
            }
        }
    }
}

// Row-major x [rows, cols] → y = act(x + b[col]) (act and its parameters p0,
// p1 as infertop_act); b may be null (no bias); x may
// equal y. Block (bx, by): threadIdx.x walks columns, threadIdx.y rows; grid.x
// covers columns, grid.y rows. cols < 2^31.
__global__ void infertop_bias_act(const float* x, float* y, const float* b, long long rows,
                                  long long cols, long long act, double p0, double p1) {
    const float q0 = (float)p0, q1 = (float)p1;
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
            y[i] = infertop_act(v, act, q0, q1);
        }
    }
}

// x [n, channels, inner] (a convolution's NCHW output, inner = H·W) →
// y = act(x + b[channel]); x holds float32 (kind 0), or IEEE half (1) or
// bfloat16 (2) bits, and may equal y when it is float32.
__device__ __forceinline__ void infertop_bias_planes_body(const void* x, float* y, const float* b, long long n,
                                                          long long channels, long long inner, long long kind,
                                                          long long act, double p0, double p1) {
    const float q0 = (float)p0, q1 = (float)p1;
    const unsigned int ni = (unsigned int)inner, nch = (unsigned int)channels;
    const unsigned long long ns = (unsigned long long)n;
    const unsigned long long sample = (unsigned long long)nch * ni;
    for (unsigned int e = blockIdx.x * blockDim.x + threadIdx.x; e < ni; e += gridDim.x * blockDim.x) {
        for (unsigned int c = blockIdx.y; c < nch; c += gridDim.y) {
            const float bc = b[c];
            const unsigned long long off = (unsigned long long)c * ni + e;
            for (unsigned long long s = blockIdx.z; s < ns; s += gridDim.z) {
                const unsigned long long i = s * sample + off;
                const float v = kind == 0 ? ((const float*)x)[i] : infertop_half2f(((const unsigned short*)x)[i], kind);
                y[i] = infertop_act(v + bc, act, q0, q1);
            }
        }
    }
}

// The bias and activation of a convolution's float32 output. Grid: x covers
// inner, y channels, z samples; block (BLOCK). channels, inner < 2^31.
__global__ void infertop_bias_act_planes(const float* x, float* y, const float* b, long long n,
                                         long long channels, long long inner, long long act, double p0,
                                         double p1) {
    infertop_bias_planes_body(x, y, b, n, channels, inner, 0, act, p0, p1);
}

// The same over a half-precision x (IEEE half, kind 1, or bfloat16, kind
// 2): a half-precision cuDNN convolution's output brought back to float32
// in the bias kernel itself. Grid and limits as infertop_bias_act_planes.
__global__ void infertop_bias_act_planes_half(const unsigned short* x, float* y, const float* b, long long n,
                                              long long channels, long long inner, long long kind, long long act,
                                              double p0, double p1) {
    infertop_bias_planes_body(x, y, b, n, channels, inner, kind, act, p0, p1);
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
                                   long long rows, long long cols, double eps, float* mean_out, float* inv_out) {
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
        if (threadIdx.x == 0) {
            if (mean_out) mean_out[r] = mean;
            if (inv_out) inv_out[r] = inv;
        }
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

// y[r] = the sum (op 0), mean (op 1) or max (op 2) of row r of x [rows,
// cols]; one block per row (grid-stride over rows). cols < 2^31.
__global__ void infertop_reduce_rows(const float* x, float* y, long long rows, long long cols, long long op) {
    __shared__ float sh[BLOCK];
    const unsigned int nc = (unsigned int)cols;
    for (unsigned long long r = blockIdx.x; r < (unsigned long long)rows; r += gridDim.x) {
        const float* xr = x + r * nc;
        float v;
        if (op == 2) {
            v = -3.402823466e38f;
            for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) v = fmaxf(v, xr[j]);
            v = infertop_block_max(v, sh);
        } else {
            v = 0.0f;
            for (unsigned int j = threadIdx.x; j < nc; j += BLOCK) v += xr[j];
            v = infertop_block_sum(v, sh);
            if (op == 1) v /= (float)nc;
        }
        if (threadIdx.x == 0) y[r] = v;
    }
}

// im2col over NCHW x, planes = n·c planes of h×w, into col [n, c·k·k, oh·ow]
// (row (ci, ky, kx), column (oy, ox)); zero outside the padded image. Plane
// pl = s·c + ci of x becomes rows pl·k·k … pl·k·k + k·k − 1 of col, so the
// sample and channel never need to be told apart. One thread per (plane,
// output pixel) writes that pixel's k·k column entries: one 32-bit division
// per thread, none per element. col holds float32 (kind 0), IEEE half (1)
// or bfloat16 (2) values, the last two converted as infertop_to_half does.
// h·w, k·k·oh·ow and oh·stride + k < 2^31.
__device__ __forceinline__ void infertop_im2col_body(const float* x, void* col, long long planes, long long h,
                                                     long long w, long long k, long long stride, long long pad,
                                                     long long oh, long long ow, long long kind) {
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
            const unsigned long long at = pl * cplane + pix;
            for (unsigned int ky = 0; ky < K; ky++) {
                const int iy = iy0 + (int)ky;
                const bool rowIn = iy >= 0 && iy < (int)H;
                for (unsigned int kx = 0; kx < K; kx++) {
                    const int ix = ix0 + (int)kx;
                    float v = 0.0f;
                    if (rowIn && ix >= 0 && ix < (int)W) v = xp[(unsigned int)iy * W + (unsigned int)ix];
                    const unsigned long long i = at + (unsigned long long)(ky * K + kx) * P;
                    if (kind == 0) {
                        ((float*)col)[i] = v;
                    } else {
                        const unsigned int u = __float_as_uint(v);
                        ((unsigned short*)col)[i] = kind == 2 ? infertop_f2bf16(u) : infertop_f2f16(u);
                    }
                }
            }
        }
    }
}

// im2col into float32 columns. Grid: x covers planes, y output pixels;
// block (BLOCK).
__global__ void infertop_im2col(const float* x, float* col, long long planes, long long h, long long w,
                                long long k, long long stride, long long pad, long long oh, long long ow) {
    infertop_im2col_body(x, col, planes, h, w, k, stride, pad, oh, ow, 0);
}

// im2col into IEEE half (kind 1) or bfloat16 (kind 2) columns for a
// reduced-precision product: the conversion is the store, with no float32
// copy of the columns. Grid and block as infertop_im2col.
__global__ void infertop_im2col_half(const float* x, unsigned short* col, long long planes, long long h, long long w,
                                     long long k, long long stride, long long pad, long long oh, long long ow,
                                     long long kind) {
    infertop_im2col_body(x, col, planes, h, w, k, stride, pad, oh, ow, kind);
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

// Pooling over planes h×w into oh×ow with a kh×kw window, strides sh, sw,
// padding before pt (top), pl (left) and after pb, pr, and dilations dh,
// dw. mode 0: the maximum of the taps inside the input; 1: their mean; 2:
// the sum of the taps inside over the taps inside or in the padding
// (count_include_pad), never those past it (ceil_mode's last windows). A
// window without a tap to count gives -inf (max) or 0. Grid: x covers
// planes, y output pixels; block (BLOCK). h·w and oh·ow < 2^31.
__global__ void infertop_pool(const float* x, float* y, long long planes, long long h, long long w, long long oh,
                              long long ow, long long kh, long long kw, long long sh, long long sw, long long pt,
                              long long pl, long long pb, long long pr, long long dh, long long dw, long long mode) {
    const int H = (int)h, W = (int)w, KH = (int)kh, KW = (int)kw, DH = (int)dh, DW = (int)dw;
    const int HE = H + (int)pb, WE = W + (int)pr;
    const unsigned int OW = (unsigned int)ow, P = (unsigned int)(oh * ow);
    const unsigned long long np = (unsigned long long)planes, xplane = (unsigned long long)H * W;
    for (unsigned int pix = blockIdx.y * blockDim.x + threadIdx.x; pix < P; pix += gridDim.y * blockDim.x) {
        const unsigned int oy = pix / OW, ox = pix - oy * OW;
        const int iy0 = (int)oy * (int)sh - (int)pt, ix0 = (int)ox * (int)sw - (int)pl;
        // The taps a mean divides by: those inside, or with mode 2 those in
        // the padding too; the same for every plane.
        int count = 0;
        for (int ky = 0; ky < KH; ky++) {
            const int iy = iy0 + ky * DH;
            for (int kx = 0; kx < KW; kx++) {
                const int ix = ix0 + kx * DW;
                if (mode == 2 ? (iy < HE && ix < WE) : (iy >= 0 && iy < H && ix >= 0 && ix < W)) count++;
            }
        }
        for (unsigned long long p = blockIdx.x; p < np; p += gridDim.x) {
            const float* src = x + p * xplane;
            float m = -INFINITY, s = 0.0f;
            for (int ky = 0; ky < KH; ky++) {
                const int iy = iy0 + ky * DH;
                if (iy < 0 || iy >= H) continue;
                for (int kx = 0; kx < KW; kx++) {
                    const int ix = ix0 + kx * DW;
                    if (ix >= 0 && ix < W) {
                        const float v = src[iy * W + ix];
                        m = fmaxf(m, v);
                        s += v;
                    }
                }
            }
            y[p * P + pix] = mode == 0 ? m : (count > 0 ? s / (float)count : 0.0f);
        }
    }
}

// The inner axes infertop_binary and infertop_binary_typed walk: sizes d
// and each operand's stride along them, and how many values they hold.
struct infertop_axes {
    unsigned int d[5], sa[5], sb[5], inner;
};

__device__ __forceinline__ infertop_axes infertop_axes_of(long long d1, long long sa1, long long sb1, long long d2,
                                                          long long sa2, long long sb2, long long d3, long long sa3,
                                                          long long sb3, long long d4, long long sa4, long long sb4,
                                                          long long d5, long long sa5, long long sb5) {
    const infertop_axes ax = {{(unsigned int)d1, (unsigned int)d2, (unsigned int)d3, (unsigned int)d4, (unsigned int)d5},
                              {(unsigned int)sa1, (unsigned int)sa2, (unsigned int)sa3, (unsigned int)sa4,
                               (unsigned int)sa5},
                              {(unsigned int)sb1, (unsigned int)sb2, (unsigned int)sb3, (unsigned int)sb4,
                               (unsigned int)sb5},
                              (unsigned int)(d1 * d2 * d3 * d4 * d5)};
    return ax;
}

// The offsets of inner value e in each operand: e decomposed along the
// axes with 32-bit division, summed modulo 2^32 and read as signed (a
// stride may be negative; an offset lies in (−2^31, 2^31)).
__device__ __forceinline__ void infertop_walk(const infertop_axes& ax, unsigned int e, int* ia, int* ib) {
    unsigned int rest = e, a = 0, b = 0;
    for (int k = 4; k >= 0; k--) {
        const unsigned int q = rest / ax.d[k], i = rest - q * ax.d[k];
        a += i * ax.sa[k];
        b += i * ax.sb[k];
        rest = q;
    }
    *ia = (int)a;
    *ib = (int)b;
}

// y = a op b (op: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 10 max, 11 min; max
// and min keep a NaN of a), or op a alone (b is read but unused: 5 copy,
// 6 neg, 7 exp, 8 sqrt, 9 erf), with broadcasting: y is
// [n0, d1, …, d5] row-major, and a and b are read with a stride per axis
// (0 along an axis they are broadcast over, negative along one walked
// backwards: an operand's offset within an outer index lies in (−2^31,
// 2^31)). Grid: x covers the d1·…·d5 values of one outer index (< 2^31,
// decomposed with 32-bit division), y the n0 outer indices; block (BLOCK).
__global__ void infertop_binary(const float* a, const float* b, float* y, long long op, long long n0,
                                long long sa0, long long sb0, long long d1, long long sa1, long long sb1,
                                long long d2, long long sa2, long long sb2, long long d3, long long sa3,
                                long long sb3, long long d4, long long sa4, long long sb4, long long d5,
                                long long sa5, long long sb5) {
    const infertop_axes ax =
        infertop_axes_of(d1, sa1, sb1, d2, sa2, sb2, d3, sa3, sb3, d4, sa4, sb4, d5, sa5, sb5);
    const unsigned int inner = ax.inner;
    const unsigned long long no = (unsigned long long)n0;
    for (unsigned int e = blockIdx.x * blockDim.x + threadIdx.x; e < inner; e += gridDim.x * blockDim.x) {
        int ia, ib;
        infertop_walk(ax, e, &ia, &ib);
        for (unsigned long long o = blockIdx.y; o < no; o += gridDim.y) {
            const float u = a[(long long)o * sa0 + ia], v = b[(long long)o * sb0 + ib];
            float r;
            switch (op) {
            case 1: r = u - v; break;
            case 2: r = u * v; break;
            case 3: r = u / v; break;
            case 4: r = powf(u, v); break;
            case 5: r = u; break;
            case 6: r = -u; break;
            case 7: r = expf(u); break;
            case 8: r = sqrtf(u); break;
            case 9: r = erff(u); break;
            case 10: r = u < v ? v : u; break;
            case 11: r = u > v ? v : u; break;
            default: r = u + v;
            }
            y[o * inner + e] = r;
        }
    }
}

// Loads value i of an operand of type t (0 float32, 1 int64, 2 bool and 3
// int32, both held as int64) as a double, or as an integer.
__device__ __forceinline__ double typed_f(const void* p, long long i, int t) {
    return t == 0 ? (double)((const float*)p)[i] : (double)((const long long*)p)[i];
}
__device__ __forceinline__ long long typed_i(const void* p, long long i, int t) {
    return t == 0 ? (long long)((const float*)p)[i] : ((const long long*)p)[i];
}

// infertop_binary over operands and an output of any of the types above
// (types = ta + 4·tb + 16·ty): integer and bool values, Equal, Where and
// Cast. op: 0 add, 1 sub, 2 mul, 3 div (an integer one truncates, and a
// zero divisor gives 0), 4 pow, 5 copy (a cast: to an integer truncates,
// to bool tests ≠ 0), 12 equal, 13 where (y = a ? b : y, y filled before),
// 14 one (y = 1). Two integer operands compute in 64-bit integers, any
// float32 one in double; an int32 result wraps as int32 does, a bool one
// is 0 or 1. Grid and limits as infertop_binary.
__global__ void infertop_binary_typed(const void* a, const void* b, void* y, long long types, long long op,
                                      long long n0, long long sa0, long long sb0, long long d1, long long sa1,
                                      long long sb1, long long d2, long long sa2, long long sb2, long long d3,
                                      long long sa3, long long sb3, long long d4, long long sa4, long long sb4,
                                      long long d5, long long sa5, long long sb5) {
    const infertop_axes ax =
        infertop_axes_of(d1, sa1, sb1, d2, sa2, sb2, d3, sa3, sb3, d4, sa4, sb4, d5, sa5, sb5);
    const int ta = (int)(types & 3), tb = (int)((types >> 2) & 3), ty = (int)((types >> 4) & 3);
    const bool ints = ta != 0 && tb != 0;
    const unsigned int inner = ax.inner;
    const unsigned long long no = (unsigned long long)n0;
    for (unsigned int e = blockIdx.x * blockDim.x + threadIdx.x; e < inner; e += gridDim.x * blockDim.x) {
        int ia, ib;
        infertop_walk(ax, e, &ia, &ib);
        for (unsigned long long o = blockIdx.y; o < no; o += gridDim.y) {
            const long long xa = (long long)o * sa0 + ia, xb = (long long)o * sb0 + ib;
            const unsigned long long at = o * inner + e;
            double f = 0.0;
            long long r = 0;
            bool isf = !ints;
            switch (op) {
            case 5:
                isf = ta == 0;
                if (isf) f = typed_f(a, xa, ta); else r = typed_i(a, xa, ta);
                break;
            case 12:
                isf = false;
                r = ints ? typed_i(a, xa, ta) == typed_i(b, xb, tb) : typed_f(a, xa, ta) == typed_f(b, xb, tb);
                break;
            case 13:
                if (typed_i(a, xa, ta) == 0) continue;
                isf = tb == 0;
                if (isf) f = typed_f(b, xb, tb); else r = typed_i(b, xb, tb);
                break;
            case 14:
                isf = false;
                r = 1;
                break;
            default:
                if (ints) {
                    const long long u = typed_i(a, xa, ta), v = typed_i(b, xb, tb);
                    switch (op) {
                    case 1: r = (long long)((unsigned long long)u - (unsigned long long)v); break;
                    case 2: r = (long long)((unsigned long long)u * (unsigned long long)v); break;
                    case 3: r = v == 0 ? 0 : u / v; break;
                    case 4:
                        if (v < 0) {
                            r = (long long)pow((double)u, (double)v);
                        } else {
                            unsigned long long p = 1, m = (unsigned long long)u;
                            for (long long k = v; k > 0; k >>= 1, m *= m)
                                if (k & 1) p *= m;
                            r = (long long)p;
                        }
                        break;
                    default: r = (long long)((unsigned long long)u + (unsigned long long)v);
                    }
                } else {
                    const double u = typed_f(a, xa, ta), v = typed_f(b, xb, tb);
                    switch (op) {
                    case 1: f = u - v; break;
                    case 2: f = u * v; break;
                    case 3: f = u / v; break;
                    case 4: f = pow(u, v); break;
                    default: f = u + v;
                    }
                }
            }
            if (ty == 0) {
                ((float*)y)[at] = isf ? (float)f : (float)r;
                continue;
            }
            long long v = isf ? (ty == 2 ? (f != 0.0) : (long long)f) : r;
            if (ty == 2) v = v != 0;
            if (ty == 3) v = (long long)(int)(unsigned int)(unsigned long long)v;
            ((long long*)y)[at] = v;
        }
    }
}

// Row-major x [rows, cols] copied into y's rows of length ldy (y points at
// the first row's first destination): a Concat input's place in the output.
// Grid: x covers columns, y rows; block (BLOCK). ldy < 2^31.
__global__ void infertop_copy_rows(const float* x, float* y, long long rows, long long cols, long long ldy) {
    const unsigned int nc = (unsigned int)cols, ld = (unsigned int)ldy;
    const unsigned long long nr = (unsigned long long)rows;
    for (unsigned int j = blockIdx.x * blockDim.x + threadIdx.x; j < nc; j += gridDim.x * blockDim.x)
        for (unsigned long long r = blockIdx.y; r < nr; r += gridDim.y) y[r * ld + j] = x[r * nc + j];
}

// Direct convolution, any group count, kernel, strides, padding and
// dilations: y[s, co, oy, ox] = act(Σ over the channels of co's group and the
// window of w·x + bias[co]) over NCHW x [n, c, h, w] and w [cout, c/group,
// kh, kw]; taps in the padding add nothing. One thread per output value.
// Grid: x covers output pixels, y output channels, z samples; block (BLOCK).
// c·h·w, cout·oh·ow and cout·(c/group)·kh·kw < 2^31.
__global__ void infertop_conv_direct(const float* x, const float* wt, const float* bias, float* y, long long n,
                                     long long c, long long h, long long w, long long cout, long long group,
                                     long long kh, long long kw, long long sh, long long sw, long long ph,
                                     long long pw, long long dh, long long dw, long long oh, long long ow,
                                     long long act, double p0, double p1) {
    const int H = (int)h, W = (int)w, KH = (int)kh, KW = (int)kw, DH = (int)dh, DW = (int)dw;
    const unsigned int CO = (unsigned int)cout, CPG = (unsigned int)c / (unsigned int)group,
                       OPG = CO / (unsigned int)group;
    const unsigned int OW = (unsigned int)ow, P = (unsigned int)(oh * ow), HW = (unsigned int)(H * W);
    const unsigned long long ns = (unsigned long long)n, xsample = (unsigned long long)c * HW,
                             ysample = (unsigned long long)CO * P;
    const float q0 = (float)p0, q1 = (float)p1;
    for (unsigned int pix = blockIdx.x * blockDim.x + threadIdx.x; pix < P; pix += gridDim.x * blockDim.x) {
        const unsigned int oy = pix / OW, ox = pix - oy * OW;
        const int iy0 = (int)oy * (int)sh - (int)ph, ix0 = (int)ox * (int)sw - (int)pw;
        for (unsigned int co = blockIdx.y; co < CO; co += gridDim.y) {
            const unsigned int ci0 = co / OPG * CPG;
            const float* wc = wt + (unsigned long long)co * CPG * KH * KW;
            for (unsigned long long s = blockIdx.z; s < ns; s += gridDim.z) {
                const float* xs = x + s * xsample + (unsigned long long)ci0 * HW;
                float acc = 0.0f;
                for (unsigned int ci = 0; ci < CPG; ci++) {
                    const float* xp = xs + ci * HW;
                    const float* wp = wc + ci * KH * KW;
                    for (int ky = 0; ky < KH; ky++) {
                        const int iy = iy0 + ky * DH;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < KW; kx++) {
                            const int ix = ix0 + kx * DW;
                            if (ix >= 0 && ix < W) acc = fmaf(wp[ky * KW + kx], xp[iy * W + ix], acc);
                        }
                    }
                }
                y[s * ysample + (unsigned long long)co * P + pix] = infertop_act(acc + bias[co], act, q0, q1);
            }
        }
    }
}

// infertop_conv_direct in three dimensions: y[s, co, oz, oy, ox] =
// act(Σ over the channels of co's group and the window of w·x + bias[co])
// over x [n, c, d, h, w] and w [cout, c/group, kd, kh, kw], padding before
// pd, ph, pw (taps in the padding add nothing). Grid: x covers output
// voxels, y output channels, z samples; block (BLOCK). c·d·h·w,
// cout·od·oh·ow and cout·(c/group)·kd·kh·kw < 2^31.
__global__ void infertop_conv3d(const float* x, const float* wt, const float* bias, float* y, long long n,
                                long long c, long long d, long long h, long long w, long long cout, long long group,
                                long long kd, long long kh, long long kw, long long sd, long long sh, long long sw,
                                long long pd, long long ph, long long pw, long long dd, long long dh, long long dw,
                                long long od, long long oh, long long ow, long long act, double p0, double p1) {
    const int D = (int)d, H = (int)h, W = (int)w, KD = (int)kd, KH = (int)kh, KW = (int)kw;
    const unsigned int CO = (unsigned int)cout, CPG = (unsigned int)c / (unsigned int)group,
                       OPG = CO / (unsigned int)group;
    const unsigned int OW = (unsigned int)ow, OHW = (unsigned int)(oh * ow), P = (unsigned int)(od * oh * ow);
    const unsigned int HW = (unsigned int)(H * W), DHW = (unsigned int)D * HW, K3 = (unsigned int)(KD * KH * KW);
    const unsigned long long ns = (unsigned long long)n, xsample = (unsigned long long)c * DHW,
                             ysample = (unsigned long long)CO * P;
    const float q0 = (float)p0, q1 = (float)p1;
    for (unsigned int pix = blockIdx.x * blockDim.x + threadIdx.x; pix < P; pix += gridDim.x * blockDim.x) {
        const unsigned int oz = pix / OHW, rest = pix - oz * OHW, oy = rest / OW, ox = rest - oy * OW;
        const int iz0 = (int)oz * (int)sd - (int)pd, iy0 = (int)oy * (int)sh - (int)ph,
                  ix0 = (int)ox * (int)sw - (int)pw;
        for (unsigned int co = blockIdx.y; co < CO; co += gridDim.y) {
            const unsigned int ci0 = co / OPG * CPG;
            const float* wc = wt + (unsigned long long)co * CPG * K3;
            for (unsigned long long s = blockIdx.z; s < ns; s += gridDim.z) {
                const float* xs = x + s * xsample + (unsigned long long)ci0 * DHW;
                float acc = 0.0f;
                for (unsigned int ci = 0; ci < CPG; ci++) {
                    const float* xp = xs + ci * DHW;
                    const float* wp = wc + ci * K3;
                    for (int kz = 0; kz < KD; kz++) {
                        const int iz = iz0 + kz * (int)dd;
                        if (iz < 0 || iz >= D) continue;
                        for (int ky = 0; ky < KH; ky++) {
                            const int iy = iy0 + ky * (int)dh;
                            if (iy < 0 || iy >= H) continue;
                            for (int kx = 0; kx < KW; kx++) {
                                const int ix = ix0 + kx * (int)dw;
                                if (ix >= 0 && ix < W)
                                    acc = fmaf(wp[(kz * KH + ky) * KW + kx], xp[(iz * H + iy) * W + ix], acc);
                            }
                        }
                    }
                }
                y[s * ysample + (unsigned long long)co * P + pix] = infertop_act(acc + bias[co], act, q0, q1);
            }
        }
    }
}

// infertop_pool in three dimensions: planes d×h×w into od×oh×ow, padding
// before pf, pt, pl and after pbk, pb, pr; modes as infertop_pool. Grid:
// x covers planes, y output voxels; block (BLOCK). d·h·w and od·oh·ow <
// 2^31.
__global__ void infertop_pool3d(const float* x, float* y, long long planes, long long d, long long h, long long w,
                                long long od, long long oh, long long ow, long long kd, long long kh, long long kw,
                                long long sd, long long sh, long long sw, long long pf, long long pt, long long pl,
                                long long pbk, long long pb, long long pr, long long dd, long long dh, long long dw,
                                long long mode) {
    const int D = (int)d, H = (int)h, W = (int)w, KD = (int)kd, KH = (int)kh, KW = (int)kw;
    const int DE = D + (int)pbk, HE = H + (int)pb, WE = W + (int)pr;
    const unsigned int OW = (unsigned int)ow, OHW = (unsigned int)(oh * ow), P = (unsigned int)(od * oh * ow);
    const unsigned long long np = (unsigned long long)planes, xplane = (unsigned long long)D * H * W;
    for (unsigned int pix = blockIdx.y * blockDim.x + threadIdx.x; pix < P; pix += gridDim.y * blockDim.x) {
        const unsigned int oz = pix / OHW, rest = pix - oz * OHW, oy = rest / OW, ox = rest - oy * OW;
        const int iz0 = (int)oz * (int)sd - (int)pf, iy0 = (int)oy * (int)sh - (int)pt,
                  ix0 = (int)ox * (int)sw - (int)pl;
        int count = 0;
        for (int kz = 0; kz < KD; kz++) {
            const int iz = iz0 + kz * (int)dd;
            for (int ky = 0; ky < KH; ky++) {
                const int iy = iy0 + ky * (int)dh;
                for (int kx = 0; kx < KW; kx++) {
                    const int ix = ix0 + kx * (int)dw;
                    if (mode == 2 ? (iz < DE && iy < HE && ix < WE)
                                  : (iz >= 0 && iz < D && iy >= 0 && iy < H && ix >= 0 && ix < W))
                        count++;
                }
            }
        }
        for (unsigned long long p = blockIdx.x; p < np; p += gridDim.x) {
            const float* src = x + p * xplane;
            float m = -INFINITY, s = 0.0f;
            for (int kz = 0; kz < KD; kz++) {
                const int iz = iz0 + kz * (int)dd;
                if (iz < 0 || iz >= D) continue;
                for (int ky = 0; ky < KH; ky++) {
                    const int iy = iy0 + ky * (int)dh;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < KW; kx++) {
                        const int ix = ix0 + kx * (int)dw;
                        if (ix >= 0 && ix < W) {
                            const float v = src[(iz * H + iy) * W + ix];
                            m = fmaxf(m, v);
                            s += v;
                        }
                    }
                }
            }
            y[p * P + pix] = mode == 0 ? m : (count > 0 ? s / (float)count : 0.0f);
        }
    }
}

}  // extern "C"

// Implicit-GEMM convolution: y = act(W ⊛ x + b) over NCHW x in one kernel, no
// im2col buffer. Per sample it is the GEMM Y [Cout, P] = W [Cout, C·k·k] ·
// X̂ [C·k·k, P] (P = oh·ow), with X̂'s columns read straight from x; the n
// samples' columns are laid side by side, n·P columns in all. A block of 256
// threads computes a BM × BN tile of (output channel, column) in steps of
// CONV_BK rows of W, staging both operands in shared memory; the next step's
// values are loaded into registers while the current step is multiplied.
// Each thread owns 4 channels × 8 columns (columns tx·4 … tx·4+3 and BN/2 +
// tx·4 …, so the shared-memory reads are 16-byte vectors without bank
// conflicts). A per-block table holds each row's offset ci·h·w + ky·w + kx and
// (ky, kx), so the inner loop does no division. Grid: x covers column tiles,
// y channel tiles. The plan checks C·k·k ≤ CONV_MAXK, n·P, c·h·w and
// Cout·C·k·k < 2^31, and k < 2^15.
#define CONV_BK 16
#ifdef __CUDACC__
#define UNROLL _Pragma("unroll")
#else
#define UNROLL  // the host test build (testdata/kernelhost) leaves loops to g++
#endif
#define CONV_MAXK 2304

template <int BM, int BN>
__device__ __forceinline__ void infertop_conv_body(const float* x, const float* wt, const float* bias, float* y,
                                                   long long n, long long c, long long h, long long w,
                                                   long long cout, long long k, long long stride, long long pad,
                                                   long long oh, long long ow, long long act, double p0,
                                                   double p1) {
    constexpr int TX = BN / 8;                      // threads along columns; BM / 4 along channels
    constexpr int AL = BM * CONV_BK / 256;          // W values each thread loads per step
    constexpr int BROWS = 256 / BN;                 // X̂ rows one pass of the block loads
    constexpr int BL = CONV_BK / BROWS;             // X̂ values each thread loads per step
    // W's tile is stored transposed, As[row][channel], each row padded by 4 so
    // that a warp's stores (8 rows × 4 channels, see A_K and A_M) hit 32
    // different banks; the reads stay 16-byte aligned.
    __shared__ __align__(16) float As[CONV_BK][BM + 4];
    __shared__ __align__(16) float Bs[CONV_BK][BN];
    // The row table, one step longer than CONV_MAXK and read 4 rows at a
    // time. The last step's rows past C·k·k meet zeros in W's tile, so the
    // loads need no row test of their own; their ky = −32768 puts the pixels
    // they name above the image, so that they load nothing.
    __shared__ __align__(16) int rowOff[CONV_MAXK + CONV_BK];
    __shared__ __align__(16) int rowKYX[CONV_MAXK + CONV_BK];
    const unsigned int H = (unsigned int)h, W = (unsigned int)w, K = (unsigned int)k, KK = K * K;
    const unsigned int CK = (unsigned int)c * KK, HW = H * W, OW = (unsigned int)ow;
    const unsigned int P = (unsigned int)(oh * ow), CO = (unsigned int)cout, S = (unsigned int)stride;
    const int PAD = (int)pad;
    const unsigned int ncols = (unsigned int)((unsigned long long)n * P);
    const unsigned long long xsample = (unsigned long long)c * HW;
    // Each warp computes a patch of 8 column groups × 4 channel groups, so
    // that per row its lanes read 8 distinct float4 of Bs and 4 of As (the
    // rest are broadcasts), where a warp along one channel group would read
    // 32 distinct float4 of Bs: a third of the shared-memory traffic.
    const unsigned int t = threadIdx.x, lane = t % 32u, warp = t / 32u;
    const unsigned int tx = lane % 8u + 8u * (warp % (TX / 8)), ty = lane / 8u + 4u * (warp / (TX / 8));
    // This thread's X̂ column and its BL consecutive rows of each step.
    const unsigned int bc = t % BN, br = t / BN;
    const unsigned int CKsteps = (CK + CONV_BK - 1) / CONV_BK * CONV_BK;
    for (unsigned int r = t; r < CKsteps; r += 256) {
        if (r < CK) {
            const unsigned int ci = r / KK, rem = r - ci * KK, ky = rem / K, kx = rem - ky * K;
            rowOff[r] = (int)(ci * HW + ky * W + kx);
            rowKYX[r] = (int)((ky << 16) | kx);
        } else {
            rowOff[r] = 0;
            rowKYX[r] = (int)(1u << 31);  // ky = −32768, kx = 0
        }
    }
    __syncthreads();
// Value e of the BM × CONV_BK tile of W that a thread loads: 8 consecutive rows
// of one channel per 8 lanes (32-byte reads), channels across the warp.
#define A_K(e) (((e) & 7u) + 8u * ((e) / (8u * BM)))
#define A_M(e) (((e) / 8u) % BM)
    const unsigned int mtiles = (CO + BM - 1) / BM, ntiles = (ncols + BN - 1) / BN;
    for (unsigned int mt = blockIdx.y; mt < mtiles; mt += gridDim.y) {
        const unsigned int co0 = mt * BM;
        for (unsigned int nt = blockIdx.x; nt < ntiles; nt += gridDim.x) {
            const unsigned int g0 = nt * BN, g = g0 + bc;
            // A column past the last (n·P) is never stored; iy0 = −32768 puts
            // all its pixels above the image, so it loads nothing.
            const float* xs = x;
            int iy0 = -32768, ix0 = 0, base = 0;
            if (g < ncols) {
                const unsigned int s = g / P, pix = g - s * P, oy = pix / OW, ox = pix - oy * OW;
                xs = x + s * xsample;
                iy0 = (int)(oy * S) - PAD;
                ix0 = (int)(ox * S) - PAD;
                base = iy0 * (int)W + ix0;
            }
            float ra[AL], rb[BL];
            float acc[4][8];
            UNROLL for (int i = 0; i < 4; i++)
                UNROLL for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;
            // Step kb's operands into registers: W's tile and X̂'s column bc.
            auto load = [&](unsigned int kb) {
                UNROLL for (int j = 0; j < AL; j++) {
                    const unsigned int e = t + 256 * j, m = A_M(e), kk = kb + A_K(e);
                    ra[j] = (co0 + m < CO && kk < CK) ? wt[(co0 + m) * CK + kk] : 0.0f;
                }
                const int4* o4 = reinterpret_cast<const int4*>(&rowOff[kb + br * BL]);
                const int4* k4 = reinterpret_cast<const int4*>(&rowKYX[kb + br * BL]);
                UNROLL for (int q = 0; q < BL / 4; q++) {
                    const int4 o = o4[q], kyx = k4[q];
                    const int ov[4] = {o.x, o.y, o.z, o.w}, kv[4] = {kyx.x, kyx.y, kyx.z, kyx.w};
                    UNROLL for (int e = 0; e < 4; e++) {
                        const int iy = iy0 + (kv[e] >> 16), ix = ix0 + (kv[e] & 0xffff);
                        rb[q * 4 + e] = ((unsigned int)iy < H && (unsigned int)ix < W) ? xs[ov[e] + base] : 0.0f;
                    }
                }
            };
            load(0);
            for (unsigned int k0 = 0; k0 < CK; k0 += CONV_BK) {
                UNROLL for (int j = 0; j < AL; j++) {
                    const unsigned int e = t + 256 * j;
                    As[A_K(e)][A_M(e)] = ra[j];
                }
                UNROLL for (int j = 0; j < BL; j++) Bs[br * BL + j][bc] = rb[j];
                __syncthreads();
                // The next step's operands are in flight while this step multiplies.
                if (k0 + CONV_BK < CK) load(k0 + CONV_BK);
                UNROLL for (int kk = 0; kk < CONV_BK; kk++) {
                    const float4 a = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
                    const float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
                    const float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][BN / 2 + tx * 4]);
                    const float av[4] = {a.x, a.y, a.z, a.w};
                    const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
                    UNROLL for (int i = 0; i < 4; i++)
                        UNROLL for (int j = 0; j < 8; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
                }
                __syncthreads();
            }
            // Epilogue: bias, activation, NCHW store.
            const float q0 = (float)p0, q1 = (float)p1;
            unsigned long long off[8];
            bool ok[8];
            UNROLL for (int j = 0; j < 8; j++) {
                const unsigned int col = g0 + (j < 4 ? tx * 4 + j : BN / 2 + tx * 4 + (j - 4));
                ok[j] = col < ncols;
                const unsigned int s = ok[j] ? col / P : 0;
                off[j] = (unsigned long long)s * CO * P + (col - s * P);
            }
            UNROLL for (int i = 0; i < 4; i++) {
                const unsigned int co = co0 + ty * 4 + i;
                if (co >= CO) continue;
                const float bco = bias[co];
                UNROLL for (int j = 0; j < 8; j++)
                    if (ok[j]) y[off[j] + (unsigned long long)co * P] = infertop_act(acc[i][j] + bco, act, q0, q1);
            }
        }
    }
#undef A_K
#undef A_M
}

extern "C" {

// infertop_conv_m32 and infertop_conv_m64: the implicit-GEMM convolution with
// tiles of 32 channels × 256 columns (for Cout ≤ 32) and 64 × 128.
__global__ void __launch_bounds__(256) infertop_conv_m32(const float* x, const float* wt, const float* bias, float* y,
                                                         long long n, long long c, long long h, long long w,
                                                         long long cout, long long k, long long stride,
                                                         long long pad, long long oh, long long ow, long long act,
                                                         double p0, double p1) {
    infertop_conv_body<32, 256>(x, wt, bias, y, n, c, h, w, cout, k, stride, pad, oh, ow, act, p0, p1);
}

__global__ void __launch_bounds__(256) infertop_conv_m64(const float* x, const float* wt, const float* bias, float* y,
                                                         long long n, long long c, long long h, long long w,
                                                         long long cout, long long k, long long stride,
                                                         long long pad, long long oh, long long ow, long long act,
                                                         double p0, double p1) {
    infertop_conv_body<64, 128>(x, wt, bias, y, n, c, h, w, cout, k, stride, pad, oh, ow, act, p0, p1);
}

}  // extern "C"
