//go:build gpu

package cuda

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "dlload.h"

typedef struct {
	void* lib;
	int (*create)(void**);
	int (*destroy)(void*);
	int (*setStream)(void*, void*);
	int (*setMathMode)(void*, int);
	int (*getVersion)(void*, int*);
	int (*sgemm)(void*, int, int, int, int, int, const float*, const float*, int, const float*, int,
	             const float*, float*, int);
	int (*sgemmSB)(void*, int, int, int, int, int, const float*, const float*, int, long long,
	               const float*, int, long long, const float*, float*, int, long long, int);
	int (*gemmEx)(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int,
	              const void*, void*, int, int, int, int);
	int (*gemmExSB)(void*, int, int, int, int, int, const void*, const void*, int, int, long long, const void*, int,
	                int, long long, const void*, void*, int, int, long long, int, int, int);
	char path[4096];
} infertop_cublas;

// infertop_cublas_open loads libcublas from path and resolves the entry points
// infertop calls; on failure it returns NULL and writes why into err.
static infertop_cublas* infertop_cublas_open(const char* path, char* err, int errlen) {
	infertop_cublas* c = (infertop_cublas*)calloc(1, sizeof(infertop_cublas));
	const char* const names[] = {"cublasCreate_v2", "cublasDestroy_v2", "cublasSetStream_v2", "cublasSetMathMode",
	                             "cublasGetVersion_v2", "cublasSgemm_v2", "cublasSgemmStridedBatched",
	                             "cublasGemmEx", "cublasGemmStridedBatchedEx"};
	void** const slots[] = {(void**)&c->create, (void**)&c->destroy, (void**)&c->setStream, (void**)&c->setMathMode,
	                        (void**)&c->getVersion, (void**)&c->sgemm, (void**)&c->sgemmSB,
	                        (void**)&c->gemmEx, (void**)&c->gemmExSB};
	c->lib = infertop_dl_open(path, names, slots, 9, err, errlen, c->path, sizeof(c->path));
	if (!c->lib) {
		free(c);
		return NULL;
	}
	return c;
}

static int infertop_cublas_create(infertop_cublas* c, uintptr_t* h) {
	void* p = 0;
	int r = c->create(&p);
	*h = (uintptr_t)p;
	return r;
}
static int infertop_cublas_destroy(infertop_cublas* c, uintptr_t h) { return c->destroy((void*)h); }
static int infertop_cublas_set_stream(infertop_cublas* c, uintptr_t h, uintptr_t s) { return c->setStream((void*)h, (void*)s); }
static int infertop_cublas_set_math(infertop_cublas* c, uintptr_t h, int m) { return c->setMathMode((void*)h, m); }
static int infertop_cublas_version(infertop_cublas* c, uintptr_t h, int* v) { return c->getVersion((void*)h, v); }
static int infertop_sgemm(infertop_cublas* c, uintptr_t h, int ta, int tb, int m, int n, int k, float alpha,
                          uintptr_t A, int lda, uintptr_t B, int ldb, float beta, uintptr_t C, int ldc) {
	return c->sgemm((void*)h, ta, tb, m, n, k, &alpha, (const float*)A, lda, (const float*)B, ldb, &beta, (float*)C, ldc);
}
static int infertop_sgemm_sb(infertop_cublas* c, uintptr_t h, int ta, int tb, int m, int n, int k, float alpha,
                             uintptr_t A, int lda, long long sa, uintptr_t B, int ldb, long long sb, float beta,
                             uintptr_t C, int ldc, long long sc, int batch) {
	return c->sgemmSB((void*)h, ta, tb, m, n, k, &alpha, (const float*)A, lda, sa, (const float*)B, ldb, sb, &beta,
	                  (float*)C, ldc, sc, batch);
}

// cudaDataType_t and cublasComputeType_t values GemmEx takes.
enum {
	INFERTOP_R_32F = 0,
	INFERTOP_R_16F = 2,
	INFERTOP_R_16BF = 14,
	INFERTOP_COMPUTE_32F = 68,
	INFERTOP_GEMM_DEFAULT = -1,
};

