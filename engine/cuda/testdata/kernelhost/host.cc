// Host test harness for kernels/kernels.cu: compiled with g++ by
// kernelhost_test.go, it executes a plan (cuBLAS GEMMs as a plain column-major
// sgemm, kernels from the real CUDA source with the plan's launch geometry)
// and writes every buffer back.
//
//   host JOB OUT
//
// JOB (little-endian): "IKH1", u32 buffers, per buffer i64 n + n float32;
// u32 steps, per step u8 kind: 0 GEMM (u8 transA, u8 transB, i32 m n k,
// f32 alpha beta, refs A B C as i32 buffer + i64 offset, i32 lda ldb ldc,
// i32 batch, i64 strideA strideB strideC), 1 launch (u16 name length, name,
// u32 grid x y z, u32 block x y z, u32 args, per arg u8 kind: 0 pointer
// (i32 buffer, −1 for null, + i64 offset), 1 long long (i64), 2 double (f64)).
// OUT: every buffer's n float32 values, in order. Errors go to stderr with a
// non-zero exit status. Each buffer is surrounded by guard zones of NaN; a
// launch or GEMM that writes into one is reported.

#include "cuda_host.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <ucontext.h>

#include "../../kernels/kernels.cu"

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace {

[[noreturn]] void die(const std::string& msg) {
    fprintf(stderr, "%s\n", msg.c_str());
    exit(1);
}

FILE* in;

template <typename T>
T rd() {
    T v;
    if (fread(&v, sizeof v, 1, in) != 1) die("job file truncated");
    return v;
}

const size_t kGuard = 1024;
const uint32_t kGuardBits = 0x7fc0deadu;

struct Buf {
    std::vector<float> mem;  // guard, data, guard
    int64_t n;
    float* data() { return mem.data() + kGuard; }
};
std::vector<Buf> bufs;

float guardValue() {
    float f;
    memcpy(&f, &kGuardBits, 4);
    return f;
}

void checkGuards(size_t step, const std::string& what) {
    for (size_t b = 0; b < bufs.size(); b++) {
        Buf& B = bufs[b];
        for (size_t i = 0; i < kGuard; i++) {
            uint32_t lo, hi;
            memcpy(&lo, &B.mem[i], 4);
            memcpy(&hi, &B.mem[kGuard + B.n + i], 4);
            if (lo != kGuardBits || hi != kGuardBits) {
                die("step " + std::to_string(step) + " (" + what + ") wrote outside buffer " + std::to_string(b) +
                    (lo != kGuardBits ? " before its start" : " past its end"));
            }
        }
    }
}

struct Ref {
    int32_t buf;
    int64_t off;
};

float* resolve(Ref r, size_t step) {
    if (r.buf < 0) return nullptr;
    if ((size_t)r.buf >= bufs.size() || r.off < 0 || r.off > bufs[r.buf].n)
        die("step " + std::to_string(step) + ": reference outside the buffers");
    return bufs[r.buf].data() + r.off;
}

// resolveHalf points at half-precision value r.off of buffer r.buf (two to a float).
const uint16_t* resolveHalf(Ref r, size_t step) {
    if (r.buf < 0 || (size_t)r.buf >= bufs.size() || r.off < 0 || r.off > 2 * bufs[r.buf].n)
        die("step " + std::to_string(step) + ": half-precision reference outside the buffers");
    return (const uint16_t*)bufs[r.buf].data() + r.off;
}

// halfValue is the float32 value of IEEE half (type 1) or bfloat16 (type 2) bits h.
float halfValue(uint8_t type, uint16_t h) {
    uint32_t u;
    if (type == 2) {
        u = (uint32_t)h << 16;
    } else {
        uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
        if (e == 0x1f) {
            u = sign | 0x7f800000u | (m << 13);
        } else if (e == 0) {
            float v = (float)m / 16777216.0f;
            return sign ? -v : v;
        } else {
            u = sign | ((e + 112u) << 23) | (m << 13);
        }
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

Ref rdRef() {
    Ref r;
    r.buf = rd<int32_t>();
    r.off = rd<int64_t>();
    return r;
}

// Column-major C = alpha·op(A)·op(B) + beta·C, as cublasSgemm (float64 sums).
void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
           float beta, float* c, int ldc) {
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int p = 0; p < k; p++) {
                float av = ta ? a[(int64_t)i * lda + p] : a[(int64_t)p * lda + i];
                float bv = tb ? b[(int64_t)p * ldb + j] : b[(int64_t)j * ldb + p];
                s += (double)av * (double)bv;
            }
            float v = alpha * (float)s;
            if (beta != 0) v += beta * c[(int64_t)j * ldc + i];
            c[(int64_t)j * ldc + i] = v;
        }
    }
}

