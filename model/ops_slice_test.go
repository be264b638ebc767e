package model

import (
	"math"
	"testing"
)

func TestConcat(t *testing.T) {
	a, b := refF([]int{2, 1}, 1, 2), refF([]int{2, 2}, 3, 4, 5, 6)
	refWantF(t, refRun1(t, 0, "Concat", Attrs{"axis": IntAttr(1)}, a, b), []int{2, 3}, 1, 3, 4, 2, 5, 6)
	refWantF(t, refRun1(t, 0, "Concat", Attrs{"axis": IntAttr(-1)}, a, b), []int{2, 3}, 1, 3, 4, 2, 5, 6)
	refWantF(t, refRun1(t, 0, "Concat", Attrs{"axis": IntAttr(0)}, refF([]int{1, 2}, 1, 2), b), []int{3, 2}, 1, 2, 3, 4, 5, 6)
	got := refRun1(t, 0, "Concat", Attrs{"axis": IntAttr(0)}, refI([]int{1}, 1), refI([]int{0}), refI([]int{2}, 2, 3))
	refWantI(t, got, Int64, []int{3}, 1, 2, 3)

	_, err := refRun(0, "Concat", Attrs{"axis": IntAttr(0)}, 1, a, b)
	refWantErr(t, err, `node "n" (Concat): "x0" [2 1] and "x1" [2 2] differ in dimension 1, which is not the axis 0`)
	_, err = refRun(0, "Concat", Attrs{"axis": IntAttr(0)}, 1, a, refF([]int{2}, 1, 2))
	refWantErr(t, err, `node "n" (Concat): "x0" [2 1] and "x1" [2] differ in rank`)
	_, err = refRun(0, "Concat", nil, 1, a, b)
	refWantErr(t, err, `node "n" (Concat): has no axis`)
}

func TestSplitForms(t *testing.T) {
	x := refF([]int{2, 3}, 0, 1, 2, 3, 4, 5)
	axis1 := Attrs{"axis": IntAttr(1)}
	check := func(t *testing.T, out []*Tensor, err error, shapes [][]int, want [][]float32) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			refWantF(t, out[i], shapes[i], want[i]...)
		}
	}
	t.Run("attribute before 13", func(t *testing.T) {
		out, err := refRun(11, "Split", Attrs{"axis": IntAttr(1), "split": IntsAttr(1, 2)}, 2, x)
		check(t, out, err, [][]int{{2, 1}, {2, 2}}, [][]float32{{0, 3}, {1, 2, 4, 5}})
	})
	t.Run("input from 13", func(t *testing.T) {
		out, err := refRun(13, "Split", axis1, 2, x, refI([]int{2}, 2, 1))
		check(t, out, err, [][]int{{2, 2}, {2, 1}}, [][]float32{{0, 1, 3, 4}, {2, 5}})
	})
	t.Run("even", func(t *testing.T) {
		out, err := refRun(13, "Split", axis1, 3, x)
		check(t, out, err, [][]int{{2, 1}, {2, 1}, {2, 1}}, [][]float32{{0, 3}, {1, 4}, {2, 5}})
	})
	t.Run("rows", func(t *testing.T) {
		out, err := refRun(13, "Split", nil, 2, x)
		check(t, out, err, [][]int{{1, 3}, {1, 3}}, [][]float32{{0, 1, 2}, {3, 4, 5}})
	})
	t.Run("num_outputs from 18, the last smaller", func(t *testing.T) {
		out, err := refRun(18, "Split", Attrs{"axis": IntAttr(1), "num_outputs": IntAttr(2)}, 2, x)
		check(t, out, err, [][]int{{2, 2}, {2, 1}}, [][]float32{{0, 1, 3, 4}, {2, 5}})
	})
	_, err := refRun(13, "Split", axis1, 2, x)
	refWantErr(t, err, `node "n" (Split): the axis of size 3 does not split evenly into 2 outputs`)
	_, err = refRun(13, "Split", axis1, 2, x, refI([]int{2}, 1, 1))
	refWantErr(t, err, `node "n" (Split): split [1 1] adds up to 2, the axis has 3`)
	_, err = refRun(13, "Split", axis1, 3, x, refI([]int{2}, 1, 2))
	refWantErr(t, err, `node "n" (Split): split [1 2] has 2 sizes for 3 outputs`)
}

func TestSlice(t *testing.T) {
	x := refF([]int{2, 4}, 0, 1, 2, 3, 4, 5, 6, 7)
	ints := func(v ...int64) *Tensor { return refI([]int{len(v)}, v...) }
	tests := []struct {
		name  string
		opset int
		attrs Attrs
		in    []*Tensor
		shape []int
		want  []float32
	}{
		{"attributes before 10", 9, Attrs{"starts": IntsAttr(1), "ends": IntsAttr(3), "axes": IntsAttr(1)}, []*Tensor{x},
			[]int{2, 2}, []float32{1, 2, 5, 6}},
		{"attributes, axes by default", 9, Attrs{"starts": IntsAttr(1, 0), "ends": IntsAttr(2, 1)}, []*Tensor{x},
			[]int{1, 1}, []float32{4}},
		{"inputs, axes by default", 13, nil, []*Tensor{x, ints(0, 1), ints(2, 4)}, []int{2, 3}, []float32{1, 2, 3, 5, 6, 7}},
		{"reversed", 13, nil, []*Tensor{x, ints(-1), ints(math.MinInt64), ints(1), ints(-1)}, []int{2, 4},
			[]float32{3, 2, 1, 0, 7, 6, 5, 4}},
		{"step 2", 13, nil, []*Tensor{x, ints(0), ints(100), ints(1), ints(2)}, []int{2, 2}, []float32{0, 2, 4, 6}},
		{"negative step 2", 13, nil, []*Tensor{x, ints(3), ints(0), ints(-1), ints(-2)}, []int{2, 2}, []float32{3, 1, 7, 5}},
		{"negative start", 13, nil, []*Tensor{x, ints(-2), ints(math.MaxInt64), ints(-1)}, []int{2, 2}, []float32{2, 3, 6, 7}},
		{"past the end", 13, nil, []*Tensor{x, ints(10), ints(20), ints(1)}, []int{2, 0}, []float32{}},
		{"int32 starts", 13, nil, []*Tensor{x, refI32([]int{1}, 1), refI32([]int{1}, 2)}, []int{1, 4}, []float32{4, 5, 6, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, tc.opset, "Slice", tc.attrs, tc.in...), tc.shape, tc.want...)
		})
	}
	for _, tc := range []struct {
		in  []*Tensor
		msg string
	}{
		{[]*Tensor{x, ints(0), ints(1), ints(1), ints(0)}, `node "n" (Slice): steps [0] has a 0`},
		{[]*Tensor{x, ints(0, 0), ints(1, 1), ints(1, -1)}, `node "n" (Slice): axes [1 -1] name axis 1 twice`},
		{[]*Tensor{x, ints(0, 0), ints(1)}, `node "n" (Slice): starts [0 0] and ends [1] differ in length`},
		{[]*Tensor{x, ints(0), ints(1), ints(2)}, `node "n" (Slice): axis 2 is out of range for rank 2 (accepted: -2 to 1)`},
	} {
		_, err := refRun(13, "Slice", nil, 1, tc.in...)
		refWantErr(t, err, tc.msg)
	}
}
