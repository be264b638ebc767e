package onnx

import (
	"errors"
	"fmt"
	"math"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// valueType reads the dtype and shape a ValueInfoProto declares. The dtype
// is model.Undefined when the type names none; the shape is nil when the
// type declares none. A type that is not a tensor's is an error.
func valueType(vi *onnxpb.ValueInfoProto) (model.DType, model.Shape, error) {
	switch v := vi.GetType().GetValue().(type) {
	case nil:
		return 0, nil, errors.New("declares no type (accepted: a tensor type)")
	case *onnxpb.TypeProto_TensorType:
		dt := model.Undefined
		if et := v.TensorType.GetElemType(); et != 0 {
			var err error
			if dt, err = dataType(et); err != nil {
				return 0, nil, err
			}
		}
		shape, err := shapeOf(v.TensorType.GetShape())
		return dt, shape, err
	case *onnxpb.TypeProto_SequenceType:
		return 0, nil, errors.New("is a sequence, not a tensor (accepted: tensors)")
	case *onnxpb.TypeProto_MapType:
		return 0, nil, errors.New("is a map, not a tensor (accepted: tensors)")
	case *onnxpb.TypeProto_OptionalType:
		return 0, nil, errors.New("is an optional, not a tensor (accepted: tensors)")
	case *onnxpb.TypeProto_SparseTensorType:
		return 0, nil, errors.New("is a sparse tensor (accepted: dense tensors)")
	}
	return 0, nil, errors.New("has a type ONNX does not define (accepted: tensors)")
}

// shapeOf converts a declared shape: dim_value is a fixed size, dim_param a
// named dimension, a dimension with neither an anonymous unknown one. No
// shape is nil; a shape without dimensions (a scalar's) is empty, not nil.
func shapeOf(sp *onnxpb.TensorShapeProto) (model.Shape, error) {
	if sp == nil {
		return nil, nil
	}
	s := make(model.Shape, len(sp.GetDim())) // bounded by the file: each dimension was read from it
	for i, d := range sp.GetDim() {
		switch v := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if v.DimValue < 0 || v.DimValue > math.MaxInt32 {
				return nil, fmt.Errorf("has dimension %d at axis %d (accepted: sizes 0 to %d, or names)", v.DimValue, i, math.MaxInt32)
			}
			s[i] = model.Fixed(int(v.DimValue))
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			s[i] = model.Sym(v.DimParam)
		default:
			s[i] = model.Dim{Size: -1}
		}
	}
	return s, nil
}

// checkDims refuses an input dimension that binding could not fix: past the
// first (the batch), every dimension must be a size, or a name dims binds
// to a positive size.
func checkDims(g *model.Graph, dims map[string]int) error {
	for _, in := range g.Inputs {
		v := g.Values[in]
		for i, d := range v.Shape {
			if d.Known() || i == 0 {
				continue
			}
			if d.Name == "" {
				return fmt.Errorf("graph input %q has a free dimension without a name at axis %d (shape %v); "+
					"accepted: sizes, or names bound with --dim NAME=N", in, i, v.Shape)
			}
			n, ok := dims[d.Name]
			if !ok {
				return fmt.Errorf("graph input %q has the free dimension %q (shape %v): bind it with --dim %s=N", in, d.Name, v.Shape, d.Name)
			}
			if n <= 0 {
				return fmt.Errorf("--dim %s=%d: a dimension's size must be positive", d.Name, n)
			}
		}
	}
	return nil
}
