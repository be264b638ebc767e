// Drives infertop's cuDNN shim (the cgo preamble of cudnn_gpu.go, written to
// shim.h by the test) against a library given on the command line:
//   driver LIB N C H W OUT K STRIDE PAD OH OW MAXWS TF32 [GROUPS]
// It opens the library, creates a handle, describes one convolution, runs it
// with made-up addresses, frees everything and prints what each step returned.
#include "shim.h"

int main(int argc, char** argv) {
	if (argc != 14 && argc != 15) {
		fprintf(stderr, "usage: driver LIB N C H W OUT K STRIDE PAD OH OW MAXWS TF32 [GROUPS]\n");
		return 2;
	}
	char err[1024] = {0};
	infertop_cudnn* c = infertop_cudnn_open(argv[1], err, sizeof err);
	if (!c) {
		printf("open failed: %s\n", err);
		return 0;
	}
	printf("opened %s version %zu\n", strrchr(c->path, '/') ? strrchr(c->path, '/') + 1 : c->path,
	       infertop_cudnn_version(c));
	uintptr_t h = 0;
	int r = infertop_cudnn_create(c, &h);
	if (r != 0) {
		printf("create: %s\n", infertop_cudnn_error(c, r));
		return 0;
	}
	r = infertop_cudnn_set_stream(c, h, (uintptr_t)0x5000);
	printf("set stream: %d\n", r);
	int v[11];
	for (int i = 0; i < 10; i++) {
		v[i] = atoi(argv[2 + i]);
	}
	size_t maxWs = (size_t)strtoull(argv[12], 0, 10);
	infertop_dnn_conv d;
	const char* call = "";
	int groups = argc == 15 ? atoi(argv[14]) : 1;
	r = infertop_dnn_conv_setup(c, h, &d, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], groups, maxWs,
	                            atoi(argv[13]), &call);
	if (r != 0) {
		printf("setup: %d %s%s%s\n", r, call, r > 0 ? ": " : "", r > 0 ? infertop_cudnn_error(c, r) : "");
	} else {
		printf("setup: algorithm %d, workspace %zu\n", d.algo, d.ws);
		r = infertop_dnn_conv_run(c, h, &d, (uintptr_t)0x1000, (uintptr_t)0x2000, (uintptr_t)0x3000, (uintptr_t)0x4000, d.ws);
		printf("forward: %d\n", r);
		infertop_dnn_conv_free(c, &d);
		infertop_dnn_conv_free(c, &d); // a second free must do nothing
	}
	infertop_cudnn_destroy(c, h);
	int (*live)(void) = (int (*)(void))dlsym(c->lib, "fake_live");
	printf("descriptors and handles left: %d\n", live ? live() : -1);
	return 0;
}
