package cpu

import (
	"fmt"
	"testing"

	"infertop/model"
)

// Linear layers: 1, 3 and 17 rows, 2-D and 3-D inputs, with and without
// bias and residual, every activation.
func TestLinear(t *testing.T) {
	var cases []graphCase
	for _, rows := range []int{1, 3, 17} {
		for i, a := range allActivations {
			for _, variant := range []string{"bias", "nobias", "residual", "3-D"} {
				if variant != "bias" && i%3 != rows%3 {
					continue
				}
				cases = append(cases, graphCase{name: fmt.Sprintf("r%d/%s/%s", rows, a.Op, variant), layouts: 0, build: func(g *gb) []string {
					shape := []int{rows, 13}
					if variant == "3-D" {
						shape = []int{rows, 2, 13}
					}
					ins := []string{g.in(shape...), g.konst(7, 13), g.konst(7)}
					switch variant {
					case "nobias":
						ins[2] = ""
					case "residual":
						ins = append(ins, g.op("Relu", nil, g.in(rows, 7)))
					}
					n := &model.Node{Attrs: model.Attrs{}}
					a.Set(n)
					return []string{g.op(model.OpLinear, n.Attrs, ins...)}
				}})
			}
		}
	}
	runGraphCases(t, cases)
}

// Attention with and without masks broadcast from [B,1,1,T] (BERT's),
// [B,H,T,T], [1,1,T,T] and [T,T], for one to seventeen tokens.
func TestAttention(t *testing.T) {
	var cases []graphCase
	for _, tokens := range []int{1, 5, 17, 40} {
		for _, mask := range [][]int{nil, {2, 1, 1, tokens}, {2, 3, tokens, tokens}, {1, 1, tokens, tokens}, {tokens, tokens}, {2, 1, tokens, 1}} {
			cases = append(cases, graphCase{name: fmt.Sprintf("t%d/mask%v", tokens, mask), layouts: 0, build: func(g *gb) []string {
				ins := []string{g.in(2, tokens, 36)}
				if mask != nil {
					ins = append(ins, g.op("Relu", nil, g.in(mask...)))
				}
				return []string{g.op(model.OpAttention, model.Attrs{"num_heads": model.IntAttr(3)}, ins...)}
			}})
		}
	}
	cases = append(cases, graphCase{name: "scale", layouts: 0, build: func(g *gb) []string {
		return []string{g.op(model.OpAttention, model.Attrs{"num_heads": model.IntAttr(2), "scale": model.FloatAttr(0.3)}, g.in(3, 7, 24))}
	}})
	runGraphCases(t, cases)
}

// Normalizations and softmax: the fast rows and what falls back.
func TestNormalizations(t *testing.T) {
	runGraphCases(t, []graphCase{
		{name: "layernorm 3-D", layouts: 0, build: func(g *gb) []string {
			return []string{g.op("LayerNormalization", model.Attrs{"epsilon": model.FloatAttr(1e-3)}, g.in(2, 5, 17), g.konst(17), g.konst(17))}
		}},
		{name: "layernorm no bias, 1 row", layouts: 0, build: func(g *gb) []string {
			return []string{g.op("LayerNormalization", nil, g.in(1, 33), g.konst(33))}
		}},
		{name: "layernorm over two axes", layouts: 0, ref: []string{"LayerNormalization"}, build: func(g *gb) []string {
			return []string{g.op("LayerNormalization", model.Attrs{"axis": model.IntAttr(1)}, g.in(3, 4, 5), g.konst(4, 5), g.konst(4, 5))}
		}},
		{name: "softmax last axis", layouts: 0, build: func(g *gb) []string {
			return []string{g.op("Softmax", nil, g.in(3, 4, 17))}
		}},
		{name: "softmax axis 1", layouts: 0, ref: []string{"Softmax"}, build: func(g *gb) []string {
			return []string{g.op("Softmax", model.Attrs{"axis": model.IntAttr(1)}, g.in(3, 4, 5))}
		}},
		{name: "softmax opset 11 axis 1 (flattened)", layouts: 0, build: func(g *gb) []string {
			g.opset = 11
			return []string{g.op("Softmax", nil, g.in(3, 4, 5))}
		}},
		{name: "batchnorm of an input", layouts: 0, build: func(g *gb) []string {
			mean, v := g.konst(5), g.op("Relu", nil, g.konst(5))
			return []string{g.op("BatchNormalization", model.Attrs{"epsilon": model.FloatAttr(1e-3)}, g.in(2, 5, 3, 4), g.konst(5), g.konst(5), mean, v)}
		}},
		{name: "batchnorm 2-D", layouts: 0, build: func(g *gb) []string {
			return []string{g.op("BatchNormalization", nil, g.in(3, 5), g.konst(5), g.konst(5), g.konst(5), g.op("Relu", nil, g.konst(5)))}
		}},
	})
}

