package model

import (
	"fmt"
	"slices"
)

// Tensor is a value's data: a constant (weights, folded constants) or a
// runtime buffer. Exactly one of the slices holds the elements, row-major,
// chosen by DType: F32 for float32, I64 for int64 and int32 (held widened),
// Bool for bool. A scalar has an empty Shape and one element.
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	I64   []int64
	Bool  []bool
}

// NewTensor allocates a zero tensor of a computable dtype.
func NewTensor(dt DType, shape ...int) *Tensor {
	t := &Tensor{DType: dt, Shape: append([]int{}, shape...)}
	n := NumElems(shape)
	switch {
	case dt == Float32:
		t.F32 = make([]float32, n)
	case dt.IsInt():
		t.I64 = make([]int64, n)
	case dt == Bool:
		t.Bool = make([]bool, n)
	default:
		panic(fmt.Sprintf("model: NewTensor of %s", dt))
	}
	return t
}

// Floats returns a float32 tensor holding v (not copied).
func Floats(shape []int, v []float32) *Tensor {
	return &Tensor{DType: Float32, Shape: append([]int{}, shape...), F32: v}
}

// Ints returns an int64 tensor holding v (not copied).
func Ints(shape []int, v []int64) *Tensor {
	return &Tensor{DType: Int64, Shape: append([]int{}, shape...), I64: v}
}

// Len is the number of elements the shape says.
func (t *Tensor) Len() int { return NumElems(t.Shape) }

// Stored is the number of elements the data slice holds.
func (t *Tensor) Stored() int {
	switch {
	case t.DType == Float32:
		return len(t.F32)
	case t.DType.IsInt():
		return len(t.I64)
	case t.DType == Bool:
		return len(t.Bool)
	}
	return 0
}

// Bytes is the memory the elements take when computed (int32 counts 8 bytes, as held).
func (t *Tensor) Bytes() int64 {
	switch {
	case t.DType == Float32:
		return 4 * int64(len(t.F32))
	case t.DType.IsInt():
		return 8 * int64(len(t.I64))
	case t.DType == Bool:
		return int64(len(t.Bool))
	}
	return 0
}

// Check reports a tensor whose dtype cannot be computed or whose data does
// not hold as many elements as its shape says.
func (t *Tensor) Check() error {
	if !t.DType.Computable() {
		return fmt.Errorf("dtype %s cannot be computed", t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	if n, got := t.Len(), t.Stored(); n != got {
		return fmt.Errorf("shape %v needs %d elements, data holds %d", t.Shape, n, got)
	}
	return nil
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{DType: t.DType, Shape: slices.Clone(t.Shape),
		F32: slices.Clone(t.F32), I64: slices.Clone(t.I64), Bool: slices.Clone(t.Bool)}
}

// ShapeOf returns the tensor's shape as a Shape of fixed dimensions.
func (t *Tensor) ShapeOf() Shape { return ShapeOf(t.Shape...) }

// Int returns element i as an int64 (float32 truncated, bool 0 or 1).
func (t *Tensor) Int(i int) int64 {
	switch {
	case t.DType == Float32:
		return int64(t.F32[i])
	case t.DType == Bool:
		if t.Bool[i] {
			return 1
		}
		return 0
	}
	return t.I64[i]
}

// Float returns element i as a float64.
func (t *Tensor) Float(i int) float64 {
	switch {
	case t.DType == Float32:
		return float64(t.F32[i])
	case t.DType == Bool:
		if t.Bool[i] {
			return 1
		}
		return 0
	}
	return float64(t.I64[i])
}

// IntList returns every element as an int64 (for shapes, axes, indices).
func (t *Tensor) IntList() []int64 {
	out := make([]int64, t.Stored())
	for i := range out {
		out[i] = t.Int(i)
	}
	return out
}
