package onnx

import (
	"errors"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// TestUnsupportedNodesAreListed builds a chain of nodes that cannot be
// computed, for each reason the loader or model.CheckSupported gives, and
// checks the one error lists them all, in order, counted.
func TestUnsupportedNodesAreListed(t *testing.T) {
	sub := &onnxpb.AttributeProto{Name: "body", Type: onnxpb.AttributeProto_GRAPH, G: &onnxpb.GraphProto{}}
	chain := []*onnxpb.NodeProto{
		{OpType: "FusedGemm", Domain: "com.microsoft", Name: "ms", Input: []string{"x"}, Output: []string{"a"}},
		node("NonMaxSuppression", "nms1", []string{"a"}, []string{"b"}),
		node("NonMaxSuppression", "", []string{"b"}, []string{"c"}),
		node("If", "if", []string{"c"}, []string{"d"}, sub),
		node("Relu", "relu_sub", []string{"d"}, []string{"e"}, sub),
		node("Gelu", "gelu", []string{"e"}, []string{"f"}),
		{OpType: "Linear", Domain: "infertop", Name: "lin", Input: []string{"f"}, Output: []string{"g"}},
		node("Relu", "relu_sparse", []string{"g"}, []string{"h"}, &onnxpb.AttributeProto{Name: "s",
			Type: onnxpb.AttributeProto_SPARSE_TENSOR, SparseTensor: &onnxpb.SparseTensorProto{}}),
		node("Relu", "relu_type", []string{"h"}, []string{"i"}, &onnxpb.AttributeProto{Name: "tp",
			Type: onnxpb.AttributeProto_TYPE_PROTO, Tp: &onnxpb.TypeProto{}}),
		node("Relu", "relu_tensors", []string{"i"}, []string{"j"}, &onnxpb.AttributeProto{Name: "ts",
			Type: onnxpb.AttributeProto_TENSORS, Tensors: []*onnxpb.TensorProto{{}}}),
		node("Relu", "relu_f16", []string{"j"}, []string{"y"}, &onnxpb.AttributeProto{Name: "t",
			Type: onnxpb.AttributeProto_TENSOR, T: &onnxpb.TensorProto{DataType: tFloat16, Int32Data: []int32{0}}}),
	}
	mp := tinyModel()
	mp.Graph.Node = chain
	mp.Graph.Initializer = nil
	mp.Graph.ValueInfo = nil
	_, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	var ue *model.UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is not a *model.UnsupportedError", err)
	}
	want := []string{
		`com.microsoft.FusedGemm (opset 17) ×1, first "ms": domain "com.microsoft" is not supported (only ONNX's default domain)`,
		`NonMaxSuppression (opset 17) ×2, first "nms1": op not supported`,
		`If (opset 17) ×1, first "if": op not supported`,
		`Relu (opset 17) ×1, first "relu_sub": graph attribute "body"`,
		`Gelu (opset 17) ×1, first "gelu": op first defined in opset 20, the graph is opset 17`,
		`infertop.Linear (opset 17) ×1, first "lin": fused ops are made by infertop's passes, not read from files`,
		`Relu (opset 17) ×1, first "relu_sparse": attribute "s" holds a sparse tensor`,
		`Relu (opset 17) ×1, first "relu_type": attribute "tp" holds a type`,
		`Relu (opset 17) ×1, first "relu_tensors": attribute "ts" holds a list of tensors`,
		`Relu (opset 17) ×1, first "relu_f16": attribute "t" holds a float16 tensor`,
	}
	if len(ue.List) != len(want) {
		t.Fatalf("%d kinds listed, want %d:\n%v", len(ue.List), len(want), err)
	}
	for i, u := range ue.List {
		if u.String() != want[i] {
			t.Errorf("listed\n  %s\nwant\n  %s", u, want[i])
		}
	}
	var fe *Error
	if !errors.As(err, &fe) || err.Error() != ue.Error() || ue.Graph != "m.onnx" {
		t.Errorf("error %q should read as the UnsupportedError does, naming the file", err)
	}
}

func TestSubgraphAttributeIsKept(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "g", Type: onnxpb.AttributeProto_GRAPH, G: &onnxpb.GraphProto{}}}
	b, err := (&loader{}).graph(mp.Graph, "tiny", 17)
	if err != nil {
		t.Fatal(err)
	}
	if a := b.g.Nodes[2].Attrs["g"]; a.Kind != model.AttrGraph {
		t.Errorf("graph attribute read as %v", a.Kind)
	}
}
