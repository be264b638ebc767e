#!/usr/bin/env bash
# Regenerates onnx/internal/onnxpb/onnx.pb.go from onnx/internal/onnxpb/onnx.proto, byte for byte.
#
# onnx.proto is ONNX's onnx/onnx.proto3 at release tag v1.16.2 (IR version 10, opsets up to 21),
# licensed Apache-2.0 (its SPDX header is kept), changed in two places only:
#   - "package onnx;" reads "package infertop.onnx;", so that the names it registers with the
#     protobuf runtime cannot clash with another copy of ONNX's messages linked into the same binary;
#   - an "option go_package" line follows it.
# The generated file is committed so that building and CI need no protoc.
#
# Tools, pinned (the generated file names both in its header):
#   protoc        3.21.12  (Debian bookworm's protobuf-compiler)
#   protoc-gen-go v1.36.12 (the google.golang.org/protobuf version in go.mod; built here from the
#                           module cache, so no download is needed)
#
# Usage:
#   scripts/gen-onnx-proto.sh                  regenerate onnx.pb.go from the committed onnx.proto
#   scripts/gen-onnx-proto.sh --from DIR       first rewrite onnx.proto from an ONNX git clone in DIR
#                                              (a bare mirror works too) at the pinned tag
#   scripts/gen-onnx-proto.sh --check          regenerate into a temporary folder and fail if the
#                                              committed files differ
set -euo pipefail
cd "$(dirname "$0")/.."

ONNX_TAG=v1.16.2
PROTOC_VERSION=3.21.12
OUT_DIR=onnx/internal/onnxpb
PROTO=$OUT_DIR/onnx.proto
GO_PACKAGE=infertop/onnx/internal/onnxpb

from=""
check=0
while [ $# -gt 0 ]; do
	case "$1" in
	--from) from="${2:?--from needs the path of an ONNX git clone}"; shift 2 ;;
	--check) check=1; shift ;;
	*) echo "gen-onnx-proto.sh: unknown argument $1 (accepted: --from DIR, --check)" >&2; exit 2 ;;
	esac
done

have=$(protoc --version 2>/dev/null | awk '{print $2}') || true
if [ "$have" != "$PROTOC_VERSION" ]; then
	echo "gen-onnx-proto.sh: needs protoc $PROTOC_VERSION (apt-get install protobuf-compiler on Debian bookworm); found '${have:-none}'" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# protoc-gen-go at exactly the version go.mod requires.
go build -o "$tmp/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go

if [ -n "$from" ]; then
	git -C "$from" show "$ONNX_TAG:onnx/onnx.proto3" |
		sed -e 's/^package onnx;$/package infertop.onnx;\n\noption go_package = "'"${GO_PACKAGE//\//\\/}"'";/' >"$tmp/onnx.proto"
	grep -q '^package infertop.onnx;$' "$tmp/onnx.proto" || { echo "gen-onnx-proto.sh: no 'package onnx;' line in $ONNX_TAG's onnx.proto3" >&2; exit 1; }
	cp "$tmp/onnx.proto" "$PROTO"
fi

# The proto path is the repository root, so the file registers as onnx/internal/onnxpb/onnx.proto.
mkdir -p "$tmp/gen"
PATH="$tmp/bin:$PATH" protoc --proto_path=. --go_out="$tmp/gen" --go_opt=paths=source_relative "$PROTO"

if [ "$check" = 1 ]; then
	if ! cmp -s "$tmp/gen/$OUT_DIR/onnx.pb.go" "$OUT_DIR/onnx.pb.go"; then
		echo "gen-onnx-proto.sh: $OUT_DIR/onnx.pb.go is not what $PROTO generates; run scripts/gen-onnx-proto.sh" >&2
		exit 1
	fi
	echo "$OUT_DIR/onnx.pb.go is up to date"
	exit 0
fi
cp "$tmp/gen/$OUT_DIR/onnx.pb.go" "$OUT_DIR/onnx.pb.go"
echo "wrote $OUT_DIR/onnx.pb.go"
