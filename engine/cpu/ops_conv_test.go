package cpu

import (
	"fmt"
	"testing"

	"infertop/model"
)

func ints(v ...int64) model.Attr { return model.IntsAttr(v...) }

// convAttrs are a 2-D convolution's attributes.
func convAttrs(kh, kw, sh, sw, dh, dw int64, pads []int64, group int64, a model.Activation) model.Attrs {
	at := model.Attrs{"kernel_shape": ints(kh, kw), "strides": ints(sh, sw), "dilations": ints(dh, dw),
		"pads": ints(pads...), "group": model.IntAttr(group)}
	n := &model.Node{Attrs: at}
	a.Set(n)
	return n.Attrs
}

var allActivations = []model.Activation{{}, {Op: "Relu"}, {Op: "Gelu"}, {Op: "GeluTanh"}, {Op: "Sigmoid"}, {Op: "Tanh"},
	{Op: "Clip", Params: []float32{0, 6}}, {Op: "LeakyRelu", Params: []float32{0.1}},
	{Op: "HardSigmoid", Params: []float32{0.2, 0.5}}, {Op: "HardSwish"}}

// Convolutions of every geometry the fast kernels take: channels 1, 3, 5,
// 17; square and non-square kernels; strides 1 and 2; dilation 2;
// symmetric and asymmetric padding; groups 1, 2, depthwise (with and without
// a channel multiplier); with and without bias and residual; every activation;
// 1-D convolutions.
func TestConvolutions(t *testing.T) {
	type geo struct {
		c, m, h, w             int
		kh, kw, sh, sw, dh, dw int64
		pads                   []int64
		group                  int64
	}
	geos := []geo{
		{1, 6, 12, 12, 5, 5, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 1},  // direct
		{1, 4, 9, 7, 3, 3, 1, 1, 1, 1, []int64{1, 1, 1, 1}, 1},    // direct, padded
		{3, 5, 9, 8, 3, 3, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 1},    // im2col
		{3, 6, 9, 10, 3, 3, 2, 2, 1, 1, []int64{1, 1, 1, 1}, 1},   // stride 2
		{5, 4, 8, 9, 2, 3, 1, 2, 1, 1, []int64{0, 1, 2, 0}, 1},    // non-square, asymmetric
		{5, 3, 11, 9, 3, 3, 1, 1, 2, 2, []int64{2, 2, 2, 2}, 1},   // dilation 2
		{3, 7, 7, 6, 3, 2, 2, 1, 2, 1, []int64{1, 0, 0, 1}, 1},    // mixed
		{17, 8, 5, 5, 1, 1, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 1},   // pointwise
		{4, 6, 6, 6, 1, 1, 2, 2, 1, 1, []int64{0, 0, 0, 0}, 1},    // 1×1 stride 2
		{4, 6, 7, 7, 3, 3, 1, 1, 1, 1, []int64{1, 1, 1, 1}, 2},    // 2 groups
		{6, 4, 5, 5, 1, 1, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 2},    // pointwise, 2 groups
		{17, 17, 9, 8, 3, 3, 1, 1, 1, 1, []int64{1, 1, 1, 1}, 17}, // depthwise
		{5, 5, 9, 9, 3, 3, 2, 2, 1, 1, []int64{1, 1, 1, 1}, 5},    // depthwise, stride 2
		{3, 3, 8, 9, 5, 3, 1, 2, 2, 1, []int64{2, 0, 1, 1}, 3},    // depthwise, odd geometry
		{3, 6, 7, 7, 3, 3, 1, 1, 1, 1, []int64{1, 1, 1, 1}, 3},    // channel multiplier 2
		{1, 1, 6, 6, 3, 3, 1, 1, 1, 1, []int64{1, 1, 1, 1}, 1},    // one channel in and out
		{3, 4, 4, 4, 3, 3, 1, 1, 1, 1, []int64{3, 3, 3, 3}, 1},    // more output pixels than input ones
		{2, 3, 3, 4, 1, 1, 1, 1, 1, 1, []int64{1, 2, 1, 0}, 1},    // 1×1, padded
	}
	var cases []graphCase
	for i, gm := range geos {
		for _, batch := range []int{1, 3} {
			gm, i, batch := gm, i, batch
			for j, a := range allActivations {
				if j > 1 && (i+j)%3 != 0 {
					continue // every activation, on a third of the geometries each
				}
				for _, variant := range []string{"bias", "residual", "nobias"} {
					if variant != "bias" && (j > 1 || batch == 3) {
						continue
					}
					cases = append(cases, graphCase{name: fmt.Sprintf("geo%d/b%d/%s/%s", i, batch, a.Op, variant), layouts: -1, build: func(g *gb) []string {
						x := g.in(batch, gm.c, gm.h, gm.w)
						at := convAttrs(gm.kh, gm.kw, gm.sh, gm.sw, gm.dh, gm.dw, gm.pads, gm.group, a)
						wt := g.konst(gm.m, gm.c/int(gm.group), int(gm.kh), int(gm.kw))
						ins := []string{x, wt, g.konst(gm.m)}
						switch variant {
						case "nobias":
							ins[2] = ""
						case "residual":
							oh := (gm.h+int(gm.pads[0]+gm.pads[2])-int((gm.kh-1)*gm.dh)-1)/int(gm.sh) + 1
							ow := (gm.w+int(gm.pads[1]+gm.pads[3])-int((gm.kw-1)*gm.dw)-1)/int(gm.sw) + 1
							r := g.op("Relu", nil, g.in(batch, gm.m, oh, ow)) // computed in the graph's layout
							ins = append(ins, r)
						}
						return []string{g.op(model.OpFusedConv, at, ins...)}
					}})
				}
			}
		}
	}
	cases = append(cases,
		graphCase{name: "1-D", layouts: -1, build: func(g *gb) []string {
			x := g.in(2, 3, 11)
			at := model.Attrs{"kernel_shape": ints(3), "strides": ints(2), "dilations": ints(1), "pads": ints(1, 0), "group": model.IntAttr(1)}
			return []string{g.op(model.OpFusedConv, at, x, g.konst(4, 3, 3), g.konst(4))}
		}},
		graphCase{name: "1-D depthwise", layouts: -1, build: func(g *gb) []string {
			x := g.in(2, 4, 9)
			at := model.Attrs{"kernel_shape": ints(3), "strides": ints(1), "dilations": ints(2), "pads": ints(2, 2), "group": model.IntAttr(4)}
			return []string{g.op(model.OpFusedConv, at, x, g.konst(4, 1, 3), g.konst(4))}
		}},
		graphCase{name: "3-D", layouts: -1, ref: []string{model.OpFusedConv}, build: func(g *gb) []string {
			x := g.in(1, 2, 4, 4, 4)
			at := model.Attrs{"kernel_shape": ints(2, 2, 2), "group": model.IntAttr(1)}
			return []string{g.op(model.OpFusedConv, at, x, g.konst(3, 2, 2, 2, 2), g.konst(3))}
		}},
	)
	runGraphCases(t, cases)
}

