#!/usr/bin/env bash
# cuda-dev.sh makes the CUDA headers and the libcuda link stub available for a
# `-tags gpu` build without installing anything system-wide: it downloads
# Debian's nvidia-cuda-dev package (non-free), extracts it into a cache folder
# outside the repository and prints the cgo flags to use:
#
#   eval "$(scripts/cuda-dev.sh)"
#
# The stub only satisfies the linker; the binary records the soname
# libcuda.so.1 and loads the real driver library on the GPU machine.
set -euo pipefail

# A machine with the CUDA toolkit installed needs no download.
toolkit="${CUDA_HOME:-/usr/local/cuda}"
if [[ -f "$toolkit/include/cuda.h" && -f "$toolkit/lib64/stubs/libcuda.so" ]]; then
	echo "export CGO_CFLAGS='-I$toolkit/include'"
	echo "export CGO_LDFLAGS='-L$toolkit/lib64/stubs'"
	exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/infertop/cuda-11.8"
inc="$cache/usr/include"
stubs="$cache/usr/lib/x86_64-linux-gnu/stubs"

if [[ ! -f "$inc/cuda.h" || ! -f "$stubs/libcuda.so" ]]; then
	mkdir -p "$cache"
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	if ! (cd "$work" && apt-get download nvidia-cuda-dev >&2); then
		echo "cuda-dev.sh: apt-get download nvidia-cuda-dev failed; the package is in Debian's non-free" >&2
		echo "component. Add it, e.g. as root:" >&2
		echo "  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main contrib non-free non-free-firmware' > /etc/apt/sources.list.d/nonfree.list && apt-get update" >&2
		exit 1
	fi
	deb="$(ls "$work"/nvidia-cuda-dev_*.deb | head -n1)"
	dpkg-deb -x "$deb" "$work/x"
	rm -rf "$cache/usr"
	mkdir -p "$cache/usr/lib/x86_64-linux-gnu"
	cp -a "$work/x/usr/include" "$cache/usr/"
	mkdir -p "$stubs"
	cp -a "$work/x/usr/lib/x86_64-linux-gnu/stubs/libcuda.so" "$stubs/"
fi
if [[ ! -f "$inc/cuda.h" || ! -f "$stubs/libcuda.so" ]]; then
	echo "cuda-dev.sh: $cache lacks usr/include/cuda.h or the libcuda.so stub" >&2
	exit 1
fi
echo "export CGO_CFLAGS='-I$inc'"
echo "export CGO_LDFLAGS='-L$stubs'"
