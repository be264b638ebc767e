package model

import "testing"

func TestGather(t *testing.T) {
	x := refF([]int{3, 2}, 1, 2, 3, 4, 5, 6)
	refWantF(t, refRun1(t, 0, "Gather", nil, x, refI([]int{2}, 2, 0)), []int{2, 2}, 5, 6, 1, 2)
	refWantF(t, refRun1(t, 0, "Gather", nil, x, refI([]int{1}, -1)), []int{1, 2}, 5, 6)
	refWantF(t, refRun1(t, 0, "Gather", nil, x, refI(nil, 1)), []int{2}, 3, 4)
	refWantF(t, refRun1(t, 0, "Gather", Attrs{"axis": IntAttr(1)}, x, refI([]int{2, 1}, 1, 0)), []int{3, 2, 1}, 2, 1, 4, 3, 6, 5)
	refWantF(t, refRun1(t, 0, "Gather", Attrs{"axis": IntAttr(-1)}, x, refI32(nil, -2)), []int{3}, 1, 3, 5)
	got := refRun1(t, 0, "Gather", nil, refI([]int{4}, 10, 11, 12, 13), refI32([]int{2, 2}, 3, 0, 1, 1))
	refWantI(t, got, Int64, []int{2, 2}, 13, 10, 11, 11)

	_, err := refRun(0, "Gather", nil, 1, x, refI([]int{1}, 3))
	refWantErr(t, err, `node "n" (Gather): index 3 is out of range for axis 0 of [3 2] (accepted: -3 to 2)`)
	_, err = refRun(0, "Gather", nil, 1, x, refF([]int{1}, 0))
	refWantErr(t, err, `node "n" (Gather): input "x1" is float32; Gather takes int32 or int64 there`)

	// Indices known only at run time are checked by the kernel.
	y := NewTensor(Float32, 1, 2)
	err = EvalNode(&Node{Name: "g", Op: "Gather"}, 0, []*Tensor{x, refI([]int{1}, 5)}, []*Tensor{y})
	refWantErr(t, err, `node "g" (Gather): index 5 is out of range for axis 0 of size 3`)
}

func TestRange(t *testing.T) {
	refWantF(t, refRun1(t, 0, "Range", nil, refF(nil, 1), refF(nil, 2), refF(nil, 0.3)), []int{4}, 1, 1.3, 1.6, 1.9)
	refWantI(t, refRun1(t, 0, "Range", nil, refI(nil, 10), refI(nil, 4), refI(nil, -3)), Int64, []int{2}, 10, 7)
	refWantI(t, refRun1(t, 0, "Range", nil, refI32(nil, 0), refI32(nil, 3), refI32(nil, 1)), Int32, []int{3}, 0, 1, 2)
	refWantI(t, refRun1(t, 0, "Range", nil, refI(nil, 5), refI(nil, 1), refI(nil, 1)), Int64, []int{0})
	_, err := refRun(0, "Range", nil, 1, refI(nil, 0), refI(nil, 3), refI(nil, 0))
	refWantErr(t, err, `node "n" (Range): delta is 0`)
	_, err = refRun(0, "Range", nil, 1, refI(nil, 0), refI32(nil, 3), refI(nil, 1))
	refWantErr(t, err, `node "n" (Range): inputs "x0" (int64) and "x1" (int32) must have the same dtype`)
}

func TestConstantOfShape(t *testing.T) {
	refWantF(t, refRun1(t, 0, "ConstantOfShape", nil, refI([]int{2}, 2, 3)), []int{2, 3}, 0, 0, 0, 0, 0, 0)
	seven := Attrs{"value": {Kind: AttrTensor, Tensor: refI([]int{1}, 7)}}
	refWantI(t, refRun1(t, 0, "ConstantOfShape", seven, refI([]int{1}, 3)), Int64, []int{3}, 7, 7, 7)
	half := Attrs{"value": {Kind: AttrTensor, Tensor: refF([]int{1}, 0.5)}}
	refWantF(t, refRun1(t, 0, "ConstantOfShape", half, refI([]int{0})), []int{}, 0.5)
	_, err := refRun(0, "ConstantOfShape", nil, 1, refI([]int{2}, 2, -1))
	refWantErr(t, err, `node "n" (ConstantOfShape): shape [2 -1] has the negative size -1`)
}

func TestConstant(t *testing.T) {
	tensor := Attrs{"value": {Kind: AttrTensor, Tensor: refF([]int{2}, 1, 2)}}
	refWantF(t, refRun1(t, 0, "Constant", tensor), []int{2}, 1, 2)
	refWantF(t, refRun1(t, 0, "Constant", Attrs{"value_float": FloatAttr(3)}), []int{}, 3)
	refWantF(t, refRun1(t, 0, "Constant", Attrs{"value_floats": FloatsAttr(3, 4)}), []int{2}, 3, 4)
	refWantI(t, refRun1(t, 0, "Constant", Attrs{"value_int": IntAttr(5)}), Int64, []int{}, 5)
	refWantI(t, refRun1(t, 0, "Constant", Attrs{"value_ints": IntsAttr(5, 6)}), Int64, []int{2}, 5, 6)
	_, err := refRun(0, "Constant", Attrs{"value_string": StringAttr("a")}, 1)
	refWantErr(t, err, `node "n" (Constant): its value_string cannot be computed (accepted: value, value_float(s), value_int(s))`)
	_, err = refRun(0, "Constant", nil, 1)
	refWantErr(t, err, `node "n" (Constant): has no value`)
}
