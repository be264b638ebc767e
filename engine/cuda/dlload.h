// dlload.h: what the cuBLAS and cuDNN shims share to open a library at run
// time. Include it after defining _GNU_SOURCE (for dladdr).
#ifndef INFERTOP_DLLOAD_H
#define INFERTOP_DLLOAD_H

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// infertop_dl_open opens path and stores the address of each of the n
// symbols names[i] in *slots[i]. It returns the library handle and writes
// the file the loader opened (found through the first symbol) into opened;
// on failure it returns NULL and writes why into err.
static void* infertop_dl_open(const char* path, const char* const* names, void** const* slots, int n, char* err,
                              int errlen, char* opened, int openedlen) {
	void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char* e = dlerror();
		snprintf(err, errlen, "%s", e ? e : "dlopen failed");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		*slots[i] = dlsym(lib, names[i]);
		if (!*slots[i]) {
			snprintf(err, errlen, "%s: symbol %s not found", path, names[i]);
			dlclose(lib);
			return NULL;
		}
	}
	Dl_info info;
	const char* file = path;
	if (n > 0 && dladdr(*slots[0], &info) && info.dli_fname) {
		file = info.dli_fname;
	}
	snprintf(opened, openedlen, "%s", file);
	return lib;
}

#endif
