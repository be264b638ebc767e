package backendtest

import (
	"math"
	"slices"
	"testing"

	"infertop/model"
)

func TestCompare(t *testing.T) {
	f := func(v ...float32) *model.Tensor { return model.Floats([]int{len(v)}, v) }
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tol := Tolerance{RTol: DefaultRTol, ATol: DefaultATol}
	tests := []struct {
		name      string
		got, want *model.Tensor
		mismatch  *Mismatch // nil: they agree
	}{
		{"equal", f(1, 2, 3), f(1, 2, 3), nil},
		{"within rtol", f(1000.9, -2), f(1000, -2), nil},
		{"within atol at zero", f(5e-8), f(0), nil},
		{"NaN equals NaN", f(nan, inf, -inf), f(nan, inf, -inf), nil},
		{"beyond rtol", f(1, 2.01, 3), f(1, 2, 3),
			&Mismatch{Bad: 1, Total: 3, MaxAbs: 0.0099999905, MaxRel: 0.0049999952, At: []int{1}, Got: 2.0099999904632568, Want: 2}},
		{"worst is the farthest out of its tolerance", f(1001.5, 1.2), f(1000, 1),
			&Mismatch{Bad: 2, Total: 2, MaxAbs: 1.5, MaxRel: 0.20000005, At: []int{1}, Got: 1.2000000476837158, Want: 1}},
		{"NaN against a number", f(nan, 1), f(0, 1), &Mismatch{Bad: 1, Total: 2, MaxAbs: math.Inf(1), At: []int{0}, Got: math.NaN()}},
		{"infinities of other signs", f(-inf), f(inf), &Mismatch{Bad: 1, Total: 1, MaxAbs: math.Inf(1), MaxRel: math.NaN(), At: []int{0}, Got: math.Inf(-1), Want: math.Inf(1)}},
		{"integers exactly", model.Ints([]int{2, 2}, []int64{1, 2, 3, 4}), model.Ints([]int{2, 2}, []int64{1, 2, 3, 5}),
			&Mismatch{Bad: 1, Total: 4, MaxAbs: 1, MaxRel: 0.2, At: []int{1, 1}, Got: 4, Want: 5}},
		{"bools", &model.Tensor{DType: model.Bool, Shape: []int{2}, Bool: []bool{true, true}},
			&model.Tensor{DType: model.Bool, Shape: []int{2}, Bool: []bool{true, false}},
			&Mismatch{Bad: 1, Total: 2, MaxAbs: 1, MaxRel: math.Inf(1), At: []int{1}, Got: 1, Want: 0}},
		{"dtype", model.Ints([]int{1}, []int64{1}), &model.Tensor{DType: model.Int32, Shape: []int{1}, I64: []int64{1}},
			&Mismatch{Detail: "dtype int64, want int32"}},
		{"shape", model.Floats([]int{1, 2}, []float32{1, 2}), f(1, 2), &Mismatch{Detail: "shape [1 2], want [2]"}},
		{"nothing returned", nil, f(1), &Mismatch{Detail: "no tensor returned"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Compare(tc.got, tc.want, tol)
			switch {
			case tc.mismatch == nil && m != nil:
				t.Fatalf("mismatch %s", m)
			case tc.mismatch == nil:
			case m == nil:
				t.Fatalf("no mismatch, want %+v", tc.mismatch)
			default:
				want := tc.mismatch
				if m.Detail != want.Detail || m.Bad != want.Bad || m.Total != want.Total || !slices.Equal(m.At, want.At) ||
					!near(m.MaxAbs, want.MaxAbs) || !near(m.Got, want.Got) || !near(m.Want, want.Want) ||
					(want.MaxRel != 0 && !near(m.MaxRel, want.MaxRel)) {
					t.Fatalf("got %+v\nwant %+v", m, want)
				}
			}
		})
	}
}

// near compares floats to 1e-6, NaN equal to NaN.
func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) == math.IsNaN(b)
	}
	return a == b || math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b))
}

func TestMismatchString(t *testing.T) {
	m := &Mismatch{DataSet: "test_data_set_0", Output: "y", Bad: 3, Total: 60, MaxAbs: 0.25, MaxRel: 0.01, At: []int{0, 1, 2}, Got: 1.25, Want: 1}
	want := `test_data_set_0, output "y": 3 of 60 elements out of tolerance, max abs error 0.25, max rel error 0.01; worst at [0 1 2]: got 1.25, want 1`
	if s := m.String(); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
	m = &Mismatch{DataSet: "test_data_set_1", Output: "z", Detail: "shape [2], want [3]"}
	if s := m.String(); s != `test_data_set_1, output "z": shape [2], want [3]` {
		t.Errorf("got %s", s)
	}
}
