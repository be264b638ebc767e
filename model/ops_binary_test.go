package model

import "testing"

func TestArithBroadcasts(t *testing.T) {
	a23 := refF([]int{2, 3}, 0, 1, 2, 3, 4, 5)
	tests := []struct {
		name  string
		op    string
		a, b  *Tensor
		shape []int
		want  []float32
	}{
		{"row", "Add", a23, refF([]int{3}, 10, 20, 30), []int{2, 3}, []float32{10, 21, 32, 13, 24, 35}},
		{"column", "Add", a23, refF([]int{2, 1}, 100, 200), []int{2, 3}, []float32{100, 101, 102, 203, 204, 205}},
		{"scalar", "Sub", a23, refF(nil, 1), []int{2, 3}, []float32{-1, 0, 1, 2, 3, 4}},
		{"scalar first", "Sub", refF(nil, 1), a23, []int{2, 3}, []float32{1, 0, -1, -2, -3, -4}},
		{"both ways", "Mul", refF([]int{2, 1}, 1, 2), refF([]int{1, 3}, 10, 20, 30), []int{2, 3}, []float32{10, 20, 30, 20, 40, 60}},
		{"rank 3 against 1", "Mul", refF([]int{2, 1, 2}, 1, 2, 3, 4), refF([]int{2}, 10, 100), []int{2, 1, 2}, []float32{10, 200, 30, 400}},
		{"divide", "Div", refF([]int{2}, 1, -3), refF([]int{1}, 2), []int{2}, []float32{0.5, -1.5}},
		{"empty", "Add", refF([]int{0, 3}), refF([]int{3}, 1, 2, 3), []int{0, 3}, []float32{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, 0, tc.op, nil, tc.a, tc.b), tc.shape, tc.want...)
		})
	}
}

func TestArithIntegers(t *testing.T) {
	// ONNX's integer Div truncates toward zero, as C does (numpy floors).
	got := refRun1(t, 0, "Div", nil, refI([]int{4}, 7, -7, 7, -7), refI([]int{4}, 2, 2, -2, -2))
	refWantI(t, got, Int64, []int{4}, 3, -3, -3, 3)
	got = refRun1(t, 0, "Sub", nil, refI([]int{2, 2}, 1, 2, 3, 4), refI([]int{2, 1}, 1, 10))
	refWantI(t, got, Int64, []int{2, 2}, 0, 1, -7, -6)
	got = refRun1(t, 0, "Add", nil, refI32([]int{2}, 2147483647, 1), refI32(nil, 1))
	refWantI(t, got, Int32, []int{2}, -2147483648, 2)

	_, err := refRun(0, "Div", nil, 1, refI([]int{2}, 1, 2), refI([]int{2}, 1, 0))
	refWantErr(t, err, `node "n" (Div): integer division by zero`)
}

func TestPowMixesDTypes(t *testing.T) {
	refWantF(t, refRun1(t, 0, "Pow", nil, refF([]int{3}, 2, 4, 9), refF([]int{3}, 3, 0.5, 0.5)), []int{3}, 8, 2, 3)
	refWantF(t, refRun1(t, 0, "Pow", nil, refF([]int{2}, 2, 3), refI(nil, 2)), []int{2}, 4, 9)
	refWantI(t, refRun1(t, 0, "Pow", nil, refI([]int{2}, 2, 3), refF(nil, 2)), Int64, []int{2}, 4, 9)
	refWantI(t, refRun1(t, 0, "Pow", nil, refI([]int{2}, 2, -3), refI([]int{2}, 3, 2)), Int64, []int{2}, 8, 9)
}

func TestEqualTypes(t *testing.T) {
	refWantB(t, refRun1(t, 0, "Equal", nil, refF([]int{3}, 1, 2, 3), refF([]int{1}, 1)), []int{3}, true, false, false)
	refWantB(t, refRun1(t, 0, "Equal", nil, refI([]int{2}, 1, 2), refI(nil, 2)), []int{2}, false, true)
	refWantB(t, refRun1(t, 0, "Equal", nil, refB([]int{2}, true, false), refB([]int{2}, true, true)), []int{2}, true, false)
}

func TestWhereBroadcastsThreeWays(t *testing.T) {
	cond := refB([]int{2, 1}, true, false)
	got := refRun1(t, 0, "Where", nil, cond, refF([]int{3}, 1, 2, 3), refF(nil, 0))
	refWantF(t, got, []int{2, 3}, 1, 2, 3, 0, 0, 0)
	got = refRun1(t, 0, "Where", nil, refB([]int{3}, false, true, false), refI([]int{3}, 1, 2, 3), refI([]int{2, 1}, -1, -2))
	refWantI(t, got, Int64, []int{2, 3}, -1, 2, -1, -2, 2, -2)
}

func TestBinaryInferenceErrors(t *testing.T) {
	tests := []struct {
		name string
		op   string
		in   []*Tensor
		msg  string
	}{
		{"dtypes", "Add", []*Tensor{refF([]int{2}, 1, 2), refI([]int{2}, 1, 2)},
			`node "n" (Add): inputs "x0" (float32) and "x1" (int64) must have the same dtype`},
		{"shapes", "Mul", []*Tensor{refF([]int{2, 3}, refSeq(6, 1, 0)...), refF([]int{2}, 1, 2)},
			`node "n" (Mul): "x0" [2 3] and "x1" [2] do not broadcast (dimension 1: 3 against 2)`},
		{"bool arithmetic", "Add", []*Tensor{refB([]int{1}, true), refB([]int{1}, true)},
			`node "n" (Add): input "x0" is bool; Add computes float32, int32 or int64`},
		{"where condition", "Where", []*Tensor{refF([]int{1}, 1), refF([]int{1}, 1), refF([]int{1}, 1)},
			`node "n" (Where): input "x0" is float32; Where takes bool there`},
		{"arity", "Add", []*Tensor{refF([]int{1}, 1)}, `node "n" (Add): takes 2 inputs, got 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := refRun(0, tc.op, nil, 1, tc.in...)
			refWantErr(t, err, tc.msg)
		})
	}
}
