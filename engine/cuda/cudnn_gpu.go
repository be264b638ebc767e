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

// The few cuDNN values infertop passes; they are the same in cuDNN 8 and 9.
enum {
	DNN_TENSOR_NCHW = 0,
	DNN_DATA_FLOAT = 0,
	DNN_DATA_HALF = 2,
	DNN_DATA_BFLOAT16 = 9,
	DNN_CROSS_CORRELATION = 1,
	DNN_DEFAULT_MATH = 0,
	DNN_TENSOR_OP_MATH = 1,
	DNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
	DNN_FMA_MATH = 3,
	DNN_FWD_ALGO_COUNT = 8,
};

// cudnnConvolutionFwdAlgoPerf_t, as cuDNN 8 and 9 declare it.
typedef struct {
	int algo;
	int status;
	float time;
	size_t memory;
	int determinism;
	int mathType;
	int reserved[3];
} infertop_dnn_perf;

typedef struct {
	void* lib;
	size_t (*getVersion)(void);
	const char* (*errorString)(int);
	int (*create)(void**);
	int (*destroy)(void*);
	int (*setStream)(void*, void*);
	int (*createTensor)(void**);
	int (*setTensor4d)(void*, int, int, int, int, int, int);
	int (*destroyTensor)(void*);
	int (*createFilter)(void**);
	int (*setFilter4d)(void*, int, int, int, int, int, int);
	int (*destroyFilter)(void*);
	int (*createConv)(void**);
	int (*setConv2d)(void*, int, int, int, int, int, int, int, int);
	int (*setConvMath)(void*, int);
	int (*setConvGroups)(void*, int);
	int (*destroyConv)(void*);
	int (*outputDims)(void*, void*, void*, int*, int*, int*, int*);
	int (*getAlgo)(void*, void*, void*, void*, void*, int, int*, infertop_dnn_perf*);
	int (*forward)(void*, const void*, void*, const void*, void*, const void*, void*, int, void*, size_t,
	               const void*, void*, void*);
	char path[4096];
} infertop_cudnn;

// One convolution's descriptors and the algorithm cuDNN's heuristics chose.
typedef struct {
	void* x;
	void* w;
	void* conv;
	void* y;
	int algo;
	size_t ws;
} infertop_dnn_conv;

// infertop_cudnn_open loads libcudnn from path and resolves the entry points
// infertop calls; on failure it returns NULL and writes why into err.
static infertop_cudnn* infertop_cudnn_open(const char* path, char* err, int errlen) {
	infertop_cudnn* c = (infertop_cudnn*)calloc(1, sizeof(infertop_cudnn));
	const char* const names[] = {
		"cudnnGetVersion", "cudnnGetErrorString", "cudnnCreate", "cudnnDestroy", "cudnnSetStream",
		"cudnnCreateTensorDescriptor", "cudnnSetTensor4dDescriptor", "cudnnDestroyTensorDescriptor",
		"cudnnCreateFilterDescriptor", "cudnnSetFilter4dDescriptor", "cudnnDestroyFilterDescriptor",
		"cudnnCreateConvolutionDescriptor", "cudnnSetConvolution2dDescriptor", "cudnnSetConvolutionMathType",
		"cudnnSetConvolutionGroupCount", "cudnnDestroyConvolutionDescriptor", "cudnnGetConvolution2dForwardOutputDimensions",
		"cudnnGetConvolutionForwardAlgorithm_v7", "cudnnConvolutionForward"};
	void** const slots[] = {
		(void**)&c->getVersion, (void**)&c->errorString, (void**)&c->create, (void**)&c->destroy, (void**)&c->setStream,
		(void**)&c->createTensor, (void**)&c->setTensor4d, (void**)&c->destroyTensor,
		(void**)&c->createFilter, (void**)&c->setFilter4d, (void**)&c->destroyFilter,
		(void**)&c->createConv, (void**)&c->setConv2d, (void**)&c->setConvMath,
		(void**)&c->setConvGroups, (void**)&c->destroyConv, (void**)&c->outputDims,
		(void**)&c->getAlgo, (void**)&c->forward};
	c->lib = infertop_dl_open(path, names, slots, (int)(sizeof(names) / sizeof(names[0])), err, errlen, c->path,
	                          sizeof(c->path));
	if (!c->lib) {
		free(c);
		return NULL;
	}
	return c;
}

// infertop_dl_preload opens path with its symbols global, so that a library
// loaded later finds it by soname; it reports whether that worked.
static int infertop_dl_preload(const char* path) { return dlopen(path, RTLD_LAZY | RTLD_GLOBAL) != NULL; }

