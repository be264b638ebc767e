package model

import "testing"

func TestPools(t *testing.T) {
	x44 := refF([]int{1, 1, 4, 4}, refSeq(16, 1, 1)...)
	x33 := refF([]int{1, 1, 3, 3}, refSeq(9, 1, 1)...)
	x3 := refF([]int{1, 1, 3}, 1, 2, 3)
	x5 := refF([]int{1, 1, 5}, 1, 2, 3, 4, 5)
	k := func(v ...int64) Attrs { return Attrs{"kernel_shape": IntsAttr(v...)} }
	with := func(a Attrs, kv ...any) Attrs {
		a = a.Clone()
		for i := 0; i < len(kv); i += 2 {
			a[kv[i].(string)] = kv[i+1].(Attr)
		}
		return a
	}
	tests := []struct {
		name  string
		op    string
		attrs Attrs
		x     *Tensor
		shape []int
		want  []float32
	}{
		{"max 2x2 stride 2", "MaxPool", with(k(2, 2), "strides", IntsAttr(2, 2)), x44, []int{1, 1, 2, 2}, []float32{6, 8, 14, 16}},
		{"max pads", "MaxPool", with(k(3, 3), "pads", IntsAttr(1, 1, 1, 1)), x33, []int{1, 1, 3, 3}, []float32{5, 6, 6, 8, 9, 9, 8, 9, 9}},
		{"max dilation", "MaxPool", with(k(2, 2), "dilations", IntsAttr(2, 2)), x33, []int{1, 1, 1, 1}, []float32{9}},
		{"max floor", "MaxPool", with(k(2), "strides", IntsAttr(2)), x5, []int{1, 1, 2}, []float32{2, 4}},
		{"max ceil", "MaxPool", with(k(2), "strides", IntsAttr(2), "ceil_mode", IntAttr(1)), x5, []int{1, 1, 3}, []float32{2, 4, 5}},
		// ceil would make 3 windows, but the third would start in the right padding: it is dropped.
		{"max ceil drops a window in the padding", "MaxPool",
			with(k(2), "strides", IntsAttr(2), "pads", IntsAttr(1, 1), "ceil_mode", IntAttr(1)), x3, []int{1, 1, 2}, []float32{1, 3}},
		{"average excluding pads", "AveragePool", with(k(3, 3), "pads", IntsAttr(1, 1, 1, 1)), x33, []int{1, 1, 3, 3},
			[]float32{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}},
		{"average including pads", "AveragePool", with(k(3, 3), "pads", IntsAttr(1, 1, 1, 1), "count_include_pad", IntAttr(1)), x33,
			[]int{1, 1, 3, 3}, []float32{12.0 / 9, 21.0 / 9, 16.0 / 9, 3, 5, 33.0 / 9, 24.0 / 9, 39.0 / 9, 28.0 / 9}},
		// A ceil_mode window reaching past the padding counts only what lies within it.
		{"average ceil past the input", "AveragePool", with(k(2), "strides", IntsAttr(2), "ceil_mode", IntAttr(1), "count_include_pad", IntAttr(1)),
			x5, []int{1, 1, 3}, []float32{1.5, 3.5, 5}},
		{"average ceil with pads counted", "AveragePool",
			with(k(2), "strides", IntsAttr(2), "pads", IntsAttr(1, 1), "ceil_mode", IntAttr(1), "count_include_pad", IntAttr(1)),
			x3, []int{1, 1, 2}, []float32{0.5, 2.5}},
		{"average ceil with pads not counted", "AveragePool",
			with(k(2), "strides", IntsAttr(2), "pads", IntsAttr(1, 1), "ceil_mode", IntAttr(1)), x3, []int{1, 1, 2}, []float32{1, 2.5}},
		{"average SAME_UPPER", "AveragePool", with(k(2), "auto_pad", StringAttr("SAME_UPPER")), x3, []int{1, 1, 3}, []float32{1.5, 2.5, 3}},
		{"global average", "GlobalAveragePool", nil, refF([]int{1, 2, 2, 2}, 1, 2, 3, 4, 10, 20, 30, 40), []int{1, 2, 1, 1}, []float32{2.5, 25}},
		{"global max", "GlobalMaxPool", nil, refF([]int{1, 2, 2, 2}, 1, 2, 3, 4, 10, 20, 30, 40), []int{1, 2, 1, 1}, []float32{4, 40}},
		{"global average 1-D", "GlobalAveragePool", nil, refF([]int{2, 1, 3}, 1, 2, 3, 4, 5, 6), []int{2, 1, 1}, []float32{2, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, 0, tc.op, tc.attrs, tc.x), tc.shape, tc.want...)
		})
	}
}

func TestMaxPoolIndices(t *testing.T) {
	x := refF([]int{1, 1, 4, 4}, refSeq(16, 1, 1)...)
	out, err := refRun(0, "MaxPool", Attrs{"kernel_shape": IntsAttr(2, 2), "strides": IntsAttr(2, 2)}, 2, x)
	if err != nil {
		t.Fatal(err)
	}
	refWantI(t, out[1], Int64, []int{1, 1, 2, 2}, 5, 7, 13, 15)
}

func TestPoolInferenceErrors(t *testing.T) {
	_, err := refRun(0, "MaxPool", nil, 1, refF([]int{1, 1, 2, 2}, 1, 2, 3, 4))
	refWantErr(t, err, `node "n" (MaxPool): has no kernel_shape`)
	_, err = refRun(0, "AveragePool", Attrs{"kernel_shape": IntsAttr(2)}, 1, refF([]int{1, 1, 2, 2}, 1, 2, 3, 4))
	refWantErr(t, err, `node "n" (AveragePool): kernel_shape [2] has 1 entries for 2 spatial axes`)
	_, err = refRun(0, "GlobalAveragePool", nil, 1, refF([]int{2, 2}, 1, 2, 3, 4))
	refWantErr(t, err, `node "n" (GlobalAveragePool): input "x0" has shape [2 2]; its rank must be 3 to 8`)
}
