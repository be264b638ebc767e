package model

import (
	"slices"
	"testing"
)

func TestConv(t *testing.T) {
	x33 := refF([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	ones := func(shape ...int) *Tensor { return refF(shape, refSeq(NumElems(shape), 0, 1)...) }
	tests := []struct {
		name  string
		attrs Attrs
		in    []*Tensor
		shape []int
		want  []float32
	}{
		{"diagonal kernel and bias", nil, []*Tensor{x33, refF([]int{1, 1, 2, 2}, 1, 0, 0, 1), refF([]int{1}, 0.5)},
			[]int{1, 1, 2, 2}, []float32{6.5, 8.5, 12.5, 14.5}},
		{"pads", Attrs{"pads": IntsAttr(1, 1, 1, 1)}, []*Tensor{x33, ones(1, 1, 3, 3)},
			[]int{1, 1, 3, 3}, []float32{12, 21, 16, 27, 45, 33, 24, 39, 28}},
		{"stride and pads", Attrs{"pads": IntsAttr(1, 1, 1, 1), "strides": IntsAttr(2, 2)}, []*Tensor{x33, ones(1, 1, 3, 3)},
			[]int{1, 1, 2, 2}, []float32{12, 16, 24, 28}},
		{"dilation", Attrs{"dilations": IntsAttr(2, 2)}, []*Tensor{x33, ones(1, 1, 2, 2)},
			[]int{1, 1, 1, 1}, []float32{20}},
		{"SAME_UPPER", Attrs{"auto_pad": StringAttr("SAME_UPPER")}, []*Tensor{x33, ones(1, 1, 2, 2)},
			[]int{1, 1, 3, 3}, []float32{12, 16, 9, 24, 28, 15, 15, 17, 9}},
		{"SAME_LOWER", Attrs{"auto_pad": StringAttr("SAME_LOWER")}, []*Tensor{x33, ones(1, 1, 2, 2)},
			[]int{1, 1, 3, 3}, []float32{1, 3, 5, 5, 12, 16, 11, 24, 28}},
		{"VALID", Attrs{"auto_pad": StringAttr("VALID"), "pads": IntsAttr(1, 1, 1, 1)}, []*Tensor{x33, ones(1, 1, 2, 2)},
			[]int{1, 1, 2, 2}, []float32{12, 16, 24, 28}},
		{"depthwise", Attrs{"group": IntAttr(2)},
			[]*Tensor{refF([]int{1, 2, 2, 2}, 1, 2, 3, 4, 10, 20, 30, 40), refF([]int{2, 1, 1, 1}, 2, -1)},
			[]int{1, 2, 2, 2}, []float32{2, 4, 6, 8, -10, -20, -30, -40}},
		{"two per group", Attrs{"group": IntAttr(2)},
			[]*Tensor{refF([]int{1, 2, 1, 1}, 1, 10), refF([]int{4, 1, 1, 1}, 1, 2, 3, 4)},
			[]int{1, 4, 1, 1}, []float32{1, 2, 30, 40}},
		{"channels", nil, []*Tensor{refF([]int{1, 2, 1, 1}, 1, 10), refF([]int{3, 2, 1, 1}, 1, 1, 1, -1, 2, 0)},
			[]int{1, 3, 1, 1}, []float32{11, -9, 2}},
		{"batch", nil, []*Tensor{refF([]int{2, 1, 1, 2}, 1, 2, 3, 4), refF([]int{1, 1, 1, 2}, 1, 1)},
			[]int{2, 1, 1, 1}, []float32{3, 7}},
		{"1-D", Attrs{"pads": IntsAttr(1, 1)}, []*Tensor{refF([]int{1, 1, 5}, 1, 2, 3, 4, 5), refF([]int{1, 1, 3}, 1, 2, 3)},
			[]int{1, 1, 5}, []float32{8, 14, 20, 26, 14}},
		{"3-D", nil, []*Tensor{refF([]int{1, 1, 2, 2, 2}, refSeq(8, 1, 1)...), ones(1, 1, 2, 2, 2)},
			[]int{1, 1, 1, 1, 1}, []float32{36}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refWantF(t, refRun1(t, 0, "Conv", tc.attrs, tc.in...), tc.shape, tc.want...)
		})
	}
}

func TestFusedConvAddsResidualThenActivation(t *testing.T) {
	x := refF([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	w := refF([]int{1, 1, 2, 2}, 1, 1, 1, 1)
	attrs := Attrs{AttrActivation: StringAttr("Relu"), "pads": IntsAttr(0, 0, 0, 0)}
	got := refRun1(t, 0, OpFusedConv, attrs, x, w, refF([]int{1}, -20), refF([]int{1, 1, 2, 2}, 1, 1, 1, 1))
	refWantF(t, got, []int{1, 1, 2, 2}, 0, 0, 5, 9)
}

func TestConvAutoPadBecomesExplicitPads(t *testing.T) {
	g := refGraph(0, "Conv", Attrs{"auto_pad": StringAttr("SAME_LOWER"), "strides": IntsAttr(2, 2)}, 1,
		refF([]int{1, 1, 5, 4}, refSeq(20, 1, 0)...), refF([]int{1, 1, 3, 3}, refSeq(9, 0, 1)...))
	shared := g.Nodes[0].Attrs
	if err := InferShapes(g); err != nil {
		t.Fatal(err)
	}
	n := g.Nodes[0]
	// Height: out 3, total pad (3-1)·2+3-5 = 2 → 1 and 1; width: out 2, total (2-1)·2+3-4 = 1 → lower gets it.
	pads, _ := n.Attrs.Ints("pads")
	if !slices.Equal(pads, []int64{1, 1, 1, 0}) || n.Attrs.Has("auto_pad") {
		t.Fatalf("attrs after inference: %v", n.Attrs)
	}
	if !shared.Has("auto_pad") {
		t.Fatal("inference changed an attribute map it does not own")
	}
	if s := g.Values["y0"].Shape; !s.Equal(ShapeOf(1, 1, 3, 2)) {
		t.Fatalf("shape %v", s)
	}
}

func TestConvInferenceErrors(t *testing.T) {
	tests := []struct {
		name  string
		attrs Attrs
		x, w  *Tensor
		msg   string
	}{
		{"channels", nil, refF([]int{1, 3, 3, 3}, refSeq(27, 1, 0)...), refF([]int{1, 4, 1, 1}, 1, 1, 1, 1),
			`node "n" (Conv): input channels 3 do not match the weight's 4 × group 1`},
		{"group", Attrs{"group": IntAttr(2)}, refF([]int{1, 2, 1, 1}, 1, 1), refF([]int{3, 1, 1, 1}, 1, 1, 1),
			`node "n" (Conv): output channels 3 are not divisible by group 2`},
		{"window", nil, refF([]int{1, 1, 2, 2}, 1, 2, 3, 4), refF([]int{1, 1, 3, 3}, refSeq(9, 0, 1)...),
			`node "n" (Conv): the window (3 with dilation 1) is larger than the padded input (2)`},
		{"pads", Attrs{"pads": IntsAttr(1, 1)}, refF([]int{1, 1, 2, 2}, 1, 2, 3, 4), refF([]int{1, 1, 1, 1}, 1),
			`node "n" (Conv): pads [1 1] has 2 entries for 2 spatial axes (needs 4)`},
		{"kernel_shape", Attrs{"kernel_shape": IntsAttr(2, 2)}, refF([]int{1, 1, 2, 2}, 1, 2, 3, 4), refF([]int{1, 1, 1, 1}, 1),
			`node "n" (Conv): kernel_shape [2 2] does not match the weight's [1 1]`},
		{"auto_pad", Attrs{"auto_pad": StringAttr("SAME")}, refF([]int{1, 1, 2, 2}, 1, 2, 3, 4), refF([]int{1, 1, 1, 1}, 1),
			`node "n" (Conv): auto_pad "SAME" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`},
		{"rank", nil, refF([]int{1, 1, 1, 1, 1, 1}, 1), refF([]int{1, 1, 1, 1, 1, 1}, 1),
			`node "n" (Conv): input "x0" has shape [1 1 1 1 1 1]; its rank must be 3 to 5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := refRun(0, "Conv", tc.attrs, 1, tc.x, tc.w)
			refWantErr(t, err, tc.msg)
		})
	}
}
