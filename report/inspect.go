package report

import (
	"fmt"
	"strings"
)

// Inspection is what `infertop inspect` knows of a model at one batch: the
// document --format json writes (its field names are stable) and what the
// table shows. A section that could not be worked out is null and Complete
// is false: a file whose nodes cannot all be computed has its header,
// inputs, outputs, op counts and parameters, and its Unsupported list; a
// file the loader refuses outright has its Unsupported list alone.
type Inspection struct {
	// Model is the file's path as given, or the preset's name.
	Model string `json:"model"`
	// Kind is "onnx" for a file, "preset" for a built-in model.
	Kind string `json:"kind"`
	// Producer is what wrote the file ("pytorch 1.13.0"; "" when unknown).
	Producer string `json:"producer"`
	// Opset is the ONNX default domain's opset (0 when unknown).
	Opset int `json:"opset"`
	// Description is the model's line: for a file its IR version, graph name and node count.
	Description string `json:"description"`
	// Graph is the graph's name.
	Graph string `json:"graph"`
	// Batch is the batch every figure below is worked out at; DefaultBatch
	// the model's own (a fixed-batch export's batch, else 1 for a file);
	// FixedBatch the batch a file was exported with, 0 when it is free.
	Batch        int `json:"batch"`
	DefaultBatch int `json:"default_batch"`
	FixedBatch   int `json:"fixed_batch"`
	// Dims are the --dim bindings of named dimensions other than the batch.
	Dims map[string]int `json:"dims"`
	// Inputs and Outputs are the graph's, in order.
	Inputs  []TensorInfo `json:"inputs"`
	Outputs []TensorInfo `json:"outputs"`
	// Nodes is the number of nodes as loaded; Ops counts them by op type, sorted by op.
	Nodes int       `json:"nodes"`
	Ops   []OpCount `json:"ops"`
	// Params are the weights and biases (float32 constants with a dimension).
	Params *Params `json:"params"`
	// FLOPs are 2 × the multiply-adds of matrix products, convolutions and
	// attention of the compiled graph.
	FLOPs *FLOPs `json:"flops"`
	// Memory is what the compiled graph needs at Batch.
	Memory *Memory `json:"memory"`
	// Steps are the compiled graph's nodes in execution order: what the
	// engines run after binding, folding and fusion.
	Steps []Step `json:"steps"`
	// Fusion summarises what the nodes as loaded became.
	Fusion *Fusion `json:"fusion"`
	// Unsupported lists every kind of node that cannot be computed (never null).
	Unsupported []Unsupported `json:"unsupported"`
	// GPUPlan is the CUDA engine's plan at Batch (inspect --plan cuda);
	// absent unless asked for.
	GPUPlan *GPUPlan `json:"gpu_plan,omitempty"`
	// Complete says every section could be worked out; Note says why not.
	Complete bool   `json:"complete"`
	Note     string `json:"note,omitempty"`
}

// TensorInfo is one input or output.
type TensorInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	// Declared is the shape as the graph declares it, outermost first: sizes,
	// symbols ("batch", "seq") and "?" for an anonymous dimension; null when
	// the rank is not declared.
	Declared []string `json:"declared"`
	// Shape is the shape at the batch, once compiled; null when not known.
	Shape []int `json:"shape"`
}

// OpCount is how many nodes of an op type a graph has.
type OpCount struct {
	Op    string `json:"op"`
	Count int    `json:"count"`
}

// Params are a model's parameters.
type Params struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// FLOPs are a model's analytic floating-point operations.
type FLOPs struct {
	PerSample int64 `json:"per_sample"`
	PerBatch  int64 `json:"per_batch"`
}

// Memory is what a compiled graph needs at one batch, in bytes, on an
// engine that reuses buffers by liveness (both engines do).
type Memory struct {
	// Weights are the compiled graph's constants (weights after folding and fusion).
	Weights int64 `json:"weights_bytes"`
	// Inputs are the graph's inputs at the batch.
	Inputs int64 `json:"inputs_bytes"`
	// ActivationsPeak is the most node outputs alive at once.
	ActivationsPeak int64 `json:"activations_peak_bytes"`
	// ActivationsAll is every node output, as if none shared a buffer.
	ActivationsAll int64 `json:"activations_all_bytes"`
	// Estimate is what a batch is checked against before anything is
	// allocated (weights + inputs + the activations' peak, fitted over batches).
	Estimate int64 `json:"estimate_bytes"`
}

