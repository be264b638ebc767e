package model

import "testing"

// TestEvalNodeAllocatesNothingTheSecondTime checks that a caller that keeps
// the output tensors can call the kernels of the common ops again and again
// without the garbage collector hearing of it.
func TestEvalNodeAllocatesNothingTheSecondTime(t *testing.T) {
	x := refF([]int{2, 3, 4, 4}, refSeq(96, 0.1, -3)...)
	row := refF([]int{4}, 1, 2, 3, 4)
	tests := []struct {
		name  string
		opset int
		op    string
		attrs Attrs
		nout  int
		in    []*Tensor
	}{
		{"Add with broadcast", 0, "Add", nil, 1, []*Tensor{x, row}},
		{"Where", 0, "Where", nil, 1, []*Tensor{refB([]int{4}, true, false, true, false), x, row}},
		{"Relu", 0, "Relu", nil, 1, []*Tensor{x}},
		{"LeakyRelu", 0, "LeakyRelu", Attrs{"alpha": FloatAttr(0.2)}, 1, []*Tensor{x}},
		{"Gelu", 0, "Gelu", nil, 1, []*Tensor{x}},
		{"Clip", 0, "Clip", nil, 1, []*Tensor{x, refF(nil, 0), refF(nil, 1)}},
		{"Cast", 0, "Cast", Attrs{"to": IntAttr(int64(Int64))}, 1, []*Tensor{x}},
		{"MatMul", 0, "MatMul", nil, 1, []*Tensor{x, refF([]int{4, 3}, refSeq(12, 1, 0)...)}},
		{"Gemm", 0, "Gemm", Attrs{"transB": IntAttr(1)}, 1, []*Tensor{refF([]int{2, 4}, refSeq(8, 1, 0)...), refF([]int{3, 4}, refSeq(12, 1, 0)...), refF([]int{3}, 1, 2, 3)}},
		{"Linear", 0, OpLinear, Attrs{AttrActivation: StringAttr("Relu")}, 1, []*Tensor{x, refF([]int{3, 4}, refSeq(12, 1, 0)...)}},
		{"Conv", 0, "Conv", Attrs{"pads": IntsAttr(1, 1, 1, 1), "group": IntAttr(3)}, 1, []*Tensor{x, refF([]int{6, 1, 3, 3}, refSeq(54, 0.1, 0)...)}},
		{"MaxPool", 0, "MaxPool", Attrs{"kernel_shape": IntsAttr(2, 2), "strides": IntsAttr(2, 2)}, 1, []*Tensor{x}},
		{"AveragePool", 0, "AveragePool", Attrs{"kernel_shape": IntsAttr(3, 3), "pads": IntsAttr(1, 1, 1, 1)}, 1, []*Tensor{x}},
		{"GlobalAveragePool", 0, "GlobalAveragePool", nil, 1, []*Tensor{x}},
		{"ReduceMean", 0, "ReduceMean", nil, 1, []*Tensor{x, refI([]int{2}, 1, -1)}},
		{"Softmax", 0, "Softmax", Attrs{"axis": IntAttr(1)}, 1, []*Tensor{x}},
		{"Softmax before 13", 11, "Softmax", nil, 1, []*Tensor{x}},
		{"LayerNormalization", 0, "LayerNormalization", nil, 1, []*Tensor{x, row, row}},
		{"BatchNormalization", 0, "BatchNormalization", nil, 1, []*Tensor{x, refF([]int{3}, 1, 2, 3), refF([]int{3}, 1, 2, 3), refF([]int{3}, 1, 2, 3), refF([]int{3}, 1, 2, 3)}},
		{"Gather", 0, "Gather", Attrs{"axis": IntAttr(1)}, 1, []*Tensor{x, refI([]int{2}, 2, -1)}},
		{"Transpose", 0, "Transpose", Attrs{"perm": IntsAttr(0, 2, 3, 1)}, 1, []*Tensor{x}},
		{"Reshape", 0, "Reshape", nil, 1, []*Tensor{x, refI([]int{2}, 0, -1)}},
		{"Concat", 0, "Concat", Attrs{"axis": IntAttr(1)}, 1, []*Tensor{x, x}},
		{"Split", 0, "Split", Attrs{"axis": IntAttr(2)}, 2, []*Tensor{x}},
		{"Slice", 0, "Slice", nil, 1, []*Tensor{x, refI([]int{1}, -1), refI([]int{1}, 0), refI([]int{1}, 3), refI([]int{1}, -2)}},
		{"Expand", 0, "Expand", nil, 1, []*Tensor{row, refI([]int{2}, 3, 4)}},
		{"Shape", 0, "Shape", nil, 1, []*Tensor{x}},
		{"Equal", 0, "Equal", nil, 1, []*Tensor{x, row}},
		{"Attention", 0, OpAttention, Attrs{"num_heads": IntAttr(2)}, 1, []*Tensor{refF([]int{2, 4, 12}, refSeq(96, 0.01, 0)...), refF([]int{4, 4})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := refGraph(tc.opset, tc.op, tc.attrs, tc.nout, tc.in...)
			if err := InferShapes(g); err != nil {
				t.Fatal(err)
			}
			n := g.Nodes[0]
			out := make([]*Tensor, tc.nout)
			for i, name := range n.Outputs {
				v := g.Values[name]
				out[i] = NewTensor(v.DType, v.Shape.Ints()...)
			}
			if err := EvalNode(n, tc.opset, tc.in, out); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(10, func() {
				if err := EvalNode(n, tc.opset, tc.in, out); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per call", allocs)
			}
		})
	}
}