// Element-wise ops: every activation standalone, and binary ops with each
// broadcast the fast kernel collapses.
func TestElementwise(t *testing.T) {
	var cases []graphCase
	for _, op := range []struct {
		name  string
		attrs model.Attrs
		extra func(g *gb) []string
	}{
		{"Relu", nil, nil}, {"Sigmoid", nil, nil}, {"Tanh", nil, nil}, {"HardSwish", nil, nil},
		{"LeakyRelu", model.Attrs{"alpha": model.FloatAttr(0.2)}, nil},
		{"HardSigmoid", model.Attrs{"alpha": model.FloatAttr(0.3), "beta": model.FloatAttr(0.4)}, nil},
		{"Gelu", nil, nil}, {"Gelu", model.Attrs{"approximate": model.StringAttr("tanh")}, nil},
		{"Clip", nil, func(g *gb) []string { return []string{g.scalar(-0.5), g.scalar(0.25)} }},
		{"Clip", nil, func(g *gb) []string { return []string{"", g.scalar(0.25)} }},
	} {
		cases = append(cases, graphCase{name: fmt.Sprintf("%s%v", op.name, op.attrs), layouts: 0, build: func(g *gb) []string {
			ins := []string{g.in(3, 5000)}
			if op.extra != nil {
				ins = append(ins, op.extra(g)...)
			}
			return []string{g.op(op.name, op.attrs, ins...)}
		}})
	}
	cases = append(cases, graphCase{name: "Clip opset 6", layouts: 0, build: func(g *gb) []string {
		g.opset = 7
		return []string{g.op("Clip", model.Attrs{"min": model.FloatAttr(-0.1), "max": model.FloatAttr(0.3)}, g.in(2, 9))}
	}})
	for _, shapes := range [][2][]int{
		{{2, 3, 17}, {2, 3, 17}}, // equal shapes
		{{2, 3, 17}, nil},        // a scalar constant
		{{2, 3, 17}, {17}},       // a row vector
		{{2, 3, 17}, {1, 3, 17}}, // BERT's position embeddings
		{{2, 3, 4, 5}, {1, 3, 1, 1}},
		{{2, 3, 4, 5}, {2, 3, 1, 1}},
		{{2, 1, 5}, {1, 4, 1}},                   // both sides broadcast
		{{1, 17}, {3, 17}},                       // the left side broadcast
		{{40000}, {40000}},                       // one row, split among the threads
		{{2, 3, 2, 3, 2, 3}, {2, 1, 2, 1, 2, 1}}, // six dimensions left: the reference kernel
	} {
		for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
			for _, konst := range []bool{false, true} {
				var ref []string
				if len(shapes[0]) == 6 {
					ref = []string{op}
				}
				cases = append(cases, graphCase{name: fmt.Sprintf("%s%v%v/const=%v", op, shapes[0], shapes[1], konst), ref: ref, layouts: 0, build: func(g *gb) []string {
					a := g.in(shapes[0]...)
					var b string
					switch {
					case shapes[1] == nil:
						b = g.scalar(0.75)
					case konst:
						b = g.op("Sigmoid", nil, g.konst(shapes[1]...)) // folded: a positive constant, for Div
					default:
						b = g.op("Sigmoid", nil, g.in(shapes[1]...))
					}
					return []string{g.op(op, nil, a, b)}
				}})
			}
		}
	}
	runGraphCases(t, cases)
}

// MatMul of two computed tensors: 2-D, batched, broadcast batch dimensions,
// 1-D operands.
func TestMatMul(t *testing.T) {
	var cases []graphCase
	for _, shapes := range [][2][]int{
		{{3, 4}, {4, 5}},
		{{1, 7}, {7, 1}},
		{{2, 3, 4}, {2, 4, 5}},
		{{2, 1, 40, 4}, {3, 4, 6}},
		{{3, 40, 33}, {33, 17}},
		{{4}, {4, 5}},
		{{2, 3, 4}, {4}},
	} {
		cases = append(cases, graphCase{name: fmt.Sprintf("%v×%v", shapes[0], shapes[1]), layouts: 0, build: func(g *gb) []string {
			return []string{g.op("MatMul", nil, g.in(shapes[0]...), g.op("Relu", nil, g.in(shapes[1]...)))}
		}})
	}
	runGraphCases(t, cases)
}

