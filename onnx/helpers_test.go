package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"infertop/onnx/internal/onnxpb"
)

// The tests build their models with the generated types: each is a few
// lines, and each error case changes one thing of a valid model.

// valueInfo declares a tensor value; each dim is an int (a size), a string
// (a name) or nil (an unknown dimension). No dims at all declares a scalar;
// use noShape for a type without a shape.
func valueInfo(name string, dt int32, dims ...any) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{}}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: dt, Shape: shape}}}}
}

// noShape declares a tensor value of a dtype and no shape.
func noShape(name string, dt int32) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: dt}}}}
}

// Data types, as TensorProto numbers them.
const (
	tFloat   = int32(onnxpb.TensorProto_FLOAT)
	tInt32   = int32(onnxpb.TensorProto_INT32)
	tInt64   = int32(onnxpb.TensorProto_INT64)
	tBool    = int32(onnxpb.TensorProto_BOOL)
	tFloat16 = int32(onnxpb.TensorProto_FLOAT16)
	tDouble  = int32(onnxpb.TensorProto_DOUBLE)
)

// rawFloats encodes float32s little-endian.
func rawFloats(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// floatTensor is a float32 tensor held in float_data.
func floatTensor(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, Dims: dims, DataType: tFloat, FloatData: v}
}

// node makes a node of the default domain.
func node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

// tinyModel is y = x·W + b then Relu, x [batch 3], W [3 2] in raw data, b
// [2] in float_data: opset 17, written by "pytorch 1.13.0".
func tinyModel() *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:       8,
		ProducerName:    "pytorch",
		ProducerVersion: "1.13.0",
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: "", Version: 17}},
		Graph: &onnxpb.GraphProto{
			Name: "tiny",
			Initializer: []*onnxpb.TensorProto{
				{Name: "W", Dims: []int64{3, 2}, DataType: tFloat, RawData: rawFloats(1, 2, 3, 4, 5, 6)},
				floatTensor("b", []int64{2}, 0.5, -0.5),
			},
			Input: []*onnxpb.ValueInfoProto{valueInfo("x", tFloat, "batch", 3)},
			Node: []*onnxpb.NodeProto{
				node("MatMul", "mm", []string{"x", "W"}, []string{"xw"}),
				node("Add", "add", []string{"xw", "b"}, []string{"z"}),
				node("Relu", "relu", []string{"z"}, []string{"y"}),
			},
			ValueInfo: []*onnxpb.ValueInfoProto{valueInfo("xw", tFloat, "batch", 2)},
			Output:    []*onnxpb.ValueInfoProto{valueInfo("y", tFloat, "batch", 2)},
		},
	}
}

// encode serializes a message.
func encode(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes a file into dir and returns its path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
