package model

import "fmt"

// DType is an element type. Values of every ONNX element type can be named,
// so that a graph can say which dtype it refuses; only Float32, Int64, Int32
// and Bool can be computed.
type DType uint8

// Element types, numbered as ONNX's TensorProto.DataType.
const (
	Undefined  DType = 0
	Float32    DType = 1
	Uint8      DType = 2
	Int8       DType = 3
	Uint16     DType = 4
	Int16      DType = 5
	Int32      DType = 6
	Int64      DType = 7
	String     DType = 8
	Bool       DType = 9
	Float16    DType = 10
	Float64    DType = 11
	Uint32     DType = 12
	Uint64     DType = 13
	Complex64  DType = 14
	Complex128 DType = 15
	BFloat16   DType = 16
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8", Uint16: "uint16",
	Int16: "int16", Int32: "int32", Int64: "int64", String: "string", Bool: "bool",
	Float16: "float16", Float64: "float64", Uint32: "uint32", Uint64: "uint64",
	Complex64: "complex64", Complex128: "complex128", BFloat16: "bfloat16",
}

// String is the lower-case name, e.g. "float32".
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// Computable reports whether values of this type can be computed: float32
// for data, int64 and int32 for indices and shapes, bool for masks.
func (d DType) Computable() bool {
	return d == Float32 || d == Int64 || d == Int32 || d == Bool
}

// Size is the number of bytes one element takes in a file (0 when unknown).
func (d DType) Size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float32, Int32, Uint32:
		return 4
	case Int64, Float64, Uint64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

// IsInt reports an integer type (int32 or int64), the ones stored in Tensor.I64.
func (d DType) IsInt() bool { return d == Int64 || d == Int32 }
