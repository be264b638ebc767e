#!/usr/bin/env bash
# setup.sh installs what infertop needs on Debian or Ubuntu, and nothing when it is already there.
#   scripts/setup.sh          gcc (cgo: NVML and run-time library loading) and OpenBLAS's run-time library
#   scripts/setup.sh --test   also tmux, for the dashboard's end-to-end test, g++, which
#                             runs the CUDA kernels' source on the CPU in engine/cuda's tests,
#                             libonnx-testdata, ONNX's backend tests, which onnx's tests load, and
#                             python3-torch and python3-onnx, with which a test exports the presets'
#                             PyTorch twins (bench/pytorch) and imports them
# It uses sudo when not run as root. Any other system: install gcc, an OpenBLAS
# (libopenblas.so.0), and for the tests tmux, g++, ONNX's backend test data, PyTorch and onnx for
# /usr/bin/python3, yourself; infertop still runs without OpenBLAS, slower.
#
# Then it compiles go-nvml's cgo part into Go's build cache (with -race too for
# --test), so that the command after it prints no compiler warnings: NVML's
# header marks dozens of functions deprecated and gcc warns about each one
# go-nvml wraps, about a hundred lines before the dashboard's first screen. Go
# has no per-package C flags, and CGO_CFLAGS would mean changing the user's Go
# settings; compiled once here, the package comes from the cache afterwards.
# The warnings are shown after all when that compile fails.
set -euo pipefail

test=false
[[ "${1:-}" == "--test" ]] && test=true
pkgs=(gcc libopenblas0-pthread)
$test && pkgs+=(tmux g++ libonnx-testdata python3-torch python3-onnx)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
	if ! command -v apt-get >/dev/null; then
		echo "setup.sh: no apt-get here; install ${missing[*]} with this system's package manager" >&2
		exit 1
	fi
	sudo=""
	((EUID == 0)) || sudo="sudo"
	echo "setup.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# compile_nvml builds go-nvml with the given go build flags, quietly unless it fails.
compile_nvml() {
	local out
	if ! out="$(cd "$(dirname "$0")/.." && go build "$@" github.com/NVIDIA/go-nvml/pkg/nvml 2>&1)"; then
		printf '%s\n' "$out" >&2
		echo "setup.sh: compiling go-nvml failed (above)" >&2
		return 1
	fi
}
compile_nvml
if $test; then
	compile_nvml -race
fi
