package model

import "testing"

func TestReshape(t *testing.T) {
	x := refF([]int{2, 3, 4}, refSeq(24, 1, 0)...)
	tests := []struct {
		name  string
		opset int
		attrs Attrs
		x     *Tensor
		shape []int64
		want  []int
	}{
		{"sizes", 13, nil, x, []int64{4, 6}, []int{4, 6}},
		{"copy and infer", 13, nil, x, []int64{0, -1}, []int{2, 12}},
		{"infer first", 13, nil, x, []int64{-1, 4}, []int{6, 4}},
		{"to a scalar", 13, nil, refF([]int{1, 1}, 7), []int64{}, []int{}},
		{"allowzero keeps a 0", 14, Attrs{"allowzero": IntAttr(1)}, refF([]int{0, 3, 4}), []int64{3, 4, 0}, []int{3, 4, 0}},
		{"0 copies without allowzero", 14, nil, refF([]int{0, 3, 4}), []int64{0, 12}, []int{0, 12}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := refRun1(t, tc.opset, "Reshape", tc.attrs, tc.x, refI([]int{len(tc.shape)}, tc.shape...))
			refWantF(t, got, tc.want, tc.x.F32...)
		})
	}
	for _, tc := range []struct {
		shape []int64
		msg   string
	}{
		{[]int64{-1, -1}, `node "n" (Reshape): shape [-1 -1] has more than one -1`},
		{[]int64{5, 5}, `node "n" (Reshape): cannot reshape [2 3 4] (24 elements) to [5 5] (25 elements)`},
		{[]int64{5, -1}, `node "n" (Reshape): cannot reshape [2 3 4] to shape [5 -1]: the element counts do not divide`},
		{[]int64{-2, 12}, `node "n" (Reshape): shape [-2 12] has the size -2 (accepted: sizes, 0 to copy, one -1 to infer)`},
		{[]int64{0, 0, 0, 0}, `node "n" (Reshape): shape [0 0 0 0] copies dimension 3 of [2 3 4], which has rank 3`},
	} {
		_, err := refRun(13, "Reshape", nil, 1, x, refI([]int{len(tc.shape)}, tc.shape...))
		refWantErr(t, err, tc.msg)
	}
}

func TestFlattenSqueezeUnsqueeze(t *testing.T) {
	x := refF([]int{2, 3, 4}, refSeq(24, 1, 0)...)
	y := refF([]int{1, 3, 1}, 1, 2, 3)
	m := refF([]int{2, 3}, refSeq(6, 1, 0)...)
	tests := []struct {
		name  string
		opset int
		op    string
		attrs Attrs
		in    []*Tensor
		shape []int
	}{
		{"flatten at 1", 13, "Flatten", nil, []*Tensor{x}, []int{2, 12}},
		{"flatten at 0", 13, "Flatten", Attrs{"axis": IntAttr(0)}, []*Tensor{x}, []int{1, 24}},
		{"flatten at -1", 13, "Flatten", Attrs{"axis": IntAttr(-1)}, []*Tensor{x}, []int{6, 4}},
		{"flatten at the rank", 13, "Flatten", Attrs{"axis": IntAttr(3)}, []*Tensor{x}, []int{24, 1}},
		{"squeeze attribute", 11, "Squeeze", Attrs{"axes": IntsAttr(0)}, []*Tensor{y}, []int{3, 1}},
		{"squeeze input", 13, "Squeeze", nil, []*Tensor{y, refI([]int{1}, -1)}, []int{1, 3}},
		{"squeeze every 1", 13, "Squeeze", nil, []*Tensor{y}, []int{3}},
		{"squeeze with empty axes", 13, "Squeeze", nil, []*Tensor{y, refI([]int{0})}, []int{3}},
		{"unsqueeze attribute", 11, "Unsqueeze", Attrs{"axes": IntsAttr(0, 3)}, []*Tensor{m}, []int{1, 2, 3, 1}},
		{"unsqueeze input", 13, "Unsqueeze", nil, []*Tensor{m, refI([]int{1}, -1)}, []int{2, 3, 1}},
		{"unsqueeze a scalar", 13, "Unsqueeze", nil, []*Tensor{refF(nil, 5), refI([]int{1}, 0)}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, tc.opset, tc.op, tc.attrs, tc.in...), tc.shape, tc.in[0].F32...)
		})
	}
	_, err := refRun(13, "Squeeze", nil, 1, y, refI([]int{1}, 1))
	refWantErr(t, err, `node "n" (Squeeze): axis 1 of [1 3 1] has size 3; only axes of size 1 can be squeezed`)
	_, err = refRun(13, "Unsqueeze", nil, 1, m)
	refWantErr(t, err, `node "n" (Unsqueeze): has no axes`)
	_, err = refRun(13, "Unsqueeze", nil, 1, m, refI([]int{1}, 3))
	refWantErr(t, err, `node "n" (Unsqueeze): axis 3 is out of range for rank 3 (accepted: -3 to 2)`)
	_, err = refRun(11, "Squeeze", nil, 1, y, refI([]int{1}, 0))
	refWantErr(t, err, `node "n" (Squeeze): takes axes as an attribute before opset 13, got 2 inputs`)
}