// infertop_gemm_ex is cublasGemmEx with A and B of type ab (CUDA_R_16F or
// CUDA_R_16BF), C float32, float32 sums (CUBLAS_COMPUTE_32F: tensor cores).
static int infertop_gemm_ex(infertop_cublas* c, uintptr_t h, int ta, int tb, int m, int n, int k, float alpha,
                            uintptr_t A, int ab, int lda, uintptr_t B, int ldb, float beta, uintptr_t C, int ldc) {
	return c->gemmEx((void*)h, ta, tb, m, n, k, &alpha, (const void*)A, ab, lda, (const void*)B, ab, ldb, &beta,
	                 (void*)C, INFERTOP_R_32F, ldc, INFERTOP_COMPUTE_32F, INFERTOP_GEMM_DEFAULT);
}
static int infertop_gemm_ex_sb(infertop_cublas* c, uintptr_t h, int ta, int tb, int m, int n, int k, float alpha,
                               uintptr_t A, int ab, int lda, long long sa, uintptr_t B, int ldb, long long sb,
                               float beta, uintptr_t C, int ldc, long long sc, int batch) {
	return c->gemmExSB((void*)h, ta, tb, m, n, k, &alpha, (const void*)A, ab, lda, sa, (const void*)B, ab, ldb, sb,
	                   &beta, (void*)C, INFERTOP_R_32F, ldc, sc, batch, INFERTOP_COMPUTE_32F, INFERTOP_GEMM_DEFAULT);
}
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"
)

// cublas is a loaded libcublas: the entry points infertop calls.
type cublas struct {
	c *C.infertop_cublas
	// Path is the file the loader opened.
	Path string
}

// cublasHandle is one cublasHandle_t.
type cublasHandle C.uintptr_t

// loadCublas tries each candidate library in order and returns the first that loads.
func loadCublas() (*cublas, error) {
	home, _ := os.UserHomeDir()
	cands := CublasCandidates(os.Getenv, home, filepath.Glob)
	var why []string
	errbuf := (*C.char)(C.calloc(1, 1024))
	defer C.free(unsafe.Pointer(errbuf))
	for _, p := range cands {
		cp := C.CString(p)
		c := C.infertop_cublas_open(cp, errbuf, 1024)
		C.free(unsafe.Pointer(cp))
		if c != nil {
			return &cublas{c: c, Path: C.GoString(&c.path[0])}, nil
		}
		why = append(why, C.GoString(errbuf))
	}
	return nil, fmt.Errorf("no usable cuBLAS (set %s to a libcublas.so.N); tried:\n  %s", CublasEnv, strings.Join(why, "\n  "))
}

// cublasStatusNames are cublasStatus_t's values.
func cublasStatus(r C.int) string {
	switch r {
	case 1:
		return "CUBLAS_STATUS_NOT_INITIALIZED"
	case 3:
		return "CUBLAS_STATUS_ALLOC_FAILED"
	case 7:
		return "CUBLAS_STATUS_INVALID_VALUE"
	case 8:
		return "CUBLAS_STATUS_ARCH_MISMATCH"
	case 11:
		return "CUBLAS_STATUS_MAPPING_ERROR"
	case 13:
		return "CUBLAS_STATUS_EXECUTION_FAILED"
	case 14:
		return "CUBLAS_STATUS_INTERNAL_ERROR"
	case 15:
		return "CUBLAS_STATUS_NOT_SUPPORTED"
	case 16:
		return "CUBLAS_STATUS_LICENSE_ERROR"
	}
	return "unknown cuBLAS status"
}

func blasErr(call string, r C.int) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s (%d)", call, cublasStatus(r), int(r))
}

// cuBLAS math modes: full float32, or TF32 tensor-core products.
const (
	cublasDefaultMath = 0 // CUBLAS_DEFAULT_MATH
	cublasTF32Math    = 3 // CUBLAS_TF32_TENSOR_OP_MATH (cuBLAS 11 and later)
)

