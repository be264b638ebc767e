package onnx

import (
	"slices"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

func TestAttributes(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{
		{Name: "f", Type: onnxpb.AttributeProto_FLOAT, F: 0.25},
		intAttr("i", -3),
		{Name: "s", Type: onnxpb.AttributeProto_STRING, S: []byte("SAME_UPPER")},
		{Name: "fs", Type: onnxpb.AttributeProto_FLOATS, Floats: []float32{1, 2}},
		{Name: "is", Type: onnxpb.AttributeProto_INTS, Ints: []int64{3, 4, 5}},
		{Name: "ss", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("a"), []byte("b")}},
		{Name: "t", Type: onnxpb.AttributeProto_TENSOR, T: &onnxpb.TensorProto{Dims: []int64{1}, DataType: tInt64, Int64Data: []int64{9}}},
	}
	m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := m.Graph.Nodes[2].Attrs
	fs, _ := a.Floats("fs")
	is, _ := a.Ints("is")
	if a.Float("f", 0) != 0.25 || a.Int("i", 0) != -3 || a.String("s", "") != "SAME_UPPER" ||
		!slices.Equal(fs, []float32{1, 2}) || !slices.Equal(is, []int64{3, 4, 5}) ||
		a["ss"].Kind != model.AttrStrings || !slices.Equal(a["ss"].Strs, []string{"a", "b"}) ||
		a.Tensor("t") == nil || !slices.Equal(a.Tensor("t").I64, []int64{9}) {
		t.Errorf("attributes read as %+v", a)
	}
}