// Column-major C = alpha·op(A)·op(B) + beta·C with A and B of half type
// type, C float32, as cublasGemmEx with float32 sums (float64 here).
void hgemm(uint8_t type, bool ta, bool tb, int m, int n, int k, float alpha, const uint16_t* a, int lda,
           const uint16_t* b, int ldb, float beta, float* c, int ldc) {
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int p = 0; p < k; p++) {
                float av = halfValue(type, ta ? a[(int64_t)i * lda + p] : a[(int64_t)p * lda + i]);
                float bv = halfValue(type, tb ? b[(int64_t)p * ldb + j] : b[(int64_t)j * ldb + p]);
                s += (double)av * (double)bv;
            }
            float v = alpha * (float)s;
            if (beta != 0) v += beta * c[(int64_t)j * ldc + i];
            c[(int64_t)j * ldc + i] = v;
        }
    }
}

// One kernel parameter: 8 bytes, as cuLaunchKernel receives it from gorgonia.org/cu.
struct Arg {
    uint8_t kind;
    float* p;
    long long i;
    double d;
};

struct Launch {
    std::string name;
    dim3 grid, block;
    std::vector<Arg> args;
    size_t step;
    float* P(size_t k) const { return at(k, 0).p; }
    long long I(size_t k) const { return at(k, 1).i; }
    double D(size_t k) const { return at(k, 2).d; }
    const Arg& at(size_t k, uint8_t kind) const {
        if (k >= args.size()) die(name + ": too few parameters");
        if (args[k].kind != kind) die(name + ": parameter " + std::to_string(k) + " has the wrong type");
        return args[k];
    }
};

// Fibers: one per thread of the running block. On x86-64 a fiber switch is a
// few instructions of our own (callee-saved registers and the stack pointer);
// elsewhere (or with -DINFERTOP_HOST_UCONTEXT) ucontext, whose every switch is
// a system call.
#if defined(__x86_64__) && !defined(INFERTOP_HOST_UCONTEXT)
#define INFERTOP_FIBER_ASM 1
extern "C" void infertop_fiber_switch(void** save, void* to);
asm(R"(
    .text
    .globl infertop_fiber_switch
    .type infertop_fiber_switch, @function
infertop_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size infertop_fiber_switch, .-infertop_fiber_switch
)");
struct Fiber {
    void* sp;
    std::vector<char> stack;
    bool done;
};
void* schedSP;
void fiberEntry();
void fiberInit(Fiber& f) {
    // Stack top, 16-aligned: [.. r15 r14 r13 r12 rbx rbp | fiberEntry | pad]; the
    // ret into fiberEntry leaves rsp ≡ 8 (mod 16), as after a call.
    uintptr_t top = ((uintptr_t)(f.stack.data() + f.stack.size())) & ~(uintptr_t)15;
    void** sp = (void**)top;
    *--sp = nullptr;                     // fiberEntry's return address: it never returns
    *--sp = (void*)&fiberEntry;          // where the first switch "returns" to
    for (int i = 0; i < 6; i++) *--sp = nullptr;  // rbp rbx r12 r13 r14 r15
    f.sp = sp;
}
#else
struct Fiber {
    ucontext_t ctx;
    std::vector<char> stack;
    bool done;
};
ucontext_t sched;
void fiberEntry();
void fiberInit(Fiber& f) {
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.data();
    f.ctx.uc_stack.ss_size = f.stack.size();
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiberEntry, 0);
}
#endif
std::vector<Fiber> fibers;
size_t cur;
bool fibered;  // the running kernel's threads are fibers (it may call __syncthreads)
const Launch* running;
void (*body)(const Launch&);

// toScheduler and toFiber switch between the scheduler and fiber cur.
void toScheduler() {
#if INFERTOP_FIBER_ASM
    infertop_fiber_switch(&fibers[cur].sp, schedSP);
#else
    swapcontext(&fibers[cur].ctx, &sched);
#endif
}

void toFiber() {
#if INFERTOP_FIBER_ASM
    infertop_fiber_switch(&schedSP, fibers[cur].sp);
#else
    swapcontext(&sched, &fibers[cur].ctx);
#endif
}

void fiberEntry() {
    body(*running);
    fibers[cur].done = true;
    for (;;) toScheduler();  // never resumed once done
}

