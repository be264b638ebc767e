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
set -euo pipefail

pkgs=(gcc libopenblas0-pthread)
[[ "${1:-}" == "--test" ]] && pkgs+=(tmux g++ libonnx-testdata python3-torch python3-onnx)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

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