// Transpose of each kind the kernel tells apart: rows kept, matrices, and the rest.
func TestTranspose(t *testing.T) {
	var cases []graphCase
	for _, tc := range []struct {
		shape []int
		perm  []int64
	}{
		{[]int{2, 3, 4, 5}, []int64{0, 2, 1, 3}}, // rows kept
		{[]int{33, 70}, []int64{1, 0}},           // a matrix, in tiles
		{[]int{2, 33, 40}, []int64{0, 2, 1}},     // batched matrices
		{[]int{3, 4, 5}, []int64{2, 0, 1}},       // collapses to a matrix
		{[]int{2, 3, 4, 5}, []int64{3, 1, 0, 2}}, // element by element
		{[]int{2, 1, 4, 1}, []int64{1, 3, 0, 2}}, // only the order of size-1 axes changes
		{[]int{3, 4, 5}, nil},                    // reversed by default
	} {
		cases = append(cases, graphCase{name: fmt.Sprintf("%v%v", tc.shape, tc.perm), layouts: 0, build: func(g *gb) []string {
			var at model.Attrs
			if tc.perm != nil {
				at = model.Attrs{"perm": ints(tc.perm...)}
			}
			return []string{g.op("Transpose", at, g.in(tc.shape...))}
		}})
	}
	runGraphCases(t, cases)
}

// Concat and Split along each axis of computed tensors in the graph's layout.
func TestConcatSplit(t *testing.T) {
	var cases []graphCase
	for axis := int64(-3); axis < 3; axis++ {
		cases = append(cases, graphCase{name: fmt.Sprintf("concat axis %d", axis), layouts: 0, build: func(g *gb) []string {
			a := g.in(2, 3, 4)
			shape := []int{2, 3, 4}
			shape[(axis+3)%3] = 5
			return []string{g.op("Concat", model.Attrs{"axis": model.IntAttr(axis)}, a, g.in(shape...), a)}
		}}, graphCase{name: fmt.Sprintf("split axis %d", axis), layouts: 0, build: func(g *gb) []string {
			sizes := [][]int64{{1, 3, 2}, {2, 3, 4}, {1, 1, 1}}[(axis+3)%3]
			return g.opN("Split", model.Attrs{"axis": model.IntAttr(axis)}, 3, g.in(6, 9, 3), g.ints(sizes...))
		}})
	}
	runGraphCases(t, cases)
}

// What has no fast kernel runs on the reference kernels, integer and boolean
// values included, in the graph's layout.
func TestReferenceKernels(t *testing.T) {
	runGraphCases(t, []graphCase{
		{name: "gather, cast, where, equal, expand", layouts: 0, ref: []string{"Gather", "Cast", "Where", "Equal", "Expand"}, build: func(g *gb) []string {
			table := g.in(10, 6)
			ids := g.input("ids", model.Int64, 3, 4)
			e := g.op("Gather", nil, table, ids)
			f := g.op("Cast", model.Attrs{"to": model.IntAttr(int64(model.Float32))}, ids)
			mask := g.op("Equal", nil, ids, g.ints(1))
			w := g.op("Where", nil, mask, f, g.scalar(-1))
			x := g.op("Expand", nil, g.op("Unsqueeze", nil, w, g.ints(2)), g.ints(3, 4, 6))
			return []string{g.op("Add", nil, e, x), mask}
		}},
		{name: "slice, reduce, pow, sqrt, exp, erf, neg", layouts: 0,
			ref: []string{"Slice", "ReduceSum", "ReduceMax", "Pow", "Sqrt", "Exp", "Erf", "Neg"}, build: func(g *gb) []string {
				x := g.in(2, 5, 7)
				s := g.op("Slice", nil, x, g.ints(1), g.ints(6), g.ints(2), g.ints(2))
				r := g.op("ReduceSum", model.Attrs{"keepdims": model.IntAttr(1)}, s, g.ints(1))
				m := g.op("ReduceMax", model.Attrs{"keepdims": model.IntAttr(0)}, x, g.ints(-1))
				p := g.op("Pow", nil, g.op("Sigmoid", nil, r), g.scalar(1.5))
				q := g.op("Sqrt", nil, g.op("Exp", nil, p))
				return []string{g.op("Neg", nil, g.op("Erf", nil, q)), m}
			}},
		{name: "int64 arithmetic and a graph input returned", layouts: 0, ref: []string{"Add", "Mul"}, build: func(g *gb) []string {
			a := g.input("a", model.Int64, 2, 3)
			b := g.op("Mul", nil, g.op("Add", nil, a, g.ints(4)), g.ints(3))
			return []string{b, a}
		}},
	})
}
