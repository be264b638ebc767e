package onnx

import (
	"errors"
	"slices"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// withInit adds an initializer k that Add reads beside x.
func withInit(k *onnxpb.TensorProto) *onnxpb.ModelProto {
	k.Name = "k"
	mp := constantModel(nil)
	mp.Graph.Node = mp.Graph.Node[1:]
	mp.Graph.Initializer = []*onnxpb.TensorProto{k}
	return mp
}

func TestComputableDTypes(t *testing.T) {
	i32raw := []byte{0xf9, 0xff, 0xff, 0xff, 9, 0, 0, 0}                                     // -7, 9
	i64raw := []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0} // -2, 1
	tests := []struct {
		name string
		k    *onnxpb.TensorProto
		want *model.Tensor
	}{
		{"int32 in int32_data", &onnxpb.TensorProto{Dims: []int64{2}, DataType: tInt32, Int32Data: []int32{-7, 9}},
			&model.Tensor{DType: model.Int32, Shape: []int{2}, I64: []int64{-7, 9}}},
		{"int32 in raw_data", &onnxpb.TensorProto{Dims: []int64{2}, DataType: tInt32, RawData: i32raw},
			&model.Tensor{DType: model.Int32, Shape: []int{2}, I64: []int64{-7, 9}}},
		{"int64 in int64_data", &onnxpb.TensorProto{Dims: []int64{2}, DataType: tInt64, Int64Data: []int64{-2, 1}},
			model.Ints([]int{2}, []int64{-2, 1})},
		{"int64 in raw_data", &onnxpb.TensorProto{Dims: []int64{2}, DataType: tInt64, RawData: i64raw},
			model.Ints([]int{2}, []int64{-2, 1})},
		{"bool in raw_data", &onnxpb.TensorProto{Dims: []int64{3}, DataType: tBool, RawData: []byte{1, 0, 2}},
			&model.Tensor{DType: model.Bool, Shape: []int{3}, Bool: []bool{true, false, true}}},
		{"bool in int32_data", &onnxpb.TensorProto{Dims: []int64{1, 2}, DataType: tBool, Int32Data: []int32{0, 1}},
			&model.Tensor{DType: model.Bool, Shape: []int{1, 2}, Bool: []bool{false, true}}},
		{"float32 scalar", &onnxpb.TensorProto{DataType: tFloat, FloatData: []float32{3}},
			model.Floats([]int{}, []float32{3})},
		{"empty", &onnxpb.TensorProto{Dims: []int64{0, 3}, DataType: tFloat}, model.Floats([]int{0, 3}, []float32{})},
	}
	for _, tt := range tests {
		m, err := Read("m.onnx", encode(t, withInit(tt.k)), "", LoadOptions{})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		k := m.Graph.Const("k")
		if k.DType != tt.want.DType || !slices.Equal(k.Shape, tt.want.Shape) || !slices.Equal(k.F32, tt.want.F32) ||
			!slices.Equal(k.I64, tt.want.I64) || !slices.Equal(k.Bool, tt.want.Bool) || k.Check() != nil {
			t.Errorf("%s: k = %+v, want %+v", tt.name, k, tt.want)
		}
	}
}

func TestUncomputableDTypesAreListed(t *testing.T) {
	tests := []struct {
		name string
		mp   *onnxpb.ModelProto
		want string
	}{
		{"float16 initializer", withInit(&onnxpb.TensorProto{Dims: []int64{3}, DataType: tFloat16, Int32Data: []int32{0x3c00, 0, 0}}),
			`m.onnx needs what cannot be computed: Add (opset 17) ×1, first "add": dtype float16 (computable: float32, int64, int32, bool)`},
		{"float16 raw initializer", withInit(&onnxpb.TensorProto{Dims: []int64{3}, DataType: tFloat16, RawData: make([]byte, 6)}),
			`m.onnx needs what cannot be computed: Add (opset 17) ×1, first "add": dtype float16 (computable: float32, int64, int32, bool)`},
		{"float64 initializer", withInit(&onnxpb.TensorProto{Dims: []int64{3}, DataType: tDouble, DoubleData: []float64{1, 2, 3}}),
			`m.onnx needs what cannot be computed: Add (opset 17) ×1, first "add": dtype float64 (computable: float32, int64, int32, bool)`},
		{"int8 initializer", withInit(&onnxpb.TensorProto{Dims: []int64{2}, DataType: int32(onnxpb.TensorProto_INT8), RawData: []byte{1, 2}}),
			`m.onnx needs what cannot be computed: Add (opset 17) ×1, first "add": dtype int8 (computable: float32, int64, int32, bool)`},
	}
	mp := tinyModel()
	mp.Graph.Input[0] = valueInfo("x", tDouble, "batch", 3)
	tests = append(tests, struct {
		name string
		mp   *onnxpb.ModelProto
		want string
	}{"float64 input", mp, `m.onnx needs what cannot be computed: MatMul (opset 17) ×1, first "mm": dtype float64 (computable: float32, int64, int32, bool)`})
	for _, tt := range tests {
		_, err := Read("m.onnx", encode(t, tt.mp), "", LoadOptions{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n  %v\nwant\n  %s", tt.name, err, tt.want)
			continue
		}
		var ue *model.UnsupportedError
		var fe *Error
		if !errors.As(err, &ue) || len(ue.List) != 1 || !errors.As(err, &fe) {
			t.Errorf("%s: error %T is not an *Error carrying a *model.UnsupportedError", tt.name, err)
		}
	}
}

func TestUncomputableSizesAreChecked(t *testing.T) {
	_, err := Read("m.onnx", encode(t, withInit(&onnxpb.TensorProto{Dims: []int64{3}, DataType: tFloat16, Int32Data: []int32{1}})), "", LoadOptions{})
	if want := `m.onnx: initializer "k" holds 1 value, its shape [3] needs 3`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestUnreadUncomputableInitializerIsDropped(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Initializer = append(mp.Graph.Initializer, &onnxpb.TensorProto{Name: "unused", Dims: []int64{2}, DataType: tFloat16, RawData: make([]byte, 4)})
	m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Graph.Value("unused") != nil {
		t.Error("an unread float16 initializer is kept")
	}
}
