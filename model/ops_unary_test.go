package model

import "testing"

func TestUnaryFloat(t *testing.T) {
	tests := []struct {
		op    string
		attrs Attrs
		in    []float32
		want  []float32
	}{
		{"Sqrt", nil, []float32{4, 9, 0}, []float32{2, 3, 0}},
		{"Exp", nil, []float32{0, 1}, []float32{1, 2.7182817}},
		{"Erf", nil, []float32{0, 0.5, -0.5}, []float32{0, 0.52049988, -0.52049988}},
		{"Neg", nil, []float32{1, -2}, []float32{-1, 2}},
		{"Relu", nil, []float32{-1, 0, 2}, []float32{0, 0, 2}},
		{"LeakyRelu", nil, []float32{-10, 3}, []float32{-0.1, 3}},
		{"LeakyRelu", Attrs{"alpha": FloatAttr(0.5)}, []float32{-2, 2}, []float32{-1, 2}},
		{"Sigmoid", nil, []float32{0, 1.0986123}, []float32{0.5, 0.75}},
		{"HardSigmoid", nil, []float32{-5, 0, 1, 5}, []float32{0, 0.5, 0.7, 1}},
		{"HardSigmoid", Attrs{"alpha": FloatAttr(0.5), "beta": FloatAttr(0)}, []float32{-1, 1, 4}, []float32{0, 0.5, 1}},
		{"HardSwish", nil, []float32{-4, -1, 0, 1, 4}, []float32{0, -0.33333334, 0, 0.6666667, 4}},
		{"Tanh", nil, []float32{0, 0.5}, []float32{0, 0.46211716}},
		{"Gelu", nil, []float32{-1, 0, 1, 2}, []float32{-0.15865525, 0, 0.84134475, 1.9544997}},
		{"Gelu", Attrs{"approximate": StringAttr("tanh")}, []float32{-1, 0, 1, 2}, []float32{-0.15880801, 0, 0.84119199, 1.9545977}},
		{"Identity", nil, []float32{1.5}, []float32{1.5}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			got := refRun1(t, 0, tc.op, tc.attrs, refF([]int{len(tc.in)}, tc.in...))
			refWantF(t, got, []int{len(tc.in)}, tc.want...)
		})
	}
}

func TestUnaryIntegers(t *testing.T) {
	refWantI(t, refRun1(t, 0, "Neg", nil, refI([]int{2}, 3, -4)), Int64, []int{2}, -3, 4)
	refWantI(t, refRun1(t, 0, "Relu", nil, refI32([]int{2}, -5, 5)), Int32, []int{2}, 0, 5)
	refWantI(t, refRun1(t, 0, "Identity", nil, refI([]int{1, 2}, 7, 8)), Int64, []int{1, 2}, 7, 8)
	refWantB(t, refRun1(t, 0, "Identity", nil, refB([]int{1}, true)), []int{1}, true)
}

func TestClipForms(t *testing.T) {
	x := refF([]int{3}, -2, 0.5, 2)
	// Before opset 11 the bounds are attributes.
	refWantF(t, refRun1(t, 10, "Clip", Attrs{"min": FloatAttr(-1), "max": FloatAttr(1)}, x), []int{3}, -1, 0.5, 1)
	refWantF(t, refRun1(t, 10, "Clip", Attrs{"max": FloatAttr(0)}, x), []int{3}, -2, 0, 0)
	// From 11 they are optional inputs; a missing one is no bound.
	refWantF(t, refRun1(t, 13, "Clip", nil, x, refF(nil, 0)), []int{3}, 0, 0.5, 2)
	refWantF(t, refRun1(t, 13, "Clip", nil, x, nil, refF(nil, 0)), []int{3}, -2, 0, 0)
	refWantF(t, refRun1(t, 13, "Clip", nil, x), []int{3}, -2, 0.5, 2)
	refWantI(t, refRun1(t, 13, "Clip", nil, refI([]int{3}, -5, 5, 10), refI(nil, 0), refI(nil, 7)), Int64, []int{3}, 0, 5, 7)

	_, err := refRun(10, "Clip", nil, 1, x, refF(nil, 0))
	refWantErr(t, err, `node "n" (Clip): takes min and max as attributes before opset 11, got 2 inputs`)
	_, err = refRun(13, "Clip", nil, 1, x, refF([]int{2}, 0, 1))
	refWantErr(t, err, `node "n" (Clip): its bound "x1" has shape [2]; min and max must be scalars`)
}

func TestCast(t *testing.T) {
	to := func(d DType) Attrs { return Attrs{"to": IntAttr(int64(d))} }
	x := refF([]int{4}, 1.7, -1.7, 0, 2.5)
	refWantI(t, refRun1(t, 0, "Cast", to(Int64), x), Int64, []int{4}, 1, -1, 0, 2)
	refWantI(t, refRun1(t, 0, "Cast", to(Int32), x), Int32, []int{4}, 1, -1, 0, 2)
	refWantB(t, refRun1(t, 0, "Cast", to(Bool), x), []int{4}, true, true, false, true)
	refWantF(t, refRun1(t, 0, "Cast", to(Float32), refI([]int{2}, 3, 0)), []int{2}, 3, 0)
	refWantB(t, refRun1(t, 0, "Cast", to(Bool), refI([]int{2}, 3, 0)), []int{2}, true, false)
	refWantF(t, refRun1(t, 0, "Cast", to(Float32), refB([]int{2}, true, false)), []int{2}, 1, 0)
	refWantI(t, refRun1(t, 0, "Cast", to(Int64), refB([]int{2}, true, false)), Int64, []int{2}, 1, 0)
	refWantI(t, refRun1(t, 0, "Cast", to(Int32), refI([]int{1}, 4294967297)), Int32, []int{1}, 1)

	_, err := refRun(0, "Cast", to(Float16), 1, x)
	refWantErr(t, err, `node "n" (Cast): casts to float16; only float32, int64, int32 and bool can be computed`)
	_, err = refRun(0, "Cast", nil, 1, x)
	refWantErr(t, err, `node "n" (Cast): has no attribute to`)
}

func TestDropoutIsIdentityWithMask(t *testing.T) {
	x := refF([]int{2}, 1, 2)
	out, err := refRun(13, "Dropout", nil, 2, x, refF(nil, 0.5), refB(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	refWantF(t, out[0], []int{2}, 1, 2)
	refWantB(t, out[1], []int{2}, true, true)
	// Before opset 10 the mask has the input's dtype.
	out, err = refRun(7, "Dropout", Attrs{"ratio": FloatAttr(0.3)}, 2, x)
	if err != nil {
		t.Fatal(err)
	}
	refWantF(t, out[1], []int{2}, 1, 1)

	_, err = refRun(13, "Dropout", nil, 1, x, nil, refB(nil, true))
	refWantErr(t, err, `node "n" (Dropout): training_mode is true; Dropout is computed for inference only`)
	_, err = refRun(11, "Dropout", nil, 1, x, refF(nil, 0.5))
	refWantErr(t, err, `node "n" (Dropout): takes ratio as an attribute before opset 12, got 2 inputs`)
}

func TestUnaryInferenceErrors(t *testing.T) {
	_, err := refRun(0, "Gelu", Attrs{"approximate": StringAttr("fast")}, 1, refF([]int{1}, 1))
	refWantErr(t, err, `node "n" (Gelu): approximate "fast" is not one of none, tanh`)
	_, err = refRun(0, "Sqrt", nil, 1, refI([]int{1}, 4))
	refWantErr(t, err, `node "n" (Sqrt): input "x0" is int64; Sqrt computes float32`)
}
