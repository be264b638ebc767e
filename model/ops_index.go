package model

import (
	"fmt"
	"math"
)

// Ops that pick by index or make values: Gather, Range, ConstantOfShape, Constant.
var indexOps = map[string]opDef{
	"Gather":          {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tAny, infer: inferGather, eval: evalGather},
	"Range":           {since: 11, ins: [2]int{3, 3}, outs: [2]int{1, 1}, types: tNum, infer: inferRange, eval: evalRange},
	"ConstantOfShape": {since: 9, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tInt, infer: inferConstantOfShape, eval: evalConstantOfShape},
	"Constant":        {since: 1, ins: [2]int{0, 0}, outs: [2]int{1, 1}, types: tAny, infer: inferConstant, eval: evalConstant},
}

// inferGather: data[:axis] + indices' shape + data[axis+1:]; constant
// indices are checked against the axis.
func inferGather(c *inferCtx) error {
	if err := c.wantType(1, tInt); err != nil {
		return err
	}
	if err := c.wantRank(0, 1, MaxRank); err != nil {
		return err
	}
	x, idx := c.shape(0), c.shape(1)
	axis, err := c.axis(c.n.Attrs.Int("axis", 0), len(x))
	if err != nil {
		return err
	}
	if t := c.in[1].Const; t != nil && x[axis].Known() {
		for _, v := range t.I64 {
			if v < -int64(x[axis].Size) || v >= int64(x[axis].Size) {
				return c.errf("index %d is out of range for axis %d of %v (accepted: %d to %d)", v, axis, x, -x[axis].Size, x[axis].Size-1)
			}
		}
	}
	out := append(append(x[:axis:axis], idx...), x[axis+1:]...)
	c.set(0, c.dtype(0), out)
	return nil
}

// evalGather copies, for each outer index, the inner block each index picks;
// a negative index counts from the end.
func evalGather(n *Node, _ int, in, out []*Tensor) error {
	x, idx, y := in[0], in[1], out[0]
	axis, outer, inner, err := axisBlocks(n, x.Shape)
	if err != nil {
		return err
	}
	size := x.Shape[axis]
	ni := len(idx.I64)
	if y.Len() != outer*ni*inner {
		return fmt.Errorf("the output holds %d elements, the gather makes %d", y.Len(), outer*ni*inner)
	}
	for o := 0; o < outer; o++ {
		for j, v := range idx.I64 {
			if v < 0 {
				v += int64(size)
			}
			if v < 0 || v >= int64(size) {
				return fmt.Errorf("index %d is out of range for axis %d of size %d", idx.I64[j], axis, size)
			}
			copyElems(y, (o*ni+j)*inner, x, (o*size+int(v))*inner, inner)
		}
	}
	return nil
}

// rangeLen is the number of elements of Range(start, limit, delta).
func rangeLen(start, limit, delta float64) (int, error) {
	if delta == 0 {
		return 0, fmt.Errorf("delta is 0")
	}
	n := math.Ceil((limit - start) / delta)
	if math.IsNaN(n) || n > math.MaxInt32 {
		return 0, fmt.Errorf("the range %v to %v by %v has no finite length", start, limit, delta)
	}
	return int(max(n, 0)), nil
}

// inferRange: three scalars of one dtype, all constant; a 1-D output.
func inferRange(c *inferCtx) error {
	var v [3]float64
	for i, what := range [3]string{"start", "limit", "delta"} {
		if err := c.sameType(0, i); err != nil {
			return err
		}
		t := c.in[i].Const
		if t == nil {
			return c.runtimeInput(i, what)
		}
		if t.Len() != 1 {
			return c.errf("its %s input %q has shape %v, not a scalar", what, c.name(i), t.Shape)
		}
		v[i] = t.Float(0)
	}
	n, err := rangeLen(v[0], v[1], v[2])
	if err != nil {
		return c.errf("%v", err)
	}
	c.set(0, c.dtype(0), ShapeOf(n))
	return nil
}

