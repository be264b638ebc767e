// Package backendtest runs ONNX's own backend tests against infertop: each
// test directory's model.onnx goes through the loader (onnx.Load) and the
// load-time passes (model.Compile) as any imported model does, then through a
// Runner, and the outputs are compared with the expected ones the test holds.
//
// A test directory holds model.onnx and one or more test_data_set_N folders
// of input_K.pb and output_K.pb (serialized TensorProtos, read with
// onnx.LoadTensor). The suites are those of ONNX's onnx/backend/test/data:
// node (one op per model, with its variants and, for ops ONNX defines as
// functions, the expanded form), pytorch-converted, pytorch-operator and
// simple. Debian's libonnx-testdata installs them (ONNX 1.12, opsets up to
// 17) under DefaultRoot; INFERTOP_ONNX_TESTDATA names another root. The
// node tests of ONNX v1.16.2 for the ops opsets 18 to 21 changed or added
// that infertop computes are kept in this package's testdata.
//
// Each test ends in one Status: passed; refused, when the loader or Compile
// says no with its one-line reason (an op, a dtype or an attribute infertop
// does not compute, a shape computed at run time); failed, when an output
// differs beyond ONNX's tolerance (the result says where and by how much);
// or errored, for anything else (a tensor file that does not read, a runner
// that fails, outputs of the wrong count, dtype or shape).
//
// Shapes are fixed when a graph is compiled. A test whose graph input feeds
// a shape (Reshape's shape, Slice's starts, an axes input) therefore has that
// input made a constant of the data set's value before compiling, as an
// exported model holds it; the result lists such inputs.
//
// The suite's own test runs every test with Reference (the model package's
// reference kernels) and writes docs/onnx-conformance.md; an engine joins by
// passing its own Runner to Run.
package backendtest