// Pools of every kind the fast kernels take, channels-last (after a
// convolution) and straight from the graph's input.
func TestPools(t *testing.T) {
	pool := func(op string, at model.Attrs, c, h, w int, afterConv bool) graphCase {
		return graphCase{name: fmt.Sprintf("%s%v/c%d/%dx%d/conv=%v", op, at, c, h, w, afterConv), layouts: -1, build: func(g *gb) []string {
			x := g.in(2, c, h, w)
			if afterConv {
				x = g.conv(x, c, c, convAttrs(1, 1, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 1, model.Activation{}))
			}
			return []string{g.op(op, at, x)}
		}}
	}
	var cases []graphCase
	for _, c := range []int{1, 3, 17} {
		for _, conv := range []bool{false, true} {
			cases = append(cases,
				pool("MaxPool", model.Attrs{"kernel_shape": ints(2, 2), "strides": ints(2, 2)}, c, 8, 9, conv),
				pool("MaxPool", model.Attrs{"kernel_shape": ints(3, 3), "strides": ints(2, 2), "pads": ints(1, 1, 1, 1)}, c, 9, 8, conv),
				pool("MaxPool", model.Attrs{"kernel_shape": ints(2, 3), "strides": ints(2, 1), "dilations": ints(2, 1), "pads": ints(0, 1, 1, 0)}, c, 9, 8, conv),
				pool("MaxPool", model.Attrs{"kernel_shape": ints(3, 3), "strides": ints(2, 2), "ceil_mode": model.IntAttr(1)}, c, 10, 11, conv),
				pool("AveragePool", model.Attrs{"kernel_shape": ints(3, 3), "strides": ints(2, 2), "pads": ints(1, 1, 1, 1)}, c, 9, 8, conv),
				pool("AveragePool", model.Attrs{"kernel_shape": ints(3, 3), "strides": ints(2, 2), "pads": ints(1, 1, 1, 1), "count_include_pad": model.IntAttr(1)}, c, 9, 8, conv),
				pool("AveragePool", model.Attrs{"kernel_shape": ints(3, 2), "strides": ints(2, 2), "pads": ints(1, 0, 1, 1), "ceil_mode": model.IntAttr(1), "count_include_pad": model.IntAttr(1)}, c, 10, 9, conv),
				pool("GlobalAveragePool", nil, c, 5, 7, conv),
				pool("GlobalMaxPool", nil, c, 5, 7, conv),
			)
		}
	}
	cases = append(cases,
		graphCase{name: "1-D MaxPool", layouts: -1, build: func(g *gb) []string {
			return []string{g.op("MaxPool", model.Attrs{"kernel_shape": ints(3), "strides": ints(2), "pads": ints(1, 1)}, g.in(2, 3, 10))}
		}},
		graphCase{name: "3-D MaxPool", layouts: -1, ref: []string{"MaxPool"}, build: func(g *gb) []string {
			return []string{g.op("MaxPool", model.Attrs{"kernel_shape": ints(2, 2, 2), "strides": ints(2, 2, 2)}, g.in(2, 3, 4, 4, 4))}
		}},
	)
	runGraphCases(t, cases)
}

