package model

import "testing"

func TestMatMulShapes(t *testing.T) {
	a23 := refF([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	b32 := refF([]int{3, 2}, 7, 8, 9, 10, 11, 12)
	tests := []struct {
		name  string
		a, b  *Tensor
		shape []int
		want  []float32
	}{
		{"matrices", a23, b32, []int{2, 2}, []float32{58, 64, 139, 154}},
		{"vector first", refF([]int{3}, 1, 2, 3), b32, []int{2}, []float32{58, 64}},
		{"vector second", a23, refF([]int{3}, 1, 1, 1), []int{2}, []float32{6, 15}},
		{"two vectors", refF([]int{3}, 1, 2, 3), refF([]int{3}, 4, 5, 6), []int{}, []float32{32}},
		{"batch broadcast", refF([]int{2, 1, 1, 2}, 1, 2, 3, 4), refF([]int{3, 2, 1}, 1, 0, 0, 1, 1, 1),
			[]int{2, 3, 1, 1}, []float32{1, 2, 3, 3, 4, 7}},
		{"batch against matrix", refF([]int{2, 1, 3}, 1, 2, 3, 4, 5, 6), b32, []int{2, 1, 2}, []float32{58, 64, 139, 154}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, 0, "MatMul", nil, tc.a, tc.b), tc.shape, tc.want...)
		})
	}
	refWantI(t, refRun1(t, 0, "MatMul", nil, refI([]int{1, 2}, 1, 2), refI([]int{2, 1}, 3, 4)), Int64, []int{1, 1}, 11)

	_, err := refRun(0, "MatMul", nil, 1, a23, refF([]int{2, 2}, 1, 2, 3, 4))
	refWantErr(t, err, `node "n" (MatMul): "x0" [2 3] and "x1" [2 2] do not multiply: 3 columns against 2 rows`)
	_, err = refRun(0, "MatMul", nil, 1, refF([]int{2, 1, 3}, refSeq(6, 1, 0)...), refF([]int{3, 3, 1}, refSeq(9, 1, 0)...))
	refWantErr(t, err, `node "n" (MatMul): the batch dimensions of "x0" [2 1 3] and "x1" [3 3 1] do not broadcast (dimension 0: 2 against 3)`)
}

func TestGemmForms(t *testing.T) {
	a := refF([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	at := refF([]int{3, 2}, 1, 4, 2, 5, 3, 6)
	b := refF([]int{3, 2}, 7, 8, 9, 10, 11, 12)
	bt := refF([]int{2, 3}, 7, 9, 11, 8, 10, 12)
	tests := []struct {
		name  string
		attrs Attrs
		in    []*Tensor
		want  []float32
	}{
		{"no C", nil, []*Tensor{a, b}, []float32{58, 64, 139, 154}},
		{"row C", nil, []*Tensor{a, b, refF([]int{2}, 1, -1)}, []float32{59, 63, 140, 153}},
		{"scalar C", nil, []*Tensor{a, b, refF(nil, 1)}, []float32{59, 65, 140, 155}},
		{"transA", Attrs{"transA": IntAttr(1)}, []*Tensor{at, b}, []float32{58, 64, 139, 154}},
		{"transB, alpha, beta, column C", Attrs{"transB": IntAttr(1), "alpha": FloatAttr(0.5), "beta": FloatAttr(2)},
			[]*Tensor{a, bt, refF([]int{2, 1}, 1, 2)}, []float32{31, 34, 73.5, 81}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, 0, "Gemm", tc.attrs, tc.in...), []int{2, 2}, tc.want...)
		})
	}
	_, err := refRun(0, "Gemm", nil, 1, a, b, refF([]int{3}, 1, 2, 3))
	refWantErr(t, err, `node "n" (Gemm): C [3] does not broadcast to [M N] = [2 2]`)
	_, err = refRun(0, "Gemm", Attrs{"transA": IntAttr(1)}, 1, a, b)
	refWantErr(t, err, `node "n" (Gemm): A [2 3] and B [3 2] do not multiply (transA=1, transB=0): 2 columns against 3 rows`)
}

func TestLinear(t *testing.T) {
	x := refF([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	w := refF([]int{2, 3}, 1, 0, -1, 0, 1, 0)
	b := refF([]int{2}, 1, 1)
	r := refF([]int{2, 2}, 1, 1, 1, 1)
	relu := Attrs{AttrActivation: StringAttr("Relu")}
	clip := Attrs{AttrActivation: StringAttr("Clip"), AttrActivationParams: FloatsAttr(0, 5)}
	refWantF(t, refRun1(t, 0, OpLinear, nil, x, w), []int{2, 2}, -2, 2, -2, 5)
	refWantF(t, refRun1(t, 0, OpLinear, nil, x, w, b), []int{2, 2}, -1, 3, -1, 6)
	refWantF(t, refRun1(t, 0, OpLinear, nil, x, w, b, r), []int{2, 2}, 0, 4, 0, 7)
	refWantF(t, refRun1(t, 0, OpLinear, relu, x, w, nil, r), []int{2, 2}, 0, 3, 0, 6)
	refWantF(t, refRun1(t, 0, OpLinear, clip, x, w, b), []int{2, 2}, 0, 3, 0, 5)
	x3 := refF([]int{2, 1, 3}, 1, 2, 3, 4, 5, 6)
	refWantF(t, refRun1(t, 0, OpLinear, nil, x3, w, b), []int{2, 1, 2}, -1, 3, -1, 6)

	_, err := refRun(0, OpLinear, nil, 1, x, refF([]int{2, 2}, 1, 2, 3, 4))
	refWantErr(t, err, `node "n" (infertop.Linear): X [2 3] has 3 features, the weight [2 2] takes 2`)
	_, err = refRun(0, OpLinear, nil, 1, x, w, b, refF([]int{2, 1}, 1, 1))
	refWantErr(t, err, `node "n" (infertop.Linear): the residual "x3" has shape [2 1], not the output's [2 2]`)
	_, err = refRun(0, OpLinear, Attrs{AttrActivation: StringAttr("Mish")}, 1, x, w)
	refWantErr(t, err, `node "n" (infertop.Linear): unknown activation "Mish"`)
}