// Step is one node of the compiled graph.
type Step struct {
	Name string `json:"name"`
	// Op is the compiled op: an ONNX op, or a fused one (infertop.FusedConv,
	// infertop.Linear, infertop.Attention).
	Op string `json:"op"`
	// Activation is a fused op's epilogue ("Relu", "Clip(0, 6)"; "" for none).
	Activation string `json:"activation"`
	// Residual says a fused op adds a residual input before its activation;
	// Mask that an attention adds a mask.
	Residual bool `json:"residual"`
	Mask     bool `json:"mask"`
	// Shape is the first output's shape.
	Shape []int `json:"shape"`
	// FLOPs are the step's, at the batch.
	FLOPs int64 `json:"flops"`
	// Covers names the nodes as loaded that the step computes, in order, and
	// CoverOps their op types.
	Covers   []string `json:"covers"`
	CoverOps []string `json:"cover_ops"`
}

// Label is the step's op as the table shows it: the fused op without its
// namespace, with its residual or mask and its activation
// ("FusedConv+residual+Relu", "Linear+Gelu", "Attention+mask").
func (s Step) Label() string {
	l := strings.TrimPrefix(s.Op, "infertop.")
	if s.Residual {
		l += "+residual"
	}
	if s.Mask {
		l += "+mask"
	}
	if s.Activation != "" {
		l += "+" + s.Activation
	}
	return l
}

// Fusion says what the nodes as loaded became.
type Fusion struct {
	// Nodes as loaded, Steps as compiled.
	Nodes int `json:"nodes"`
	Steps int `json:"steps"`
	// Groups are the steps grouped by what they cover and what they became,
	// the most frequent first; a group whose From equals its To is a node
	// left as it was.
	Groups []FusionGroup `json:"groups"`
	// Folded counts the nodes as loaded that no step covers, by op type:
	// computed at load time from constants (shapes, constant subgraphs) or
	// dropped (Identity, inference Dropout, unused outputs).
	Folded []OpCount `json:"folded"`
	// Summary is the line the table prints.
	Summary string `json:"summary"`
}

// FusionGroup is Count steps that each cover the ops From and compute To.
type FusionGroup struct {
	Count int `json:"count"`
	// From lists the covered ops in order, a repeated op once with its count
	// ("Conv+BatchNormalization+Relu", "MatMul×3+Add×3").
	From string `json:"from"`
	// To is the step's Label.
	To string `json:"to"`
}

// Unchanged reports a node left as it was.
func (g FusionGroup) Unchanged() bool { return g.From == g.To }

// Unsupported is one kind of node that cannot be computed.
type Unsupported struct {
	Op     string `json:"op"`
	Opset  int    `json:"opset"`
	Node   string `json:"node"`
	Count  int    `json:"count"`
	Reason string `json:"reason"`
}

// String reads like `Hardmax (opset 17) ×2, first "hardmax_1": op not supported`.
func (u Unsupported) String() string {
	return fmt.Sprintf("%s (opset %d) ×%d, first %q: %s", u.Op, u.Opset, u.Count, u.Node, u.Reason)
}

// FusionSummary is the one line that says what the nodes as loaded became:
// "17 nodes → 10 steps: 3 Conv+Relu → FusedConv+Relu, 1 Gemm → Linear; 3
// unchanged; 0 folded at load or dropped".
func FusionSummary(f Fusion) string {
	var changed []string
	unchanged := 0
	for _, g := range f.Groups {
		if g.Unchanged() {
			unchanged += g.Count
			continue
		}
		changed = append(changed, fmt.Sprintf("%d %s → %s", g.Count, g.From, g.To))
	}
	s := fmt.Sprintf("%d nodes → %d steps", f.Nodes, f.Steps)
	if len(changed) > 0 {
		s += ": " + strings.Join(changed, ", ")
	}
	s += fmt.Sprintf("; %d unchanged", unchanged)
	folded, parts := 0, make([]string, 0, len(f.Folded))
	for _, o := range f.Folded {
		folded += o.Count
		parts = append(parts, fmt.Sprintf("%s ×%d", o.Op, o.Count))
	}
	s += fmt.Sprintf("; %d folded at load or dropped", folded)
	if folded > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
