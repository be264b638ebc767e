// A stand-in for libcudnn with the prototypes of cuDNN 8 and 9 for the calls
// infertop's shim makes. Every call prints one line (what it was given), so a
// test can read the transcript of what the shim passed. FAKE_ALGOS scripts
// cudnnGetConvolutionForwardAlgorithm_v7's answer: entries "algo:status:math:bytes"
// separated by commas, best first. FAKE_FAIL names one call that returns status 3.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int algo;
	int status;
	float time;
	size_t memory;
	int determinism;
	int mathType;
	int reserved[3];
} perf_t;

typedef struct {
	int kind; // 1 tensor, 2 filter, 3 convolution
	int v[9];
} desc_t;

static int live;

static int fail(const char* call) {
	const char* f = getenv("FAKE_FAIL");
	return f && strcmp(f, call) == 0 ? 3 : 0;
}

static desc_t* mk(int kind) {
	desc_t* d = calloc(1, sizeof(desc_t));
	d->kind = kind;
	live++;
	return d;
}

int fake_live(void) { return live; }

size_t cudnnGetVersion(void) { return 90100; }

const char* cudnnGetErrorString(int s) {
	static char buf[64];
	snprintf(buf, sizeof buf, "FAKE_STATUS_%d", s);
	return buf;
}

int cudnnCreate(void** h) {
	*h = mk(0);
	printf("cudnnCreate\n");
	return fail("cudnnCreate");
}

int cudnnDestroy(void* h) {
	free(h);
	live--;
	printf("cudnnDestroy\n");
	return 0;
}

int cudnnSetStream(void* h, void* s) {
	(void)h;
	printf("cudnnSetStream %p\n", s);
	return fail("cudnnSetStream");
}

int cudnnCreateTensorDescriptor(void** d) {
	*d = mk(1);
	return fail("cudnnCreateTensorDescriptor");
}

int cudnnCreateFilterDescriptor(void** d) {
	*d = mk(2);
	return 0;
}

int cudnnCreateConvolutionDescriptor(void** d) {
	*d = mk(3);
	return 0;
}

static int destroy(void* p, int kind) {
	desc_t* d = p;
	if (d->kind != kind) {
		printf("destroy of kind %d with the call for kind %d\n", d->kind, kind);
	}
	free(d);
	live--;
	return 0;
}

int cudnnDestroyTensorDescriptor(void* d) { return destroy(d, 1); }
int cudnnDestroyFilterDescriptor(void* d) { return destroy(d, 2); }
int cudnnDestroyConvolutionDescriptor(void* d) { return destroy(d, 3); }

int cudnnSetTensor4dDescriptor(void* p, int format, int type, int n, int c, int h, int w) {
	desc_t* d = p;
	d->v[0] = n, d->v[1] = c, d->v[2] = h, d->v[3] = w;
	printf("cudnnSetTensor4dDescriptor format=%d type=%d n=%d c=%d h=%d w=%d\n", format, type, n, c, h, w);
	return 0;
}

int cudnnSetFilter4dDescriptor(void* p, int type, int format, int k, int c, int h, int w) {
	desc_t* d = p;
	d->v[0] = k, d->v[1] = c, d->v[2] = h, d->v[3] = w;
	printf("cudnnSetFilter4dDescriptor type=%d format=%d k=%d c=%d h=%d w=%d\n", type, format, k, c, h, w);
	return 0;
}

int cudnnSetConvolution2dDescriptor(void* p, int padH, int padW, int u, int v, int dilH, int dilW, int mode, int type) {
	desc_t* d = p;
	int a[] = {padH, padW, u, v, dilH, dilW};
	memcpy(d->v, a, sizeof a);
	printf("cudnnSetConvolution2dDescriptor pad=%d,%d stride=%d,%d dilation=%d,%d mode=%d type=%d\n", padH, padW, u, v,
	       dilH, dilW, mode, type);
	return 0;
}

int cudnnSetConvolutionMathType(void* d, int math) {
	(void)d;
	printf("cudnnSetConvolutionMathType %d\n", math);
	return 0;
}

int cudnnSetConvolutionGroupCount(void* d, int groups) {
	(void)d;
	printf("cudnnSetConvolutionGroupCount %d\n", groups);
	return fail("cudnnSetConvolutionGroupCount");
}

int cudnnGetConvolution2dForwardOutputDimensions(void* conv, void* x, void* w, int* n, int* c, int* h, int* wd) {
	desc_t *cd = conv, *xd = x, *fd = w;
	*n = xd->v[0];
	*c = fd->v[0];
	*h = (xd->v[2] + 2 * cd->v[0] - (cd->v[4] * (fd->v[2] - 1) + 1)) / cd->v[2] + 1;
	*wd = (xd->v[3] + 2 * cd->v[1] - (cd->v[5] * (fd->v[3] - 1) + 1)) / cd->v[3] + 1;
	return 0;
}

int cudnnGetConvolutionForwardAlgorithm_v7(void* h, void* x, void* w, void* conv, void* y, int requested, int* got,
                                           perf_t* perf) {
	(void)h, (void)x, (void)w, (void)conv;
	desc_t* yd = y;
	printf("cudnnGetConvolutionForwardAlgorithm_v7 requested=%d y=%dx%dx%dx%d\n", requested, yd->v[0], yd->v[1],
	       yd->v[2], yd->v[3]);
	const char* spec = getenv("FAKE_ALGOS");
	if (!spec) {
		spec = "1:0:3:4096";
	}
	*got = 0;
	while (*spec && *got < requested) {
		perf_t p = {0};
		if (sscanf(spec, "%d:%d:%d:%zu", &p.algo, &p.status, &p.mathType, &p.memory) != 4) {
			break;
		}
		perf[(*got)++] = p;
		const char* comma = strchr(spec, ',');
		if (!comma) {
			break;
		}
		spec = comma + 1;
	}
	return fail("cudnnGetConvolutionForwardAlgorithm_v7");
}

int cudnnConvolutionForward(void* h, const void* alpha, void* xd, const void* x, void* wd, const void* w, void* conv,
                            int algo, void* ws, size_t wsBytes, const void* beta, void* yd, void* y) {
	(void)h, (void)xd, (void)wd, (void)conv, (void)yd;
	printf("cudnnConvolutionForward alpha=%g beta=%g x=%p w=%p y=%p algo=%d workspace=%p bytes=%zu\n",
	       *(const float*)alpha, *(const float*)beta, x, w, y, algo, ws, wsBytes);
	return fail("cudnnConvolutionForward");
}
