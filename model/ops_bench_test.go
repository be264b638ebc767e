package model

import "testing"

// BenchmarkEvalNode times the reference kernels the CPU engine may call for
// rarely-hot ops and that tests run as the oracle; -benchmem shows they
// allocate nothing once their outputs exist.
func BenchmarkEvalNode(b *testing.B) {
	x := NewTensor(Float32, 1, 32, 32, 32)
	cases := []struct {
		name  string
		op    string
		attrs Attrs
		in    []*Tensor
	}{
		{"Conv 3x3 32→32 at 32x32", "Conv", Attrs{"pads": IntsAttr(1, 1, 1, 1)}, []*Tensor{x, NewTensor(Float32, 32, 32, 3, 3)}},
		{"MatMul 128x256·256x256", "MatMul", nil, []*Tensor{NewTensor(Float32, 128, 256), NewTensor(Float32, 256, 256)}},
		{"Softmax 4x128x128", "Softmax", nil, []*Tensor{NewTensor(Float32, 4, 128, 128)}},
		{"Add broadcast", "Add", nil, []*Tensor{x, NewTensor(Float32, 32, 1, 1)}},
		{"Transpose", "Transpose", Attrs{"perm": IntsAttr(0, 2, 3, 1)}, []*Tensor{x}},
		{"Gather rows", "Gather", nil, []*Tensor{NewTensor(Float32, 1000, 64), refI([]int{128}, make([]int64, 128)...)}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			g := refGraph(0, tc.op, tc.attrs, 1, tc.in...)
			if err := InferShapes(g); err != nil {
				b.Fatal(err)
			}
			n, v := g.Nodes[0], g.Values["y0"]
			out := []*Tensor{NewTensor(v.DType, v.Shape.Ints()...)}
			b.ReportAllocs()
			for b.Loop() {
				if err := EvalNode(n, 0, tc.in, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
