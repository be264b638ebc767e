package onnx

import (
	"errors"
	"slices"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

func TestParseTensor(t *testing.T) {
	tests := []struct {
		tp   *onnxpb.TensorProto
		want *model.Tensor
	}{
		{&onnxpb.TensorProto{Name: "x", Dims: []int64{2, 2}, DataType: tFloat, RawData: rawFloats(1, -2, 3, 4)},
			model.Floats([]int{2, 2}, []float32{1, -2, 3, 4})},
		{&onnxpb.TensorProto{Name: "idx", Dims: []int64{3}, DataType: tInt32, Int32Data: []int32{0, -1, 2}},
			&model.Tensor{DType: model.Int32, Shape: []int{3}, I64: []int64{0, -1, 2}}},
		{&onnxpb.TensorProto{Name: "", Dims: []int64{2}, DataType: tBool, RawData: []byte{0, 1}},
			&model.Tensor{DType: model.Bool, Shape: []int{2}, Bool: []bool{false, true}}},
	}
	for _, tt := range tests {
		name, got, err := ParseTensor("x.pb", encode(t, tt.tp), "")
		if err != nil {
			t.Errorf("%q: %v", tt.tp.Name, err)
			continue
		}
		if name != tt.tp.Name || got.DType != tt.want.DType || !slices.Equal(got.Shape, tt.want.Shape) ||
			!slices.Equal(got.F32, tt.want.F32) || !slices.Equal(got.I64, tt.want.I64) || !slices.Equal(got.Bool, tt.want.Bool) {
			t.Errorf("read %q %+v, want %q %+v", name, got, tt.tp.Name, tt.want)
		}
	}
}

func TestBadTensorFiles(t *testing.T) {
	valid := encode(t, &onnxpb.TensorProto{Name: "x", Dims: []int64{4}, DataType: tFloat, RawData: rawFloats(1, 2, 3, 4)})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", valid[:len(valid)-3], "x.pb: truncated"},
		{"not protobuf", []byte("\xff\xff\xff"), "x.pb: not an ONNX tensor (protobuf: cannot parse invalid wire-format data)"},
		{"empty", nil, "x.pb: not an ONNX tensor (the file is empty)"},
		{"float16", encode(t, &onnxpb.TensorProto{Name: "h", Dims: []int64{1}, DataType: tFloat16, Int32Data: []int32{0}}),
			`x.pb: tensor "h" has dtype float16, which cannot be computed (accepted: float32, int64, int32, bool)`},
		{"wrong size", encode(t, &onnxpb.TensorProto{Name: "w", Dims: []int64{5}, DataType: tInt64, Int64Data: []int64{1}}),
			`x.pb: tensor "w" holds 1 value, its shape [5] needs 5`},
	}
	for _, tt := range tests {
		_, _, err := ParseTensor("x.pb", tt.data, "")
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n  %v\nwant\n  %s", tt.name, err, tt.want)
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %T is not an *Error", tt.name, err)
		}
	}
}