// evalRange sets element i to start + i·delta.
func evalRange(_ *Node, _ int, in, out []*Tensor) error {
	y := out[0]
	if y.DType == Float32 {
		s, d := float64(in[0].F32[0]), float64(in[2].F32[0])
		for i := range y.F32 {
			y.F32[i] = float32(s + float64(i)*d)
		}
		return nil
	}
	s, d := in[0].I64[0], in[2].I64[0]
	for i := range y.I64 {
		y.I64[i] = s + int64(i)*d
	}
	return nil
}

// constantOfShapeValue is the value attribute (float32 0 when absent).
func constantOfShapeValue(n *Node) (*Tensor, error) {
	t := n.Attrs.Tensor("value")
	if t == nil {
		return nil, nil
	}
	if !t.DType.Computable() || t.Stored() != 1 {
		return nil, fmt.Errorf("value must hold one float32, int64, int32 or bool element, got %s %v", t.DType, t.Shape)
	}
	return t, nil
}

func inferConstantOfShape(c *inferCtx) error {
	t, err := c.constInput(0, "shape")
	if err != nil {
		return err
	}
	v, err := constantOfShapeValue(c.n)
	if err != nil {
		return c.errf("%v", err)
	}
	dt := Float32
	if v != nil {
		dt = v.DType
	}
	s := make(Shape, len(t.I64))
	for i, d := range t.I64 {
		if d < 0 {
			return c.errf("shape %v has the negative size %d", t.I64, d)
		}
		s[i] = Fixed(int(d))
	}
	c.set(0, dt, s)
	return nil
}

// evalConstantOfShape fills the output with the value.
func evalConstantOfShape(n *Node, _ int, _, out []*Tensor) error {
	v, err := constantOfShapeValue(n)
	if err != nil {
		return err
	}
	y := out[0]
	if v == nil {
		clear(y.F32)
		return nil
	}
	for i := range y.Len() {
		copyElems(y, i, v, 0, 1)
	}
	return nil
}

// constantShape is the dtype and shape of a Constant's value.
func constantShape(n *Node) (DType, []int, error) {
	a := n.Attrs
	switch {
	case a.Tensor("value") != nil:
		t := a.Tensor("value")
		if err := t.Check(); err != nil {
			return 0, nil, fmt.Errorf("value: %w", err)
		}
		return t.DType, t.Shape, nil
	case a.Has("value_float"):
		return Float32, []int{}, nil
	case a.Has("value_floats"):
		v, _ := a.Floats("value_floats")
		return Float32, []int{len(v)}, nil
	case a.Has("value_int"):
		return Int64, []int{}, nil
	case a.Has("value_ints"):
		v, _ := a.Ints("value_ints")
		return Int64, []int{len(v)}, nil
	}
	for _, k := range []string{"sparse_value", "value_string", "value_strings"} {
		if a.Has(k) {
			return 0, nil, fmt.Errorf("its %s cannot be computed (accepted: value, value_float(s), value_int(s))", k)
		}
	}
	return 0, nil, fmt.Errorf("has no value")
}

func inferConstant(c *inferCtx) error {
	dt, s, err := constantShape(c.n)
	if err != nil {
		return c.errf("%v", err)
	}
	c.set(0, dt, ShapeOf(s...))
	return nil
}

// evalConstant copies the value attribute into the output.
func evalConstant(n *Node, _ int, _, out []*Tensor) error {
	a, y := n.Attrs, out[0]
	switch {
	case a.Tensor("value") != nil:
		return copyAll(y, a.Tensor("value"))
	case a.Has("value_float"):
		y.F32[0] = a.Float("value_float", 0)
	case a.Has("value_floats"):
		v, _ := a.Floats("value_floats")
		copy(y.F32, v)
	case a.Has("value_int"):
		y.I64[0] = a.Int("value_int", 0)
	case a.Has("value_ints"):
		v, _ := a.Ints("value_ints")
		copy(y.I64, v)
	default:
		_, _, err := constantShape(n)
		return err
	}
	return nil
}
