// Package onnxpb holds the Go types of ONNX's protobuf messages (ModelProto,
// GraphProto, TensorProto ...), generated from ONNX v1.16.2's onnx.proto3 by
// scripts/gen-onnx-proto.sh. The proto package is renamed infertop.onnx so
// that its registered names cannot clash with another copy of ONNX's
// messages in the same binary.
package onnxpb
