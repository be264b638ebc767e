package model

import "testing"

func TestReduceForms(t *testing.T) {
	x := refF([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	noKeep := Attrs{"keepdims": IntAttr(0)}
	axes := func(v ...int64) Attrs { return Attrs{"axes": IntsAttr(v...)} }
	tests := []struct {
		name  string
		opset int
		op    string
		attrs Attrs
		in    []*Tensor
		shape []int
		want  []float32
	}{
		{"sum, axes attribute before 13", 11, "ReduceSum", axes(1), []*Tensor{x}, []int{2, 1}, []float32{6, 15}},
		{"sum, axes input from 13", 13, "ReduceSum", noKeep, []*Tensor{x, refI([]int{1}, -1)}, []int{2}, []float32{6, 15}},
		{"sum of everything", 13, "ReduceSum", nil, []*Tensor{x}, []int{1, 1}, []float32{21}},
		{"sum, empty axes", 13, "ReduceSum", nil, []*Tensor{x, refI([]int{0})}, []int{1, 1}, []float32{21}},
		{"sum, noop_with_empty_axes", 13, "ReduceSum", Attrs{"noop_with_empty_axes": IntAttr(1)}, []*Tensor{x}, []int{2, 3},
			[]float32{1, 2, 3, 4, 5, 6}},
		{"mean, axes attribute before 18", 17, "ReduceMean", axes(0), []*Tensor{x}, []int{1, 3}, []float32{2.5, 3.5, 4.5}},
		{"mean, axes input from 18", 18, "ReduceMean", noKeep, []*Tensor{x, refI([]int{1}, 0)}, []int{3}, []float32{2.5, 3.5, 4.5}},
		{"max", 13, "ReduceMax", axes(1), []*Tensor{x}, []int{2, 1}, []float32{3, 6}},
		{"max of everything, no keepdims", 13, "ReduceMax", noKeep, []*Tensor{x}, []int{}, []float32{6}},
		{"two axes of three", 13, "ReduceSum", nil, []*Tensor{refF([]int{2, 2, 2}, refSeq(8, 1, 1)...), refI([]int{2}, 0, 2)},
			[]int{1, 2, 1}, []float32{14, 22}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, tc.opset, tc.op, tc.attrs, tc.in...), tc.shape, tc.want...)
		})
	}
}

func TestReduceIntegers(t *testing.T) {
	x := refI([]int{2, 2}, 1, 5, 7, 2)
	refWantI(t, refRun1(t, 13, "ReduceMax", Attrs{"axes": IntsAttr(0)}, x), Int64, []int{1, 2}, 7, 5)
	refWantI(t, refRun1(t, 13, "ReduceSum", nil, x, refI([]int{1}, 1)), Int64, []int{2, 1}, 6, 9)
	refWantI(t, refRun1(t, 13, "ReduceMean", Attrs{"axes": IntsAttr(1)}, x), Int64, []int{2, 1}, 3, 4)
}

func TestReduceErrors(t *testing.T) {
	x := refF([]int{2, 3}, refSeq(6, 1, 0)...)
	_, err := refRun(13, "ReduceMean", nil, 1, x, refI([]int{1}, 0))
	refWantErr(t, err, `node "n" (ReduceMean): takes axes as an attribute at opset 13, got 2 inputs`)
	_, err = refRun(13, "ReduceSum", nil, 1, x, refI([]int{1}, 2))
	refWantErr(t, err, `node "n" (ReduceSum): axis 2 is out of range for rank 2 (accepted: -2 to 1)`)
	_, err = refRun(11, "ReduceSum", Attrs{"axes": IntsAttr(1, -1)}, 1, x)
	refWantErr(t, err, `node "n" (ReduceSum): axes [1 -1] name axis 1 twice`)
	_, err = refRun(13, "ReduceSum", nil, 1, x, refF([]int{1}, 1))
	refWantErr(t, err, `node "n" (ReduceSum): its axes input "x1" is float32; it must be int64 or int32`)
}
