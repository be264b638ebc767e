package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// maxElems bounds the elements of one tensor, and the product of its
// non-zero dimensions, so that no size computed from a shape overflows.
const maxElems = 1 << 40

// maxDataType is the highest TensorProto.DataType ONNX v1.16 defines (INT4).
const maxDataType = 22

// dataType reads a TensorProto.DataType.
func dataType(v int32) (model.DType, error) {
	switch {
	case v == 0:
		return 0, fmt.Errorf("has no data type")
	case v < 0 || v > maxDataType:
		return 0, fmt.Errorf("has data type %d, which ONNX does not define (accepted: 1 to %d)", v, maxDataType)
	}
	return model.DType(v), nil
}

// elemBits is the size of one element in raw data, in bits (0 for strings).
func elemBits(dt model.DType) int64 {
	switch {
	case dt >= 17 && dt <= 20: // float8 types
		return 8
	case dt == 21 || dt == 22: // uint4, int4: two to a byte
		return 4
	}
	return 8 * int64(dt.Size())
}

// rawBytes is how many bytes n elements of dt take in raw or external data.
func rawBytes(dt model.DType, n int) int64 { return (int64(n)*elemBits(dt) + 7) / 8 }

// tensorShape checks a tensor's dimensions and returns them with the number
// of elements they hold. No dimension may be negative, and neither the
// element count nor the product of the non-zero dimensions may pass maxElems.
func tensorShape(dims []int64) ([]int, int, error) {
	n, nonZero := int64(1), int64(1)
	for _, d := range dims {
		if d < 0 {
			return nil, 0, fmt.Errorf("has a negative dimension in its shape %v", dims)
		}
		if d > 0 && nonZero > maxElems/d {
			return nil, 0, fmt.Errorf("has shape %v, over 2^40 elements (accepted: fewer)", dims)
		}
		nonZero *= max(d, 1)
		n *= d
	}
	shape := make([]int, len(dims)) // len(dims) is bounded by the file: each dimension was read from it
	for i, d := range dims {
		shape[i] = int(d)
	}
	return shape, int(n), nil
}

// typedField names the TensorProto field that holds elements of dt other
// than in raw data, with how many items it holds and how many n elements need.
func typedField(tp *onnxpb.TensorProto, dt model.DType, n int) (field string, have, need int) {
	switch dt {
	case model.Float32:
		return "float_data", len(tp.GetFloatData()), n
	case model.Complex64:
		return "float_data", len(tp.GetFloatData()), 2 * n
	case model.Float64:
		return "double_data", len(tp.GetDoubleData()), n
	case model.Complex128:
		return "double_data", len(tp.GetDoubleData()), 2 * n
	case model.Int64:
		return "int64_data", len(tp.GetInt64Data()), n
	case model.Uint32, model.Uint64:
		return "uint64_data", len(tp.GetUint64Data()), n
	case model.String:
		return "string_data", len(tp.GetStringData()), n
	case 21, 22: // uint4, int4: two to an item
		return "int32_data", len(tp.GetInt32Data()), (n + 1) / 2
	}
	return "int32_data", len(tp.GetInt32Data()), n
}

// tensor converts a TensorProto; what names it in errors (`initializer "w"`).
// A dtype that cannot be computed keeps its dtype and shape and no data,
// once its size is checked.
func (l *loader) tensor(tp *onnxpb.TensorProto, what string) (*model.Tensor, error) {
	if tp == nil {
		return nil, fmt.Errorf("%s holds no tensor", what)
	}
	dt, err := dataType(tp.GetDataType())
	if err != nil {
		return nil, fmt.Errorf("%s %w", what, err)
	}
	shape, n, err := tensorShape(tp.GetDims())
	if err != nil {
		return nil, fmt.Errorf("%s %w", what, err)
	}
	if tp.GetSegment() != nil {
		return nil, fmt.Errorf("%s is stored in segments (accepted: whole tensors)", what)
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if dt == model.String {
			return nil, fmt.Errorf("%s holds strings in external data (accepted: string_data)", what)
		}
		return l.external(tp, what, dt, shape, n)
	}
	raw := tp.GetRawData()
	field, have, need := typedField(tp, dt, n)
	switch {
	case len(raw) > 0 && have > 0:
		return nil, fmt.Errorf("%s holds its data twice, in raw_data and in %s", what, field)
	case len(raw) > 0 && dt == model.String:
		return nil, fmt.Errorf("%s holds strings in raw_data (accepted: string_data)", what)
	case len(raw) > 0 || (have == 0 && dt != model.String):
		if err := checkBytes(int64(len(raw)), dt, tp.GetDims(), n, what, "raw data"); err != nil {
			return nil, err
		}
		t := newTensor(dt, shape)
		decodeLE(t, 0, raw)
		tp.RawData = nil // held converted now
		return t, nil
	case have != need:
		return nil, fmt.Errorf("%s holds %s, its shape %v needs %d", what, count(have, "value"), tp.GetDims(), need)
	}
	return typedTensor(tp, dt, shape), nil
}

// checkBytes compares the bytes a tensor's data holds with what its shape needs.
func checkBytes(have int64, dt model.DType, dims []int64, n int, what, where string) error {
	need := rawBytes(dt, n)
	if have == need {
		return nil
	}
	if bits := elemBits(dt); bits >= 8 && have%(bits/8) == 0 {
		return fmt.Errorf("%s holds %s, its shape %v needs %d", what, count(int(have/(bits/8)), "value"), dims, n)
	}
	return fmt.Errorf("%s holds %d bytes of %s, its shape %v of %s needs %d", what, have, where, dims, dt, need)
}

// newTensor allocates a tensor for a shape already checked against the data
// it will hold; a dtype that cannot be computed gets no data.
func newTensor(dt model.DType, shape []int) *model.Tensor {
	if !dt.Computable() {
		return &model.Tensor{DType: dt, Shape: shape}
	}
	return model.NewTensor(dt, shape...)
}

// typedTensor takes the elements from a typed field whose length is checked.
func typedTensor(tp *onnxpb.TensorProto, dt model.DType, shape []int) *model.Tensor {
	switch dt {
	case model.Float32:
		return model.Floats(shape, tp.GetFloatData())
	case model.Int64:
		return model.Ints(shape, tp.GetInt64Data())
	case model.Int32:
		t := model.NewTensor(dt, shape...)
		for i, v := range tp.GetInt32Data() {
			t.I64[i] = int64(v)
		}
		return t
	case model.Bool:
		t := model.NewTensor(dt, shape...)
		for i, v := range tp.GetInt32Data() {
			t.Bool[i] = v != 0
		}
		return t
	}
	return &model.Tensor{DType: dt, Shape: shape}
}

// decodeLE decodes little-endian elements from b into t from element at on;
// b holds whole elements. A tensor without data (a dtype that cannot be
// computed) is left alone.
func decodeLE(t *model.Tensor, at int, b []byte) {
	switch t.DType {
	case model.Float32:
		for i := 0; i+4 <= len(b); i += 4 {
			t.F32[at+i/4] = math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
		}
	case model.Int64:
		for i := 0; i+8 <= len(b); i += 8 {
			t.I64[at+i/8] = int64(binary.LittleEndian.Uint64(b[i:]))
		}
	case model.Int32:
		for i := 0; i+4 <= len(b); i += 4 {
			t.I64[at+i/4] = int64(int32(binary.LittleEndian.Uint32(b[i:])))
		}
	case model.Bool:
		for i, v := range b {
			t.Bool[at+i] = v != 0
		}
	}
}

// count reads like "1 value" or "6 values".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
