#!/usr/bin/env bash
# build-gpu.sh builds infertop with the CUDA engine (-tags gpu).
#
#   scripts/build-gpu.sh [output [steps-test]]     (default: ./infertop-gpu)
#
# With a second path it also builds the engine/cuda test binary there (stripped),
# whose TestStepTimes prints per-step, per-node and per-kernel GPU times (scripts/gpu-verify.sh runs it).
#
# Headers and the libcuda link stub come from scripts/cuda-dev.sh. The binary
# needs the NVIDIA driver (libcuda.so.1) and a working GPU to start at all;
# cuBLAS is found at run time (see docs/cuda.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/infertop-gpu}"
eval "$("$root/scripts/cuda-dev.sh")"
CGO_CFLAGS="$CGO_CFLAGS -Wno-deprecated-declarations"
export CGO_ENABLED=1 CGO_CFLAGS CGO_LDFLAGS
mkdir -p "$(dirname "$out")"
(cd "$root" && go build -tags gpu -o "$out" .)
if [ $# -ge 2 ]; then
	(cd "$root" && go test -c -tags gpu -ldflags="-s -w" -o "$2" ./engine/cuda)
	echo "built $2"
fi
# The binary must name the driver by soname, never the stub's path.
if command -v readelf >/dev/null; then
	if ! readelf -d "$out" | grep -q 'NEEDED.*\[libcuda\.so\.1\]'; then
		echo "build-gpu.sh: $out does not link libcuda.so.1 by soname" >&2
		exit 1
	fi
	if readelf -d "$out" | grep -qE 'R(UN)?PATH'; then
		echo "build-gpu.sh: $out carries an RPATH/RUNPATH; it must find the driver's libcuda.so.1" >&2
		exit 1
	fi
fi
echo "built $out"