// Where the layouts meet: channels-last values flowing into ops that need
// the graph's layout, constants reordered once, per-channel broadcasts, and
// channels-last values the graph returns.
func TestLayoutBoundaries(t *testing.T) {
	conv := func(g *gb, x string, c, m int, a model.Activation) string {
		return g.conv(x, c, m, convAttrs(3, 3, 1, 1, 1, 1, []int64{1, 1, 1, 1}, 1, a))
	}
	relu := model.Activation{Op: "Relu"}
	runGraphCases(t, []graphCase{
		{name: "conv→flatten→linear", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(3, 3, 5, 5), 3, 4, relu)
			f := g.op("Flatten", model.Attrs{"axis": model.IntAttr(1)}, y)
			return []string{g.op(model.OpLinear, nil, f, g.konst(7, 100), g.konst(7))}
		}},
		{name: "conv→concat→conv", layouts: 2, build: func(g *gb) []string {
			x := g.in(2, 3, 6, 6)
			a, b := conv(g, x, 3, 4, relu), conv(g, x, 3, 5, model.Activation{})
			cat := g.op("Concat", model.Attrs{"axis": model.IntAttr(1)}, a, b)
			return []string{conv(g, cat, 9, 2, relu)}
		}},
		{name: "conv→concat with an input→conv", layouts: 3, build: func(g *gb) []string {
			x := g.in(2, 3, 6, 6)
			a := conv(g, x, 3, 4, relu)
			cat := g.op("Concat", model.Attrs{"axis": model.IntAttr(1)}, a, x)
			return []string{conv(g, cat, 7, 2, relu), cat}
		}},
		{name: "conv→add per-channel constant→conv", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(2, 3, 5, 6), 3, 5, relu)
			s := g.op("Add", nil, y, g.konst(1, 5, 1, 1))
			return []string{conv(g, s, 5, 3, model.Activation{})}
		}},
		{name: "conv→mul by [C,1,1] and [1,C,H,W] constants, sub from a scalar", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(2, 3, 5, 6), 3, 5, relu)
			m := g.op("Mul", nil, g.konst(5, 1, 1), y)
			d := g.op("Div", nil, m, g.konst(1, 5, 5, 6))
			return []string{g.op("Sub", nil, g.scalar(2), d)}
		}},
		{name: "squeeze-excite: [N,C,H,W]·[N,C,1,1]", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(3, 4, 6, 5), 4, 8, model.Activation{})
			s := g.op("GlobalAveragePool", nil, y)
			s = g.conv(s, 8, 8, convAttrs(1, 1, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 1, model.Activation{Op: "Sigmoid"}))
			m := g.op("Mul", nil, y, s)
			return []string{conv(g, m, 8, 2, relu)}
		}},
		{name: "conv + graph input residual add, relu, output", layouts: 2, build: func(g *gb) []string {
			x := g.in(2, 4, 5, 5)
			y := conv(g, x, 4, 4, model.Activation{})
			return []string{g.op("Relu", nil, g.op("Add", nil, x, y))}
		}},
		{name: "conv→reshape→softmax, and the conv's output", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(2, 3, 4, 4), 3, 6, model.Activation{})
			r := g.op("Reshape", nil, y, g.ints(2, 6, 16))
			return []string{g.op("Softmax", model.Attrs{"axis": model.IntAttr(-1)}, r), y}
		}},
		{name: "one-channel input→conv, one-pixel conv output→linear", layouts: 0, build: func(g *gb) []string {
			y := g.conv(g.in(2, 1, 5, 5), 1, 6, convAttrs(5, 5, 1, 1, 1, 1, []int64{0, 0, 0, 0}, 1, relu))
			f := g.op("Flatten", model.Attrs{"axis": model.IntAttr(1)}, y)
			return []string{g.op(model.OpLinear, nil, f, g.konst(3, 6), g.konst(3))}
		}},
		{name: "conv→split→convs→concat", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(2, 3, 5, 5), 3, 6, relu)
			parts := g.opN("Split", model.Attrs{"axis": model.IntAttr(1)}, 2, y, g.ints(2, 4))
			a := conv(g, parts[0], 2, 3, relu)
			b := conv(g, parts[1], 4, 3, relu)
			return []string{g.op("Concat", model.Attrs{"axis": model.IntAttr(1)}, a, b)}
		}},
		{name: "conv→batchnorm→pool→erf (reference, graph layout)", layouts: 2, ref: []string{"Erf"}, build: func(g *gb) []string {
			y := conv(g, g.in(2, 3, 6, 6), 3, 4, relu)
			p := g.op("MaxPool", model.Attrs{"kernel_shape": ints(2, 2), "strides": ints(2, 2)}, y)
			bn := g.op("BatchNormalization", nil, p, g.konst(4), g.konst(4), g.konst(4), g.op("Relu", nil, g.konst(4)))
			return []string{g.op("Erf", nil, bn)}
		}},
		{name: "conv→transpose", layouts: 2, build: func(g *gb) []string {
			y := conv(g, g.in(2, 3, 4, 5), 3, 6, relu)
			return []string{g.op("Transpose", model.Attrs{"perm": ints(0, 2, 3, 1)}, y)}
		}},
		{name: "value read twice, once in place", layouts: 0, build: func(g *gb) []string {
			x := g.in(2, 3, 4, 4)
			a := g.op("Relu", nil, x)
			b := g.op("Sigmoid", nil, x)
			s := g.op("Add", nil, a, b)
			return []string{g.op("Tanh", nil, s), a}
		}},
	})
}