static size_t infertop_cudnn_version(infertop_cudnn* c) { return c->getVersion(); }
static const char* infertop_cudnn_error(infertop_cudnn* c, int r) {
	const char* s = c->errorString(r);
	return s ? s : "unknown cuDNN status";
}
static int infertop_cudnn_create(infertop_cudnn* c, uintptr_t* h) {
	void* p = 0;
	int r = c->create(&p);
	*h = (uintptr_t)p;
	return r;
}
static int infertop_cudnn_destroy(infertop_cudnn* c, uintptr_t h) { return c->destroy((void*)h); }
static int infertop_cudnn_set_stream(infertop_cudnn* c, uintptr_t h, uintptr_t s) { return c->setStream((void*)h, (void*)s); }

// infertop_dnn_conv_free destroys whatever descriptors d holds.
static void infertop_dnn_conv_free(infertop_cudnn* c, infertop_dnn_conv* d) {
	if (d->x) c->destroyTensor(d->x);
	if (d->y) c->destroyTensor(d->y);
	if (d->w) c->destroyFilter(d->w);
	if (d->conv) c->destroyConv(d->conv);
	memset(d, 0, sizeof(*d));
}

// The modes of a convolution: float32 data and FMA math only, float32 data
// with TF32 tensor cores allowed, or half-precision data (x, filter and y)
// with float32 sums ("pseudo half") on tensor cores.
enum { DNN_MODE_FP32 = 0, DNN_MODE_TF32 = 1, DNN_MODE_FP16 = 2, DNN_MODE_BF16 = 3 };

// infertop_dnn_usable reports whether an algorithm of math type m may run
// in mode: FMA always; the default and tensor-op math types with TF32 or
// half-precision data; never one that converts float32 data to half
// precision behind the caller's back.
static int infertop_dnn_usable(int m, int mode) {
	if (m == DNN_FMA_MATH) return 1;
	return mode != DNN_MODE_FP32 && (m == DNN_DEFAULT_MATH || m == DNN_TENSOR_OP_MATH);
}

// infertop_dnn_conv_setup describes one convolution (NCHW, square kernel,
// group groups of channels: a filter of ch/group channels and, when group >
// 1, cudnnSetConvolutionGroupCount; float32 data in FMA math, or with TF32
// the default math that allows TF32 tensor cores, or fp16/bf16 data with
// float32 sums in the default math), checks cuDNN's output size against oh × ow, and takes the first
// algorithm of cuDNN's heuristic ranking that succeeds in a usable math type
// within maxWs bytes of workspace, setting that math type on the descriptor
// as cuDNN asks. A failing call returns its status and names itself in
// *call; a shape mismatch or no usable algorithm returns -1 with the reason
// in *call.
static int infertop_dnn_conv_setup(infertop_cudnn* c, uintptr_t h, infertop_dnn_conv* d, int n, int ch, int hh, int ww,
                                   int out, int k, int stride, int pad, int oh, int ow, int group, size_t maxWs,
                                   int mode, const char** call) {
	int r;
	const int dt = mode == DNN_MODE_FP16 ? DNN_DATA_HALF : mode == DNN_MODE_BF16 ? DNN_DATA_BFLOAT16 : DNN_DATA_FLOAT;
	memset(d, 0, sizeof(*d));
#define DNN(expr, name) do { r = (expr); if (r != 0) { *call = name; infertop_dnn_conv_free(c, d); return r; } } while (0)
	DNN(c->createTensor(&d->x), "cudnnCreateTensorDescriptor");
	DNN(c->createTensor(&d->y), "cudnnCreateTensorDescriptor");
	DNN(c->createFilter(&d->w), "cudnnCreateFilterDescriptor");
	DNN(c->createConv(&d->conv), "cudnnCreateConvolutionDescriptor");
	DNN(c->setTensor4d(d->x, DNN_TENSOR_NCHW, dt, n, ch, hh, ww), "cudnnSetTensor4dDescriptor(x)");
	DNN(c->setFilter4d(d->w, dt, DNN_TENSOR_NCHW, out, ch / group, k, k), "cudnnSetFilter4dDescriptor");
	DNN(c->setConv2d(d->conv, pad, pad, stride, stride, 1, 1, DNN_CROSS_CORRELATION, DNN_DATA_FLOAT),
	    "cudnnSetConvolution2dDescriptor");
	if (group > 1) {
		DNN(c->setConvGroups(d->conv, group), "cudnnSetConvolutionGroupCount");
	}
	DNN(c->setConvMath(d->conv, mode != DNN_MODE_FP32 ? DNN_DEFAULT_MATH : DNN_FMA_MATH), "cudnnSetConvolutionMathType");
	int gn, gc, gh, gw;
	DNN(c->outputDims(d->conv, d->x, d->w, &gn, &gc, &gh, &gw), "cudnnGetConvolution2dForwardOutputDimensions");
	if (gn != n || gc != out || gh != oh || gw != ow) {
		*call = "cuDNN's output shape differs from the plan's";
		infertop_dnn_conv_free(c, d);
		return -1;
	}
	DNN(c->setTensor4d(d->y, DNN_TENSOR_NCHW, dt, n, out, oh, ow), "cudnnSetTensor4dDescriptor(y)");
	infertop_dnn_perf perf[DNN_FWD_ALGO_COUNT];
	int got = 0;
	DNN(c->getAlgo((void*)h, d->x, d->w, d->conv, d->y, DNN_FWD_ALGO_COUNT, &got, perf), "cudnnGetConvolutionForwardAlgorithm_v7");
	for (int i = 0; i < got && i < DNN_FWD_ALGO_COUNT; i++) {
		if (perf[i].status == 0 && infertop_dnn_usable(perf[i].mathType, mode) && perf[i].memory <= maxWs) {
			if (mode != DNN_MODE_FP32) {
				DNN(c->setConvMath(d->conv, perf[i].mathType), "cudnnSetConvolutionMathType");
			}
			d->algo = perf[i].algo;
			d->ws = perf[i].memory;
			return 0;
		}
	}
#undef DNN
	*call = mode == DNN_MODE_TF32   ? "no algorithm of cuDNN's ranking runs this convolution in float32 or TF32 within the workspace limit"
	        : mode != DNN_MODE_FP32 ? "no algorithm of cuDNN's ranking runs this half-precision convolution within the workspace limit"
	                                : "no algorithm of cuDNN's ranking runs this convolution in FMA math within the workspace limit";
	infertop_dnn_conv_free(c, d);
	return -1;
}