// newHandle creates a handle in the current context bound to stream, in
// full float32 or, with tf32, allowed TF32 tensor-core products.
func (b *cublas) newHandle(stream unsafe.Pointer, tf32 bool) (cublasHandle, int, error) {
	var h C.uintptr_t
	if err := blasErr("cublasCreate_v2", C.infertop_cublas_create(b.c, &h)); err != nil {
		return 0, 0, err
	}
	if err := blasErr("cublasSetStream_v2", C.infertop_cublas_set_stream(b.c, h, C.uintptr_t(uintptr(stream)))); err != nil {
		C.infertop_cublas_destroy(b.c, h)
		return 0, 0, err
	}
	mode, name := C.int(cublasDefaultMath), "cublasSetMathMode(CUBLAS_DEFAULT_MATH)"
	if tf32 {
		mode, name = cublasTF32Math, "cublasSetMathMode(CUBLAS_TF32_TENSOR_OP_MATH)"
	}
	if err := blasErr(name, C.infertop_cublas_set_math(b.c, h, mode)); err != nil {
		C.infertop_cublas_destroy(b.c, h)
		return 0, 0, err
	}
	var v C.int
	if err := blasErr("cublasGetVersion_v2", C.infertop_cublas_version(b.c, h, &v)); err != nil {
		C.infertop_cublas_destroy(b.c, h)
		return 0, 0, err
	}
	return cublasHandle(h), int(v), nil
}

func (b *cublas) destroy(h cublasHandle) error {
	return blasErr("cublasDestroy_v2", C.infertop_cublas_destroy(b.c, C.uintptr_t(h)))
}

func op(t bool) C.int {
	if t {
		return 1 // CUBLAS_OP_T
	}
	return 0 // CUBLAS_OP_N
}

// cudaType is the cudaDataType_t of a half type.
func cudaType(t Elem) C.int {
	if t == ElemBF16 {
		return C.INFERTOP_R_16BF
	}
	return C.INFERTOP_R_16F
}

// gemm issues g with resolved device addresses a, bb, c: cublasSgemm, or
// cublasGemmEx when A and B are of a half type.
func (b *cublas) gemm(h cublasHandle, g *Gemm, a, bb, c uintptr) C.int {
	if g.In != ElemF32 {
		return b.gemmEx(h, g, a, bb, c)
	}
	if g.Batch <= 1 {
		return C.infertop_sgemm(b.c, C.uintptr_t(h), op(g.TransA), op(g.TransB), C.int(g.M), C.int(g.N), C.int(g.K),
			C.float(g.Alpha), C.uintptr_t(a), C.int(g.LdA), C.uintptr_t(bb), C.int(g.LdB), C.float(g.Beta), C.uintptr_t(c), C.int(g.LdC))
	}
	return C.infertop_sgemm_sb(b.c, C.uintptr_t(h), op(g.TransA), op(g.TransB), C.int(g.M), C.int(g.N), C.int(g.K),
		C.float(g.Alpha), C.uintptr_t(a), C.int(g.LdA), C.longlong(g.StrideA), C.uintptr_t(bb), C.int(g.LdB), C.longlong(g.StrideB),
		C.float(g.Beta), C.uintptr_t(c), C.int(g.LdC), C.longlong(g.StrideC), C.int(g.Batch))
}

// gemmEx issues g, whose A and B are of a half type, as cublasGemmEx.
func (b *cublas) gemmEx(h cublasHandle, g *Gemm, a, bb, c uintptr) C.int {
	ab := cudaType(g.In)
	if g.Batch <= 1 {
		return C.infertop_gemm_ex(b.c, C.uintptr_t(h), op(g.TransA), op(g.TransB), C.int(g.M), C.int(g.N), C.int(g.K),
			C.float(g.Alpha), C.uintptr_t(a), ab, C.int(g.LdA), C.uintptr_t(bb), C.int(g.LdB), C.float(g.Beta), C.uintptr_t(c), C.int(g.LdC))
	}
	return C.infertop_gemm_ex_sb(b.c, C.uintptr_t(h), op(g.TransA), op(g.TransB), C.int(g.M), C.int(g.N), C.int(g.K),
		C.float(g.Alpha), C.uintptr_t(a), ab, C.int(g.LdA), C.longlong(g.StrideA), C.uintptr_t(bb), C.int(g.LdB), C.longlong(g.StrideB),
		C.float(g.Beta), C.uintptr_t(c), C.int(g.LdC), C.longlong(g.StrideC), C.int(g.Batch))
}

// versionString prints cuBLAS's integer version (e.g. 130100 → "13.1.0").
func cublasVersionString(v int) string {
	return fmt.Sprintf("%d.%d.%d", v/10000, v%10000/100, v%100)
}
