#!/bin/sh
# Installs onnxruntime-node (the version package.json pins, with the exact
# dependency tree of package-lock.json) into bench/onnxruntime/node_modules,
# for bench.js, outputs.js and compare. Needs node >= 18 and npm; npm's
# registry is the only network it reaches. The package carries onnxruntime's
# CPU library (libonnxruntime.so.1) for linux x64 and arm64; its install
# script, which would download CUDA and TensorRT libraries, is not run.
set -eu
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "setup.sh: node and npm are needed (Debian: apt-get install nodejs npm; node >= 18)" >&2
	exit 2
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	echo "setup.sh: node $(node --version) is too old (onnxruntime-node needs node >= 18)" >&2
	exit 2
fi
npm ci --ignore-scripts --no-audit --no-fund
node -e 'const o = require("onnxruntime-node"); console.log("onnxruntime-node " + o.env.versions.node + " installed in " + process.cwd() + "/node_modules")'