static int infertop_dnn_conv_run(infertop_cudnn* c, uintptr_t h, infertop_dnn_conv* d, uintptr_t x, uintptr_t w,
                                 uintptr_t y, uintptr_t ws, size_t wsBytes) {
	const float one = 1.0f, zero = 0.0f;
	return c->forward((void*)h, &one, d->x, (const void*)x, d->w, (const void*)w, d->conv, d->algo, (void*)ws, wsBytes,
	                  &zero, d->y, (void*)y);
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

// CudnnMaxWorkspace bounds the workspace one cuDNN convolution may use: an
// algorithm that needs more is passed over for the next in cuDNN's ranking.
const CudnnMaxWorkspace = 256 << 20

// cudnn is a loaded libcudnn: the entry points infertop calls.
type cudnn struct {
	c *C.infertop_cudnn
	// Path is the file the loader opened.
	Path string
	// Version is cudnnGetVersion's number (e.g. 90100 for 9.1.0, 8906 for 8.9.6).
	Version int
}

// cudnnHandle is one cudnnHandle_t.
type cudnnHandle C.uintptr_t

// loadCudnn tries each candidate library in order and returns the first that
// loads, or an error that says why none did. Before opening a file by path
// it preloads the sublibraries beside it (libcudnn_*.so.N), which cuDNN
// opens by soname and which a Python wheel's folder holds outside the
// loader's path.
func loadCudnn() (*cudnn, error) {
	home, _ := os.UserHomeDir()
	cands := CudnnCandidates(os.Getenv, home, filepath.Glob)
	if len(cands) == 0 {
		return nil, fmt.Errorf("%s=off", CudnnEnv)
	}
	var why []string
	errbuf := (*C.char)(C.calloc(1, 1024))
	defer C.free(unsafe.Pointer(errbuf))
	for _, p := range cands {
		if strings.Contains(p, "/") {
			preloadBeside(p)
		}
		cp := C.CString(p)
		c := C.infertop_cudnn_open(cp, errbuf, 1024)
		C.free(unsafe.Pointer(cp))
		if c == nil {
			why = append(why, C.GoString(errbuf))
			continue
		}
		d := &cudnn{c: c, Path: C.GoString(&c.path[0]), Version: int(C.infertop_cudnn_version(c))}
		if d.Version < 8000 {
			why = append(why, fmt.Sprintf("%s: cuDNN %s is older than 8.0 (no FMA-only math mode)", d.Path, d.VersionString()))
			continue
		}
		return d, nil
	}
	return nil, fmt.Errorf("no usable cuDNN (set %s to a libcudnn.so.N); tried:\n  %s", CudnnEnv, strings.Join(why, "\n  "))
}

// preloadBeside opens, with global symbols, the cuDNN sublibraries in the
// folder of lib that carry lib's major version. Some depend on others, so a
// second pass retries the ones that failed; what still fails is left to
// cuDNN's own loading, which reports it when a call needs it.
func preloadBeside(lib string) {
	major := soVersion(lib)
	if major == "" {
		return
	}
	subs, _ := filepath.Glob(filepath.Join(filepath.Dir(lib), "libcudnn_*.so."+major))
	for range 2 {
		var failed []string
		for _, s := range subs {
			cs := C.CString(s)
			if C.infertop_dl_preload(cs) == 0 {
				failed = append(failed, s)
			}
			C.free(unsafe.Pointer(cs))
		}
		subs = failed
	}
}

// VersionString prints cuDNN's version number: 90100 → "9.1.0" (cuDNN 9),
// 8906 → "8.9.6" (cuDNN 8 and older).
func (d *cudnn) VersionString() string {
	v := d.Version
	if v >= 90000 {
		return fmt.Sprintf("%d.%d.%d", v/10000, v%10000/100, v%100)
	}
	return fmt.Sprintf("%d.%d.%d", v/1000, v%1000/100, v%100)
}

// err turns a cuDNN status into an error naming the call, with cuDNN's own text.
func (d *cudnn) err(call string, r C.int) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s (status %d)", call, C.GoString(C.infertop_cudnn_error(d.c, r)), int(r))
}