func TestTranspose(t *testing.T) {
	refWantF(t, refRun1(t, 0, "Transpose", nil, refF([]int{2, 3}, 1, 2, 3, 4, 5, 6)), []int{3, 2}, 1, 4, 2, 5, 3, 6)
	got := refRun1(t, 0, "Transpose", Attrs{"perm": IntsAttr(2, 0, 1)}, refF([]int{1, 2, 2}, 1, 2, 3, 4))
	refWantF(t, got, []int{2, 1, 2}, 1, 3, 2, 4)
	got = refRun1(t, 0, "Transpose", Attrs{"perm": IntsAttr(1, 0)}, refI([]int{1, 3}, 7, 8, 9))
	refWantI(t, got, Int64, []int{3, 1}, 7, 8, 9)
	_, err := refRun(0, "Transpose", Attrs{"perm": IntsAttr(0, 0)}, 1, refF([]int{1, 1}, 1))
	refWantErr(t, err, `node "n" (Transpose): perm [0 0] is not a permutation of 0 to 1`)
}

func TestShapeStartEnd(t *testing.T) {
	x := refF([]int{2, 3, 4}, refSeq(24, 0, 0)...)
	tests := []struct {
		name  string
		opset int
		attrs Attrs
		want  []int64
	}{
		{"whole", 13, nil, []int64{2, 3, 4}},
		{"start and end need opset 15", 13, Attrs{"start": IntAttr(1)}, []int64{2, 3, 4}},
		{"start", 15, Attrs{"start": IntAttr(1)}, []int64{3, 4}},
		{"negative end", 15, Attrs{"end": IntAttr(-1)}, []int64{2, 3}},
		{"clamped", 15, Attrs{"start": IntAttr(-10), "end": IntAttr(10)}, []int64{2, 3, 4}},
		{"empty", 15, Attrs{"start": IntAttr(2), "end": IntAttr(1)}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantI(t, refRun1(t, tc.opset, "Shape", tc.attrs, x), Int64, []int{len(tc.want)}, tc.want...)
		})
	}
}

func TestExpand(t *testing.T) {
	got := refRun1(t, 0, "Expand", nil, refF([]int{3, 1}, 1, 2, 3), refI([]int{3}, 2, 1, 2))
	refWantF(t, got, []int{2, 3, 2}, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3)
	// Both ways: the shape may be smaller than the input's.
	got = refRun1(t, 0, "Expand", nil, refI([]int{2, 1}, 4, 5), refI([]int{1}, 2))
	refWantI(t, got, Int64, []int{2, 2}, 4, 4, 5, 5)
	_, err := refRun(0, "Expand", nil, 1, refF([]int{3}, 1, 2, 3), refI([]int{1}, 2))
	refWantErr(t, err, `node "n" (Expand): "x0" [3] does not broadcast with the shape [2] (dimension 0: 3 against 2)`)
}