void setThread(size_t t) {
    threadIdx.x = t % blockDim.x;
    threadIdx.y = (t / blockDim.x) % blockDim.y;
    threadIdx.z = t / (blockDim.x * blockDim.y);
}

void runBlock(size_t threads) {
    if (!fibered) {
        for (size_t t = 0; t < threads; t++) {
            setThread(t);
            body(*running);
        }
        return;
    }
    if (fibers.size() < threads) fibers.resize(threads);
    for (size_t t = 0; t < threads; t++) {
        Fiber& f = fibers[t];
        f.stack.resize(256 * 1024);
        f.done = false;
        fiberInit(f);
    }
    for (;;) {
        size_t finished = 0, waiting = 0;
        for (size_t t = 0; t < threads; t++) {
            if (fibers[t].done) continue;
            cur = t;
            setThread(t);
            toFiber();
            if (fibers[t].done)
                finished++;
            else
                waiting++;
        }
        if (waiting == 0) return;
        if (finished > 0)
            die(running->name + ": some threads of a block returned while others wait at __syncthreads");
    }
}

}  // namespace

void infertop_host_syncthreads() {
    if (!fibered) die(running->name + " calls __syncthreads: list it as such in host.cc");
    toScheduler();
}

namespace {

struct Kernel {
    const char* name;
    bool sync;  // calls __syncthreads
    void (*run)(const Launch&);
};

const Kernel kernels[] = {
    {"infertop_bias_act", false,
     [](const Launch& l) { infertop_bias_act(l.P(0), l.P(1), l.P(2), l.I(3), l.I(4), l.I(5), l.D(6), l.D(7)); }},
    {"infertop_bias_act_planes", false,
     [](const Launch& l) {
         infertop_bias_act_planes(l.P(0), l.P(1), l.P(2), l.I(3), l.I(4), l.I(5), l.I(6), l.D(7), l.D(8));
     }},
    {"infertop_bias_act_planes_half", false,
     [](const Launch& l) {
         infertop_bias_act_planes_half((const unsigned short*)l.P(0), l.P(1), l.P(2), l.I(3), l.I(4), l.I(5), l.I(6),
                                       l.I(7), l.D(8), l.D(9));
     }},
    {"infertop_layernorm", true,
     [](const Launch& l) {
         infertop_layernorm(l.P(0), l.P(1), l.P(2), l.P(3), l.I(4), l.I(5), l.D(6), l.P(7), l.P(8));
     }},
    {"infertop_softmax_rows", true,
     [](const Launch& l) { infertop_softmax_rows(l.P(0), l.I(1), l.I(2), l.D(3)); }},
    {"infertop_im2col", false,
     [](const Launch& l) {
         infertop_im2col(l.P(0), l.P(1), l.I(2), l.I(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9));
     }},
    {"infertop_im2col_half", false,
     [](const Launch& l) {
         infertop_im2col_half(l.P(0), (unsigned short*)l.P(1), l.I(2), l.I(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8),
                              l.I(9), l.I(10));
     }},
    {"infertop_maxpool2", false,
     [](const Launch& l) { infertop_maxpool2(l.P(0), l.P(1), l.I(2), l.I(3), l.I(4), l.I(5), l.I(6)); }},
    {"infertop_avgpool", false, [](const Launch& l) { infertop_avgpool(l.P(0), l.P(1), l.I(2), l.I(3)); }},
    {"infertop_residual_add", false,
     [](const Launch& l) { infertop_residual_add(l.P(0), l.P(1), l.P(2), l.I(3), l.I(4)); }},
    {"infertop_pool", false,
     [](const Launch& l) {
         infertop_pool(l.P(0), l.P(1), l.I(2), l.I(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9), l.I(10),
                       l.I(11), l.I(12), l.I(13), l.I(14), l.I(15), l.I(16), l.I(17));
     }},
    {"infertop_binary", false,
     [](const Launch& l) {
         infertop_binary(l.P(0), l.P(1), l.P(2), l.I(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9), l.I(10),
                         l.I(11), l.I(12), l.I(13), l.I(14), l.I(15), l.I(16), l.I(17), l.I(18), l.I(19), l.I(20),
                         l.I(21));
     }},
    {"infertop_binary_typed", false,
     [](const Launch& l) {
         infertop_binary_typed(l.P(0), l.P(1), l.P(2), l.I(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9),
                               l.I(10), l.I(11), l.I(12), l.I(13), l.I(14), l.I(15), l.I(16), l.I(17), l.I(18),
                               l.I(19), l.I(20), l.I(21), l.I(22));
     }},
    {"infertop_copy_rows", false,
     [](const Launch& l) { infertop_copy_rows(l.P(0), l.P(1), l.I(2), l.I(3), l.I(4)); }},
    {"infertop_reduce_rows", true,
     [](const Launch& l) { infertop_reduce_rows(l.P(0), l.P(1), l.I(2), l.I(3), l.I(4)); }},
    {"infertop_cast_i64", false, [](const Launch& l) { infertop_cast_i64((const long long*)l.P(0), l.P(1), l.I(2)); }},
    {"infertop_gather_rows", false,
     [](const Launch& l) {
         infertop_gather_rows(l.P(0), (const long long*)l.P(1), l.P(2), l.I(3), l.I(4), l.I(5));
     }},
    {"infertop_gather", false,
     [](const Launch& l) {
         infertop_gather(l.P(0), (const long long*)l.P(1), l.P(2), l.I(3), l.I(4), l.I(5), l.I(6));
     }},
    {"infertop_batchnorm", false,
     [](const Launch& l) {
         infertop_batchnorm(l.P(0), l.P(1), l.P(2), l.P(3), l.P(4), l.P(5), l.I(6), l.I(7), l.I(8), l.I(9), l.D(10));
     }},
    {"infertop_conv3d", false,
     [](const Launch& l) {
         infertop_conv3d(l.P(0), l.P(1), l.P(2), l.P(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9), l.I(10),
                         l.I(11), l.I(12), l.I(13), l.I(14), l.I(15), l.I(16), l.I(17), l.I(18), l.I(19), l.I(20),
                         l.I(21), l.I(22), l.I(23), l.I(24), l.I(25), l.I(26), l.D(27), l.D(28));
     }},
    {"infertop_pool3d", false,
     [](const Launch& l) {
         infertop_pool3d(l.P(0), l.P(1), l.I(2), l.I(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9), l.I(10),
                         l.I(11), l.I(12), l.I(13), l.I(14), l.I(15), l.I(16), l.I(17), l.I(18), l.I(19), l.I(20),
                         l.I(21), l.I(22), l.I(23), l.I(24));
     }},
    {"infertop_to_half", false,
     [](const Launch& l) { infertop_to_half(l.P(0), (unsigned short*)l.P(1), l.I(2), l.I(3)); }},
    {"infertop_conv_direct", false,
     [](const Launch& l) {
         infertop_conv_direct(l.P(0), l.P(1), l.P(2), l.P(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9),
                              l.I(10), l.I(11), l.I(12), l.I(13), l.I(14), l.I(15), l.I(16), l.I(17), l.I(18),
                              l.I(19), l.I(20), l.D(21), l.D(22));
     }},
    {"infertop_conv_m32", true,
     [](const Launch& l) {
         infertop_conv_m32(l.P(0), l.P(1), l.P(2), l.P(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9), l.I(10),
                           l.I(11), l.I(12), l.I(13), l.I(14), l.D(15), l.D(16));
     }},
    {"infertop_conv_m64", true,
     [](const Launch& l) {
         infertop_conv_m64(l.P(0), l.P(1), l.P(2), l.P(3), l.I(4), l.I(5), l.I(6), l.I(7), l.I(8), l.I(9), l.I(10),
                           l.I(11), l.I(12), l.I(13), l.I(14), l.D(15), l.D(16));
     }},
};

// params is each kernel's parameter count, checked against the job.
size_t params(const std::string& name) {
    static const std::pair<const char*, size_t> counts[] = {
        {"infertop_bias_act", 8},      {"infertop_bias_act_planes", 9}, {"infertop_layernorm", 9},
        {"infertop_softmax_rows", 4},  {"infertop_im2col", 10},         {"infertop_maxpool2", 7},
        {"infertop_avgpool", 4},       {"infertop_residual_add", 5},    {"infertop_conv_m32", 17},
        {"infertop_conv_m64", 17},     {"infertop_pool", 18},           {"infertop_binary", 22},
        {"infertop_copy_rows", 5},     {"infertop_conv_direct", 23},    {"infertop_to_half", 4},
        {"infertop_cast_i64", 3},        {"infertop_gather_rows", 6},
        {"infertop_reduce_rows", 5},   {"infertop_binary_typed", 23},
        {"infertop_gather", 7},        {"infertop_batchnorm", 11},
        {"infertop_conv3d", 29},       {"infertop_pool3d", 25},         {"infertop_im2col_half", 11},
        {"infertop_bias_act_planes_half", 10}};
    for (auto& c : counts)
        if (name == c.first) return c.second;
    return 0;
}

void launch(const Launch& l) {
    const Kernel* k = nullptr;
    for (auto& c : kernels)
        if (l.name == c.name) k = &c;
    if (!k) die("no host entry for kernel " + l.name);
    if (l.args.size() != params(l.name))
        die(l.name + ": " + std::to_string(l.args.size()) + " parameters, the kernel takes " +
            std::to_string(params(l.name)));
    size_t threads = (size_t)l.block.x * l.block.y * l.block.z;
    if (threads == 0 || threads > 1024 || l.grid.x == 0 || l.grid.y == 0 || l.grid.z == 0 || l.grid.y > 65535 ||
        l.grid.z > 65535 || l.block.z > 64)
        die(l.name + ": launch geometry outside CUDA's limits");
    running = &l;
    body = k->run;
    fibered = k->sync;
    gridDim = l.grid;
    blockDim = l.block;
    for (unsigned z = 0; z < l.grid.z; z++)
        for (unsigned y = 0; y < l.grid.y; y++)
            for (unsigned x = 0; x < l.grid.x; x++) {
                blockIdx = {x, y, z};
                runBlock(threads);
            }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) die("usage: host JOB OUT");
    in = fopen(argv[1], "rb");
    if (!in) die(std::string("open ") + argv[1]);
    char magic[4];
    if (fread(magic, 1, 4, in) != 4 || memcmp(magic, "IKH1", 4) != 0) die("not a job file");
    uint32_t nb = rd<uint32_t>();
    bufs.resize(nb);
    for (auto& B : bufs) {
        B.n = rd<int64_t>();
        B.mem.assign(B.n + 2 * kGuard, guardValue());
        if (B.n > 0 && fread(B.data(), 4, B.n, in) != (size_t)B.n) die("job file truncated in a buffer");
    }
    uint32_t ns = rd<uint32_t>();
    for (size_t s = 0; s < ns; s++) {
        uint8_t kind = rd<uint8_t>();
        if (kind == 0 || kind == 2) {
            uint8_t type = kind == 2 ? rd<uint8_t>() : 0;
            bool ta = rd<uint8_t>(), tb = rd<uint8_t>();
            int32_t m = rd<int32_t>(), n = rd<int32_t>(), k = rd<int32_t>();
            float alpha = rd<float>(), beta = rd<float>();
            Ref a = rdRef(), b = rdRef(), c = rdRef();
            int32_t lda = rd<int32_t>(), ldb = rd<int32_t>(), ldc = rd<int32_t>(), batch = rd<int32_t>();
            int64_t sa = rd<int64_t>(), sb = rd<int64_t>(), sc = rd<int64_t>();
            for (int32_t e = 0; e < batch; e++) {
                if (type != 0)
                    hgemm(type, ta, tb, m, n, k, alpha, resolveHalf(a, s) + e * sa, lda, resolveHalf(b, s) + e * sb,
                          ldb, beta, resolve(c, s) + e * sc, ldc);
                else
                    sgemm(ta, tb, m, n, k, alpha, resolve(a, s) + e * sa, lda, resolve(b, s) + e * sb, ldb, beta,
                          resolve(c, s) + e * sc, ldc);
            }
            checkGuards(s, "GEMM");
        } else if (kind == 1) {
            Launch l;
            l.step = s;
            uint16_t len = rd<uint16_t>();
            l.name.resize(len);
            if (len && fread(&l.name[0], 1, len, in) != len) die("job file truncated in a name");
            l.grid = {rd<uint32_t>(), rd<uint32_t>(), rd<uint32_t>()};
            l.block = {rd<uint32_t>(), rd<uint32_t>(), rd<uint32_t>()};
            uint32_t na = rd<uint32_t>();
            for (uint32_t i = 0; i < na; i++) {
                Arg a{};
                a.kind = rd<uint8_t>();
                if (a.kind == 0)
                    a.p = resolve(rdRef(), s);
                else if (a.kind == 1)
                    a.i = rd<int64_t>();
                else if (a.kind == 2)
                    a.d = rd<double>();
                else
                    die("unknown parameter kind");
                l.args.push_back(a);
            }
            launch(l);
            checkGuards(s, l.name);
        } else {
            die("unknown step kind");
        }
    }
    fclose(in);
    FILE* out = fopen(argv[2], "wb");
    if (!out) die(std::string("create ") + argv[2]);
    for (auto& B : bufs)
        if (B.n > 0 && fwrite(B.data(), 4, B.n, out) != (size_t)B.n) die("writing the result");
    if (fclose(out) != 0) die("writing the result");
    return 0;
}
