package onnx

import (
	"errors"
	"slices"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// constantModel reads x [batch 3] and a Constant node's output k into Add.
func constantModel(c *onnxpb.NodeProto) *onnxpb.ModelProto {
	mp := tinyModel()
	mp.Graph.Initializer = nil
	mp.Graph.ValueInfo = nil
	mp.Graph.Node = []*onnxpb.NodeProto{c, node("Add", "add", []string{"x", "k"}, []string{"y"})}
	return mp
}

func TestConstantNodes(t *testing.T) {
	tests := []struct {
		name string
		attr *onnxpb.AttributeProto
		want *model.Tensor
	}{
		{"value", &onnxpb.AttributeProto{Name: "value", Type: onnxpb.AttributeProto_TENSOR,
			T: &onnxpb.TensorProto{Dims: []int64{1, 3}, DataType: tFloat, RawData: rawFloats(1, 2, 3)}},
			model.Floats([]int{1, 3}, []float32{1, 2, 3})},
		{"value int32", &onnxpb.AttributeProto{Name: "value", Type: onnxpb.AttributeProto_TENSOR,
			T: &onnxpb.TensorProto{Dims: []int64{2}, DataType: tInt32, Int32Data: []int32{-7, 9}}},
			&model.Tensor{DType: model.Int32, Shape: []int{2}, I64: []int64{-7, 9}}},
		{"value_float", &onnxpb.AttributeProto{Name: "value_float", Type: onnxpb.AttributeProto_FLOAT, F: 2.5},
			model.Floats([]int{}, []float32{2.5})},
		{"value_floats", &onnxpb.AttributeProto{Name: "value_floats", Type: onnxpb.AttributeProto_FLOATS, Floats: []float32{1, 2, 3}},
			model.Floats([]int{3}, []float32{1, 2, 3})},
		{"value_int", intAttr("value_int", 7), model.Ints([]int{}, []int64{7})},
		{"value_ints", &onnxpb.AttributeProto{Name: "value_ints", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, -1}},
			model.Ints([]int{2}, []int64{1, -1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := constantModel(node("Constant", "c", nil, []string{"k"}, tt.attr))
			m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			g := m.Graph
			k := g.Const("k")
			if k == nil {
				t.Fatal("k is not a constant")
			}
			if k.DType != tt.want.DType || !slices.Equal(k.Shape, tt.want.Shape) || !slices.Equal(k.F32, tt.want.F32) ||
				!slices.Equal(k.I64, tt.want.I64) {
				t.Errorf("k = %+v, want %+v", k, tt.want)
			}
			if v := g.Value("k"); v.DType != tt.want.DType || !v.Shape.Equal(tt.want.ShapeOf()) {
				t.Errorf("value k: %s %v", v.DType, v.Shape)
			}
			if len(g.Nodes) != 1 || g.Nodes[0].Op != "Add" {
				t.Errorf("nodes %v: the Constant node should be gone", g.Nodes)
			}
		})
	}
}

func TestStringConstantIsUnsupported(t *testing.T) {
	for _, attr := range []*onnxpb.AttributeProto{
		{Name: "value_string", Type: onnxpb.AttributeProto_STRING, S: []byte("hi")},
		{Name: "value_strings", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("a"), []byte("b")}},
	} {
		mp := constantModel(node("Constant", "c", nil, []string{"k"}, attr))
		_, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
		want := `m.onnx needs what cannot be computed: Add (opset 17) ×1, first "add": dtype string (computable: float32, int64, int32, bool)`
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", attr.Name, err, want)
		}
	}
}

func TestBadConstantNodes(t *testing.T) {
	tests := []struct {
		name string
		c    *onnxpb.NodeProto
		want string
	}{
		{"two attributes", node("Constant", "c", nil, []string{"k"}, intAttr("value_int", 1), intAttr("value_ints", 1)),
			`m.onnx: Constant node "c" has 2 attributes (accepted: exactly one of value, value_float, value_floats, value_int, value_ints, value_string, value_strings)`},
		{"no attribute", node("Constant", "", nil, []string{"k"}),
			`m.onnx: Constant node "Constant_0" has 0 attributes (accepted: exactly one of value, value_float, value_floats, value_int, value_ints, value_string, value_strings)`},
		{"sparse", node("Constant", "c", nil, []string{"k"}, &onnxpb.AttributeProto{Name: "sparse_value",
			Type: onnxpb.AttributeProto_SPARSE_TENSOR, SparseTensor: &onnxpb.SparseTensorProto{}}),
			`m.onnx: Constant node "c" holds its value in attribute "sparse_value" (accepted: value, value_float, value_floats, value_int, value_ints, value_string, value_strings)`},
		{"wrong kind", node("Constant", "c", nil, []string{"k"}, intAttr("value_float", 1)),
			`m.onnx: Constant node "c": attribute "value_float" is not of type float`},
		{"an input", node("Constant", "c", []string{"x"}, []string{"k"}, intAttr("value_int", 1)),
			`m.onnx: Constant node "c" reads 1 value and writes 1 (accepted: it reads none and writes one)`},
	}
	for _, tt := range tests {
		_, err := Read("m.onnx", encode(t, constantModel(tt.c)), "", LoadOptions{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n  %v\nwant\n  %s", tt.name, err, tt.want)
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %T is not an *Error", tt.name, err)
		}
	}
}
