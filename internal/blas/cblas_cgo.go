//go:build cgo && unix

package blas

/*
#cgo linux LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*set_threads_t)(int);
typedef int (*get_int_t)(void);
typedef char *(*get_str_t)(void);

static void *infertop_dlopen(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static const char *infertop_dlerror(void) { return dlerror(); }
static void *infertop_dlsym(void *h, const char *name) { return dlsym(h, name); }

static void infertop_sgemm(void *f, int order, int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	((sgemm_t)f)(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
typedef void (*sgemv_t)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
static void infertop_sgemv(void *f, int order, int ta, int m, int n, float alpha, const float *a, int lda,
		const float *x, float beta, float *y) {
	((sgemv_t)f)(order, ta, m, n, alpha, a, lda, x, 1, beta, y, 1);
}
static void infertop_call_int(void *f, int v) { ((set_threads_t)f)(v); }
static int infertop_get_int(void *f) { return ((get_int_t)f)(); }
static const char *infertop_get_str(void *f) { return ((get_str_t)f)(); }

// The file the symbol was loaded from, or NULL.
static const char *infertop_origin(void *sym) {
	Dl_info info;
	if (dladdr(sym, &info) && info.dli_fname) return info.dli_fname;
	return NULL;
}
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

const cblasRowMajor = 101

// CBLAS is a CBLAS library loaded with dlopen (OpenBLAS, or another that has cblas_sgemm).
type CBLAS struct {
	sgemm      unsafe.Pointer
	sgemv      unsafe.Pointer // cblas_sgemv, or nil
	setThreads unsafe.Pointer // openblas_set_num_threads, or nil
	getThreads unsafe.Pointer // openblas_get_num_threads, or nil
	name       string
	desc       string
	threads    int
}

func sym(h unsafe.Pointer, name string) unsafe.Pointer {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.infertop_dlsym(h, cs)
}

// loadCBLAS opens the library named (a path, or a name the dynamic loader searches).
// The library is never closed: OpenBLAS keeps threads that would outlive it.
func loadCBLAS(name string) (Library, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	h := C.infertop_dlopen(cs)
	if h == nil {
		return nil, fmt.Errorf("dlopen %s: %s", name, C.GoString(C.infertop_dlerror()))
	}
	l := &CBLAS{sgemm: sym(h, "cblas_sgemm"), sgemv: sym(h, "cblas_sgemv"), setThreads: sym(h, "openblas_set_num_threads"), getThreads: sym(h, "openblas_get_num_threads")}
	if l.sgemm == nil {
		return nil, fmt.Errorf("%s has no cblas_sgemm", name)
	}
	path := name
	if p := C.infertop_origin(l.sgemm); p != nil {
		path = C.GoString(p)
	}
	config := sym(h, "openblas_get_config")
	if config == nil || l.setThreads == nil {
		l.name, l.desc = "cblas", "CBLAS "+path
		l.setThreads, l.threads = nil, 0
		return l, nil
	}
	l.name = "openblas"
	// "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"
	f := strings.Fields(C.GoString(C.infertop_get_str(config)))
	version := "OpenBLAS"
	if len(f) >= 2 {
		version = f[0] + " " + f[1]
	}
	var traits []string
	if par := sym(h, "openblas_get_parallel"); par != nil {
		switch C.infertop_get_int(par) {
		case 0:
			traits = append(traits, "sequential")
		case 1:
			traits = append(traits, "pthread")
		case 2:
			traits = append(traits, "openmp")
		}
	}
	if core := sym(h, "openblas_get_corename"); core != nil {
		if s := strings.TrimSpace(C.GoString(C.infertop_get_str(core))); s != "" {
			traits = append(traits, s)
		}
	}
	l.desc = version
	if len(traits) > 0 {
		l.desc += " (" + strings.Join(traits, ", ") + ")"
	}
	l.desc += " " + path
	if l.getThreads != nil {
		l.threads = int(C.infertop_get_int(l.getThreads))
	}
	return l, nil
}

// Name is "openblas", or "cblas" for a library without OpenBLAS's extensions.
func (l *CBLAS) Name() string { return l.name }

// Description names the library, its version and threading, and the file loaded.
func (l *CBLAS) Description() string { return l.desc }

// Fallback is false.
func (l *CBLAS) Fallback() bool { return false }

// SetThreads calls openblas_set_num_threads (process-wide). A library
// without it keeps its own setting.
func (l *CBLAS) SetThreads(n int) {
	if l.setThreads == nil {
		return
	}
	n = max(n, 1)
	C.infertop_call_int(l.setThreads, C.int(n))
	l.threads = n
}

// Threads is the library's thread count as OpenBLAS reports it now (0 when unknown).
func (l *CBLAS) Threads() int {
	if l.getThreads != nil {
		return int(C.infertop_get_int(l.getThreads))
	}
	return l.threads
}

// SgemmThreads runs one cblas_sgemm on up to threads of OpenBLAS's threads
// and sets OpenBLAS back to one thread per call; false without
// openblas_set_num_threads.
func (l *CBLAS) SgemmThreads(threads int, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if l.setThreads == nil {
		return false
	}
	l.SetThreads(threads)
	l.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	l.SetThreads(1)
	return true
}

// Sgemm calls cblas_sgemm(CblasRowMajor, ...).
func (l *CBLAS) Sgemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	var pa, pb *float32
	if k > 0 {
		pa, pb = &a[0], &b[0]
	} else {
		var z float32
		pa, pb, lda, ldb = &z, &z, max(lda, 1), max(ldb, 1)
	}
	C.infertop_sgemm(l.sgemm, cblasRowMajor, C.int(tA), C.int(tB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(pa)), C.int(lda), (*C.float)(unsafe.Pointer(pb)), C.int(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.int(ldc))
}

// Sgemv calls cblas_sgemv(CblasRowMajor, ...), or cblas_sgemm with one row
// or column when the library has no cblas_sgemv.
func (l *CBLAS) Sgemv(tA Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	checkGemv(tA, m, n, a, lda, x, y)
	if m <= 0 || n <= 0 {
		return
	}
	if l.sgemv == nil {
		// y (1×yn) = x (1×xn) · op(A)ᵀ
		yn, xn, t := m, n, Trans
		if tA == Trans {
			yn, xn, t = n, m, NoTrans
		}
		l.Sgemm(NoTrans, t, 1, yn, xn, alpha, x, xn, a, lda, beta, y, yn)
		return
	}
	C.infertop_sgemv(l.sgemv, cblasRowMajor, C.int(tA), C.int(m), C.int(n), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.int(lda), (*C.float)(unsafe.Pointer(&x[0])), C.float(beta),
		(*C.float)(unsafe.Pointer(&y[0])))
}
