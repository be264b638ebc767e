// Package onnx reads .onnx files into model graphs, and refuses at load time,
// with one line that names the file, whatever the graph cannot be or the
// engines cannot run.
//
// Load and Read parse a ModelProto (ONNX IR, opsets 1 to 21) with the Go
// types of ONNX v1.16.2's onnx.proto3 (package onnx/internal/onnxpb) and build
// a model.Graph:
//   - the graph's inputs are those not also listed as initializers (older
//     exports list every weight among the inputs); outputs and value_info give
//     dtypes and shapes: dim_value is a fixed size, dim_param a named
//     dimension, a dimension with neither an anonymous unknown one;
//   - initializers and Constant nodes become constant values; their data is
//     read from raw_data (little-endian), the typed fields (float_data,
//     int32_data, int64_data ...) or external data (files beside the model,
//     so models over 2 GB load); int32 is held widened in model.Tensor.I64,
//     bool in Tensor.Bool; a dtype that cannot be computed (float16, float64,
//     int8 ...) keeps its dtype and no data, so that the nodes reading it are
//     listed as unsupported;
//   - nodes keep their ONNX op type (prefixed with their domain when it is
//     not ONNX's default one) and every attribute; unnamed nodes are named
//     <OpType>_<index in the file>;
//   - the graph is sorted and validated, and every node that cannot be
//     computed is listed (model.CheckSupported) in one error.
//
// A loaded model is named by the path it was given by; its Source reads like
// "ONNX opset 17, pytorch 1.13.0" and its Description gives the IR version
// and the graph's name. Its DefaultBatch is the batch the file fixes (the
// first dimension of its inputs), or 1 when the batch is free.
//
// Every error about what a file holds is an *Error (a usage error: the
// command line exits 2); any other error is a failure to read a file that may
// well be good. Length, count and shape products read from a file are checked
// against what the file holds before anything is allocated from them.
//
// LoadTensor and ParseTensor read one serialized TensorProto, the form of the
// inputs and outputs of ONNX's backend tests (test_data_set_0/input_0.pb).
package onnx
