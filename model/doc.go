// Package model is what runs: the graph IR every model is, whether a built-in
// preset or an imported ONNX file, and everything that is true of a graph
// before a device sees it.
//
// A Graph holds Values (a dtype and a shape whose dimensions are fixed sizes
// or named symbols such as "batch" and "seq"), Nodes (an op, its attributes,
// the names of the values it reads and writes) and constant Tensors (weights
// and folded constants). Op types are ONNX's own (opset 1 to 21 semantics;
// see legacy.go for what opsets 1 to 6 wrote differently) plus the fused ops of this package (FusedConv, Linear, Attention), which the
// load-time passes produce and the engines execute.
//
// The package also owns what each op means: its shape inference, its
// reference kernel (plain Go, float32, int64 and bool) used for constant
// folding and as the engines' test oracle, its FLOPs and parameter counts,
// and the passes run when a graph is bound to a batch (bind dims, infer
// shapes, fold constants, drop dead nodes, fuse).
//
// model imports nothing of infertop's: never an engine, the onnx reader, the
// runner or any user interface. Engines see only graphs from here, never the
// file a graph came from.
package model