// newHandle creates a handle in the current context bound to stream.
func (d *cudnn) newHandle(stream unsafe.Pointer) (cudnnHandle, error) {
	var h C.uintptr_t
	if err := d.err("cudnnCreate", C.infertop_cudnn_create(d.c, &h)); err != nil {
		return 0, err
	}
	if err := d.err("cudnnSetStream", C.infertop_cudnn_set_stream(d.c, h, C.uintptr_t(uintptr(stream)))); err != nil {
		C.infertop_cudnn_destroy(d.c, h)
		return 0, err
	}
	return cudnnHandle(h), nil
}

func (d *cudnn) destroy(h cudnnHandle) error {
	return d.err("cudnnDestroy", C.infertop_cudnn_destroy(d.c, C.uintptr_t(h)))
}

// dnnConv is one convolution's cuDNN descriptors and algorithm, allocated
// in C memory so that cgo calls may keep pointers to it.
type dnnConv struct {
	d *C.infertop_dnn_conv
}

// setup describes cc to cuDNN and picks its algorithm: in full float32 or,
// with tf32, allowing TF32 tensor cores; in a half type when cc is of one
// (see infertop_dnn_conv_setup).
func (d *cudnn) setup(h cudnnHandle, cc *ConvCall, tf32 bool) (dnnConv, error) {
	mode := b2i(tf32) // DNN_MODE_FP32 or DNN_MODE_TF32
	switch cc.Type {
	case ElemF16:
		mode = 2
	case ElemBF16:
		mode = 3
	}
	p := (*C.infertop_dnn_conv)(C.calloc(1, C.sizeof_infertop_dnn_conv))
	var call *C.char
	r := C.infertop_dnn_conv_setup(d.c, C.uintptr_t(h), p, C.int(cc.N), C.int(cc.C), C.int(cc.H), C.int(cc.W),
		C.int(cc.Out), C.int(cc.K), C.int(cc.Stride), C.int(cc.Pad), C.int(cc.OH), C.int(cc.OW), C.int(cc.Groups()),
		C.size_t(CudnnMaxWorkspace), C.int(mode), &call)
	if r != 0 {
		C.free(unsafe.Pointer(p))
		if r == -1 {
			return dnnConv{}, fmt.Errorf("cuDNN: %s", C.GoString(call))
		}
		return dnnConv{}, d.err(C.GoString(call), r)
	}
	return dnnConv{d: p}, nil
}

// workspace is the bytes the chosen algorithm needs.
func (c dnnConv) workspace() int64 { return int64(c.d.ws) }

// algo is the chosen cudnnConvolutionFwdAlgo_t.
func (c dnnConv) algo() int { return int(c.d.algo) }

// free destroys the descriptors.
func (d *cudnn) free(c dnnConv) {
	if c.d != nil {
		C.infertop_dnn_conv_free(d.c, c.d)
		C.free(unsafe.Pointer(c.d))
	}
}

// forward issues the convolution on the handle's stream.
func (d *cudnn) forward(h cudnnHandle, c dnnConv, x, w, y, ws uintptr, wsBytes int64) C.int {
	return C.infertop_dnn_conv_run(d.c, C.uintptr_t(h), c.d, C.uintptr_t(x), C.uintptr_t(w), C.uintptr_t(y),
		C.uintptr_t(ws), C.size_t(wsBytes))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
