package model

import "testing"

func TestSoftmaxAxisByOpset(t *testing.T) {
	ln3 := float32(1.0986123)
	tests := []struct {
		name  string
		opset int
		attrs Attrs
		x     *Tensor
		want  []float32
	}{
		{"last axis by default from 13", 13, nil, refF([]int{2, 2}, 0, ln3, 1, 1), []float32{0.25, 0.75, 0.5, 0.5}},
		{"axis 0", 13, Attrs{"axis": IntAttr(0)}, refF([]int{2, 2}, 0, 0, ln3, 0), []float32{0.25, 0.5, 0.75, 0.5}},
		{"axis 1 of one element from 13", 13, Attrs{"axis": IntAttr(1)}, refF([]int{2, 1, 2}, 0, ln3, 1, 1), []float32{1, 1, 1, 1}},
		{"before 13 flattens from axis 1", 11, nil, refF([]int{2, 1, 2}, 0, ln3, 1, 1), []float32{0.25, 0.75, 0.5, 0.5}},
		{"negative axis before 13", 11, Attrs{"axis": IntAttr(-1)}, refF([]int{2, 1, 2}, 0, ln3, 1, 1), []float32{0.25, 0.75, 0.5, 0.5}},
		{"large values", 13, nil, refF([]int{2}, 1000, 1000), []float32{0.5, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, tc.opset, "Softmax", tc.attrs, tc.x), tc.x.Shape, tc.want...)
		})
	}
	_, err := refRun(13, "Softmax", Attrs{"axis": IntAttr(2)}, 1, refF([]int{2, 2}, 1, 2, 3, 4))
	refWantErr(t, err, `node "n" (Softmax): axis 2 is out of range for rank 2 (accepted: -2 to 1)`)
}

func TestLayerNormalization(t *testing.T) {
	x := refF([]int{2, 2}, 1, 3, 0, 4)
	eps0 := Attrs{"epsilon": FloatAttr(0)}
	got := refRun1(t, 0, "LayerNormalization", eps0, x, refF([]int{2}, 1, 2), refF([]int{2}, 0, 1))
	refWantF(t, got, []int{2, 2}, -1, 3, -1, 3)

	out, err := refRun(0, "LayerNormalization", eps0, 3, x, refF([]int{2}, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	refWantF(t, out[0], []int{2, 2}, -1, 1, -1, 1)
	refWantF(t, out[1], []int{2, 1}, 2, 2)
	refWantF(t, out[2], []int{2, 1}, 1, 0.5)

	// Over both axes: mean 2, variance 2.5; the scale broadcasts along the rows.
	axis0 := Attrs{"epsilon": FloatAttr(0), "axis": IntAttr(0)}
	got = refRun1(t, 0, "LayerNormalization", axis0, x, refF([]int{2}, 1, 10))
	refWantF(t, got, []int{2, 2}, -0.63245553, 6.3245553, -1.2649111, 12.649111)

	got = refRun1(t, 0, "LayerNormalization", nil, refF([]int{1, 2}, 5, 5), refF([]int{1}, 1))
	refWantF(t, got, []int{1, 2}, 0, 0)

	_, err = refRun(0, "LayerNormalization", nil, 1, x, refF([]int{3}, 1, 1, 1))
	refWantErr(t, err, `node "n" (LayerNormalization): "x1" has shape [3], which does not broadcast to the normalized axes [2]`)
}

func TestBatchNormalization(t *testing.T) {
	x := refF([]int{1, 2, 1, 2}, 1, 2, 3, 4)
	p := func(v ...float32) *Tensor { return refF([]int{2}, v...) }
	eps0 := Attrs{"epsilon": FloatAttr(0)}
	got := refRun1(t, 0, "BatchNormalization", eps0, x, p(1, 2), p(0, 1), p(1, 3), p(4, 1))
	refWantF(t, got, []int{1, 2, 1, 2}, 0, 0.5, 1, 3)

	// spatial=0 (before opset 9): one parameter per channel and position.
	q := func(v ...float32) *Tensor { return refF([]int{2, 1, 2}, v...) }
	per := Attrs{"epsilon": FloatAttr(0), "spatial": IntAttr(0)}
	got = refRun1(t, 7, "BatchNormalization", per, x, q(1, 1, 1, 1), q(0, 0, 0, 0), q(1, 0, 0, 1), q(1, 1, 1, 1))
	refWantF(t, got, []int{1, 2, 1, 2}, 0, 2, 3, 3)

	_, err := refRun(15, "BatchNormalization", Attrs{"training_mode": IntAttr(1)}, 1, x, p(1, 1), p(0, 0), p(0, 0), p(1, 1))
	refWantErr(t, err, `node "n" (BatchNormalization): training_mode=1; BatchNormalization is computed for inference only`)
	_, err = refRun(15, "BatchNormalization", nil, 1, x, p(1, 1), p(0, 0), refF([]int{3}, 0, 0, 0), p(1, 1))
	refWantErr(t, err, `node "n" (BatchNormalization): "x3" has shape [3], not [2]`)
}
