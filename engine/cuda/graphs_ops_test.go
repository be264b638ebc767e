package cuda

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"infertop/engine/reference"
	"infertop/internal/npy"
	"infertop/model"
	"infertop/onnx"
)

// Test graphs for the ops imported models bring: general max pooling,
// grouped and depthwise convolutions, the activations beyond ReLU and GELU,
// element-wise ops with broadcasting and Concat; and the committed ONNX
// fixtures that need them.

// fixtureNames are the committed ONNX fixtures the CUDA plans cover.
var fixtureNames = []string{"resnet_narrow", "squeeze_tiny", "mobilenet_tiny", "efficient_se", "bert_tiny"}

// fixture loads one committed fixture (bert_tiny at 16 tokens).
func fixture(t testing.TB, name string) *model.Model {
	t.Helper()
	var dims map[string]int
	if strings.HasPrefix(name, "bert_tiny") {
		dims = map[string]int{"seq": 16}
	}
	m, err := onnx.Load("../../testdata/models/"+name+".onnx", onnx.LoadOptions{Dims: dims})
	if err != nil {
		t.Fatal(err)
	}
	m.Name = name
	return m
}

// fixtureModels loads the committed fixtures.
func fixtureModels(t testing.TB) []*model.Model {
	t.Helper()
	var out []*model.Model
	for _, name := range fixtureNames {
		out = append(out, fixture(t, name))
	}
	return out
}

// pool is a MaxPool with explicit window attributes.
func (n *tnet) pool(name, x string, k, s, p, d []int64, ceil bool) string {
	a := model.Attrs{"kernel_shape": model.IntsAttr(k...), "strides": model.IntsAttr(s...), "pads": model.IntsAttr(p...),
		"dilations": model.IntsAttr(d...)}
	if ceil {
		a["ceil_mode"] = model.IntAttr(1)
	}
	return n.op("MaxPool", name, a, x)
}

// gconv is a grouped convolution with a bias and every window attribute explicit.
func (n *tnet) gconv(name, x string, in, out, group int, k, s, p, d []int64) string {
	fan := in / group * int(k[0]*k[1])
	return n.op("Conv", name, model.Attrs{"group": model.IntAttr(int64(group)), "strides": model.IntsAttr(s...),
		"pads": model.IntsAttr(p...), "dilations": model.IntsAttr(d...)},
		x, n.param(name+".w", fan, out, in/group, int(k[0]), int(k[1])), n.param(name+".b", fan, out))
}

// scalar is a float32 constant of shape [].
func (n *tnet) scalar(name string, v float32) string {
	return n.b.Const(name, model.Floats(nil, []float32{v}))
}

// oddPools has max pools of every window the kernels take: 3×3 stride 2
// with padding, ceil_mode over odd sizes, dilation, a rectangular window
// with uneven padding, and the 2×2 stride 2 pool over an odd image; and
// average pools with padding, with count_include_pad, and with ceil_mode
// windows that pass the input's end; a global max pool and a softmax along
// its channels.
func oddPools(t testing.TB) *model.Model {
	n := newTnet("odd-pools")
	x := n.input("input", 3, 9, 7)
	a := n.pool("pad", x, []int64{3, 3}, []int64{2, 2}, []int64{1, 1, 1, 1}, []int64{1, 1}, false)  // 3×5×4
	b := n.pool("ceil", x, []int64{3, 3}, []int64{2, 2}, []int64{0, 0, 0, 0}, []int64{1, 1}, true)  // 3×4×3
	c := n.pool("dil", x, []int64{2, 2}, []int64{1, 1}, []int64{0, 0, 0, 0}, []int64{2, 2}, false)  // 3×7×5
	d := n.pool("rect", x, []int64{2, 3}, []int64{1, 2}, []int64{0, 1, 1, 0}, []int64{1, 1}, false) // 3×9×3
	e := n.maxPool2("two", x)                                                                       // 3×4×3
	avg := func(name string, k, s, p []int64, ceil, countPad int64) string {
		return n.op("AveragePool", name, model.Attrs{"kernel_shape": model.IntsAttr(k...), "strides": model.IntsAttr(s...),
			"pads": model.IntsAttr(p...), "ceil_mode": model.IntAttr(ceil), "count_include_pad": model.IntAttr(countPad)}, x)
	}
	f := avg("avg", []int64{3, 3}, []int64{2, 2}, []int64{1, 1, 1, 1}, 0, 0)      // 3×5×4, edges over fewer taps
	g := avg("avg.pad", []int64{3, 2}, []int64{2, 1}, []int64{0, 1, 1, 0}, 0, 1)  // 3×5×7, the padding counted
	h := avg("avg.ceil", []int64{2, 2}, []int64{2, 2}, []int64{0, 0, 0, 0}, 1, 1) // 3×5×4, last windows past the input
	gmp := n.op("GlobalMaxPool", "gmp", nil, x)
	sm := n.op("Softmax", "gmp.sm", model.Attrs{"axis": model.IntAttr(1)}, gmp) // along the channels, [N,3,1,1]
	return n.model(t, a, b, c, d, e, f, g, h, sm)
}

// oddGroups has a depthwise convolution with ReLU6 (stride 2, padding),
// a grouped one with dilation, a rectangular kernel, unequal strides and
// uneven padding, a depthwise one with a residual and HardSwish after it,
// and an ordinary convolution with a Sigmoid epilogue.
func oddGroups(t testing.TB) *model.Model {
	n := newTnet("odd-groups")
	x := n.input("input", 6, 11, 9)
	clip := func(name, v string) string {
		return n.op("Clip", name, nil, v, n.scalar(name+".lo", 0), n.scalar(name+".hi", 6))
	}
	dw := clip("dw.clip", n.gconv("dw", x, 6, 6, 6, []int64{3, 3}, []int64{2, 2}, []int64{1, 1, 1, 1}, []int64{1, 1})) // 6×6×5
	g := n.gconv("g3", dw, 6, 9, 3, []int64{3, 2}, []int64{1, 2}, []int64{2, 0, 1, 1}, []int64{2, 1})                  // 9×3×3
	r := n.gconv("dw2", g, 9, 9, 9, []int64{3, 3}, []int64{1, 1}, []int64{1, 1, 1, 1}, []int64{1, 1})
	r = n.op("HardSwish", "hs", nil, n.op("Add", "res", nil, r, g))
	return n.model(t, n.op("Sigmoid", "sig", nil, n.conv("c", r, 9, 5, 3, 1, 1, true)), dw)
}

// oddOneD has 1-D layers, which the plans run as 2-D ones a row high: a
// strided, padded, dilated convolution with a ReLU, a grouped one, a max
// pool with ceil_mode and an average pool counting its padding.
func oddOneD(t testing.TB) *model.Model {
	n := newTnet("odd-1d")
	x := n.input("input", 4, 23)
	c := n.op("Conv", "c1", model.Attrs{"strides": model.IntsAttr(2), "pads": model.IntsAttr(2, 1), "dilations": model.IntsAttr(2)},
		x, n.param("c1.w", 4*3, 6, 4, 3), n.param("c1.b", 4*3, 6)) // 6×11
	c = n.op("Relu", "r1", nil, c)
	g := n.op("Conv", "g2", model.Attrs{"group": model.IntAttr(2), "pads": model.IntsAttr(1, 1)}, c, n.param("g2.w", 3*3, 6, 3, 3)) // 6×11
	m := n.op("MaxPool", "mp", model.Attrs{"kernel_shape": model.IntsAttr(3), "strides": model.IntsAttr(2), "ceil_mode": model.IntAttr(1)}, g)
	a := n.op("AveragePool", "ap", model.Attrs{"kernel_shape": model.IntsAttr(3), "pads": model.IntsAttr(1, 1), "count_include_pad": model.IntAttr(1)}, g)
	return n.model(t, m, a)
}

// oddActivations has every activation standalone and as a linear's
// epilogue, and a softmax over rows longer than a block.
func oddActivations(t testing.TB) *model.Model {
	n := newTnet("odd-activations")
	x := n.input("input", 37)
	h := n.op("Sigmoid", "s", nil, n.linear("fc1", x, 37, 19, true))
	h = n.op("Tanh", "t", nil, n.linear("fc2", h, 19, 19, true))
	h = n.op("LeakyRelu", "lr", model.Attrs{"alpha": model.FloatAttr(0.1)}, n.linear("fc3", h, 19, 19, true))
	h = n.op("HardSigmoid", "hsig", model.Attrs{"alpha": model.FloatAttr(0.3), "beta": model.FloatAttr(0.4)}, n.linear("fc4", h, 19, 19, true))
	h = n.op("Gelu", "gt", model.Attrs{"approximate": model.StringAttr("tanh")}, n.linear("fc5", h, 19, 19, true))
	h = n.op("Clip", "clip", nil, n.linear("fc6", h, 19, 19, true), n.scalar("clip.lo", -0.2))
	u := n.op("Tanh", "u1", nil, x)
	u = n.op("LeakyRelu", "u2", nil, n.op("Sigmoid", "u3", nil, u))
	u = n.op("HardSwish", "u4", nil, n.op("HardSigmoid", "u5", nil, u))
	u = n.op("Clip", "u6", nil, n.op("Gelu", "u7", model.Attrs{"approximate": model.StringAttr("tanh")}, u), "", n.scalar("u6.hi", 0.3))
	sm := n.op("Softmax", "sm", nil, n.linear("wide", u, 37, 300, true))
	return n.model(t, h, u, sm)
}

// oddBroadcasts multiplies, divides, subtracts and adds with every kind of
// broadcast: [N,C,H,W] by [N,C,1,1] (squeeze-and-excitation), by a
// constant [1,C,1,1], by a scalar, by [W], a constant minus the input (the
// first operand broadcast along the batch), [N,1,H,W] + [N,C,H,W], and
// Concat along the channels, the rows and the last axis; a
// BatchNormalization with no convolution before it.
func oddBroadcasts(t testing.TB) *model.Model {
	n := newTnet("odd-broadcasts")
	x := n.input("input", 5, 3, 7)
	se := n.op("Sigmoid", "se", nil, n.op("GlobalAveragePool", "gap", nil, x))
	y := n.op("Mul", "scale", nil, x, se)                                         // [N,5,3,7] × [N,5,1,1]
	y = n.op("Div", "perc", nil, y, n.param("c", 1, 1, 5, 1, 1))                  // × [1,5,1,1]
	y = n.op("Sub", "shift", nil, y, n.scalar("s", 0.25))                         // − scalar
	y = n.op("Mul", "cols", nil, y, n.param("w", 1, 7))                           // × [7]
	z := n.op("Sub", "rsub", nil, n.param("k", 1, 1, 5, 3, 1), x)                 // [1,5,3,1] − [N,5,3,7]
	z = n.op("Add", "plus", nil, n.conv("one", x, 5, 1, 1, 1, 0, true), z)        // [N,1,3,7] + [N,5,3,7]
	cat := n.op("Concat", "cat1", model.Attrs{"axis": model.IntAttr(1)}, y, z, x) // [N,15,3,7]
	cat2 := n.op("Concat", "cat2", model.Attrs{"axis": model.IntAttr(2)}, z, x)   // [N,5,6,7]
	cat3 := n.op("Concat", "cat3", model.Attrs{"axis": model.IntAttr(-1)}, y, x)  // [N,5,3,14]
	vr := n.b.Const("bn.var", model.Floats([]int{5}, []float32{0.5, 1, 2, 0.25, 3}))
	bn := n.op("BatchNormalization", "bn", model.Attrs{"epsilon": model.FloatAttr(0.01)}, x,
		n.param("bn.scale", 1, 5), n.param("bn.bias", 1, 5), n.param("bn.mean", 1, 5), vr)
	return n.model(t, cat, cat2, cat3, bn)
}

// oddMasked has attention with additive masks: one per sample and key
// ([N,1,1,T], an input, as BERT's padding mask), and a constant one per
// query and key ([T,T], as a causal mask), over rows longer than a block.
func oddMasked(t testing.TB) *model.Model {
	n := newTnet("odd-masked")
	x := n.input("input", 300, 8)
	pad := n.input("mask", 1, 1, 300)
	qkv := n.linear("qkv", x, 8, 24, true)
	a := n.op(model.OpAttention, "attn", model.Attrs{"num_heads": model.IntAttr(2)}, qkv, pad)
	causal := n.param("causal.mask", 1, 300, 300)
	c := n.op(model.OpAttention, "causal", model.Attrs{"num_heads": model.IntAttr(4), "scale": model.FloatAttr(0.3)},
		n.linear("qkv2", a, 8, 24, true), causal)
	return n.model(t, c)
}

// oddTyped computes with integers and bools (infertop_binary_typed):
// ids [N,4] (an embedding's, so they vary) compared, selected, raised to
// integer and float32 powers, added, divided and cast to int32 and back;
// a float32 input raised to an integer power, compared with itself,
// selected where |3x| ≥ 1 (a float32 cast to int64, then bool), and
// Dropout's mask; Gather along the last axis of float32 and int64 values. Its outputs are float32.
func oddTyped(t testing.TB) *model.Model {
	n := newTnet("odd-typed")
	ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
	x := n.input("x", 4)
	cast := func(name, v string, to model.DType) string {
		return n.op("Cast", name, model.Attrs{"to": model.IntAttr(int64(to))}, v)
	}
	emb := n.op("Gather", "emb", nil, n.param("table", 1, 9, 3), ids) // [N,4,3]
	eq := n.op("Equal", "eq", nil, ids, n.ints("three", 3, 1, 3, 5))  // bool [N,4]
	w := n.op("Where", "pick", nil, eq, ids, n.ints("seven", 7))      // int64
	sq := n.op("Pow", "sq", nil, w, n.ints("two", 2))                 // int ^ int
	rt := n.op("Pow", "rt", nil, ids, n.scalar("half", 0.5))          // int ^ float → int
	q := n.op("Div", "div", nil, n.op("Sub", "sub", nil, n.op("Add", "add", nil, sq, rt), ids), n.ints("d", 3))
	i32 := cast("i32", n.op("Mul", "mul", nil, q, n.ints("m", -2)), model.Int32)
	ints := cast("ints", n.op("Mul", "mul32", nil, i32, i32), model.Float32)
	x2 := n.op("Pow", "x2", nil, x, n.ints("e", 3))                                                              // float ^ int
	pos := cast("pos", cast("posi", n.op("Mul", "x3", nil, x, n.scalar("three.f", 3)), model.Int64), model.Bool) // |x| ≥ 1/3
	sel := n.op("Where", "sel", nil, n.op("Equal", "self", nil, x, x), x2, n.scalar("z", 0))
	sel = n.op("Where", "sel2", nil, pos, n.scalar("big", 9), sel)
	drop := n.b.OpN("Dropout", "drop", nil, 2, x)
	mask := cast("maskf", drop[1], model.Float32)
	cols := n.op("Gather", "cols", model.Attrs{"axis": model.IntAttr(1)}, x, n.ints("which", 3, -1, 0))
	picked := cast("pickf", n.op("Gather", "pick2", model.Attrs{"axis": model.IntAttr(-1)}, ids, n.ints("which2", 1, 2)), model.Float32)
	return n.model(t, emb, ints, sel, n.op("Add", "dx", nil, drop[0], mask), cols, picked)
}

// oddMatMuls multiplies run-time operands: [N,2,3,4]·[N,1,4,5] (the second
// expanded along the 2), a constant [3,3] before a batch of matrices
// (read again for each), and a 1-D constant after one; a Softmax along a
// middle axis of the first product, and the second read backwards (a
// Slice with negative steps).
func oddMatMuls(t testing.TB) *model.Model {
	n := newTnet("odd-matmuls")
	a := n.input("a", 2, 3, 4)
	b := n.op("Relu", "relu", nil, n.input("b", 1, 4, 5))
	ab := n.op("MatMul", "ab", nil, a, b)
	left := n.op("MatMul", "left", nil, n.param("l", 3, 3, 3), a)
	vec := n.op("MatMul", "vec", nil, a, n.param("v", 4, 4))
	sm := n.op("Softmax", "sm", model.Attrs{"axis": model.IntAttr(1)}, ab) // along [N,·2·,3,5]'s second axis
	rev := n.op("Slice", "rev", nil, left, n.ints("starts", -1, 3), n.ints("ends", -9, 0), n.ints("axes", 2, -1), n.ints("steps", -1, -2))
	return n.model(t, sm, rev, vec)
}

// oddVolumes has 3-D convolutions and pools (infertop_conv3d,
// infertop_pool3d) over [N,4,5,6,7] — grouped, strided, dilated and
// padded unevenly, a max pool with ceil_mode and a mean counting the
// padding — and a 2-D convolution whose weight is computed at run time
// (the mean of an input over the batch, reshaped: the direct way).
func oddVolumes(t testing.TB) *model.Model {
	n := newTnet("odd-volumes")
	x := n.input("x", 4, 5, 6, 7)
	c := n.op("Conv", "c3", model.Attrs{"group": model.IntAttr(2), "strides": model.IntsAttr(2, 1, 1),
		"dilations": model.IntsAttr(1, 2, 1), "pads": model.IntsAttr(1, 0, 2, 0, 1, 1)}, x, n.param("c3.w", 24, 6, 2, 2, 3, 2), n.param("c3.b", 24, 6))
	c = n.op("Relu", "c3.relu", nil, c)
	mp := n.op("MaxPool", "mp3", model.Attrs{"kernel_shape": model.IntsAttr(2, 2, 2), "strides": model.IntsAttr(2, 2, 2),
		"ceil_mode": model.IntAttr(1)}, c)
	ap := n.op("AveragePool", "ap3", model.Attrs{"kernel_shape": model.IntsAttr(3, 2, 3), "pads": model.IntsAttr(1, 0, 1, 1, 1, 0),
		"count_include_pad": model.IntAttr(1)}, x)
	w := n.op("ReduceMean", "w.mean", model.Attrs{"keepdims": model.IntAttr(0)}, n.input("w", 54), n.ints("w.axes", 0))
	w = n.op("Reshape", "w.kernel", nil, w, n.ints("w.shape", 3, 2, 3, 3))
	plane := n.input("p", 2, 6, 5)
	rc := n.op("Conv", "runtime.w", model.Attrs{"pads": model.IntsAttr(1, 1, 1, 1)}, plane, w)
	return n.model(t, mp, ap, rc)
}

// opsModels are the graphs of this file and the fixtures.
func opsModels(t testing.TB) []*model.Model {
	return append([]*model.Model{oddPools(t), oddGroups(t), oddActivations(t), oddBroadcasts(t), oddMasked(t), oddOneD(t),
		oddTyped(t), oddMatMuls(t), oddVolumes(t)}, fixtureModels(t)...)
}

// TestDirectConvPlans: a depthwise convolution takes the direct way, or
// cuDNN's grouped convolution when asked, whatever else the options ask;
// any convolution may be asked to take the direct way; the workspace
// counts only im2col layers.
func TestDirectConvPlans(t *testing.T) {
	g := bind(t, fixture(t, "mobilenet_tiny"), 2)
	const dw = "/blocks/blocks.1/conv/conv.1/conv.1.0/Conv" // 24 channels, stride 2
	for _, c := range []struct {
		way    ConvWay
		want   string
		kernel string
	}{{ConvIm2col, "conv 8 im2col, 3 direct", KConvDirect}, {ConvImplicit, "conv 8 implicit, 3 direct", KConvDirect},
		{ConvCudnn, "conv 11 cudnn", "cudnn conv 2×24×16×16 k3 s2 p1 g24 → 24"}, {ConvDirect, "conv 11 direct", KConvDirect}} {
		plan, err := BuildWith(g, 2, Options{Default: c.way})
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.ConvSummary(); got != c.want {
			t.Errorf("%s: %q, want %q", c.way, got, c.want)
		}
		if lo, _, ok := plan.LayerSteps(dw); !ok || plan.Steps[lo].Kernel() != c.kernel {
			t.Errorf("%s: %s starts with %v, want %s", c.way, dw, plan.Steps[lo].Kernel(), c.kernel)
		}
	}
	// The largest im2col workspace is the stem's (3·3·3 × 16·16 per sample);
	// the depthwise layers (16·3·3 × 16·16) would need more.
	if ws := workspaceFloats(g); ws != 2*27*256 {
		t.Errorf("workspace %d floats, want %d", ws, 2*27*256)
	}
}

// TestTuneGroupedConvs: a grouped convolution is timed between the direct
// kernel, its reference, and cuDNN; cuDNN takes it when quicker and in
// agreement, and a spoilt cuDNN output keeps it on the direct kernel.
func TestTuneGroupedConvs(t *testing.T) {
	m := fixture(t, "mobilenet_tiny")
	const dw = "/blocks/blocks.1/conv/conv.1/conv.1.0/Conv"
	for _, spoil := range []bool{false, true} {
		d := newEmuConvs(t, m, 3, ConvImplicit, ConvCudnn)
		d.ms = func(way ConvWay, _ string, _ int) float64 { return 3 - float64(way) } // cuDNN quickest
		if spoil {
			d.fault = func(way ConvWay, layer string, mem [][]float32) {
				if way == ConvCudnn && layer == dw {
					y, _, _ := d.plans[way].layerOutput(dw)
					view(mem, y)[5] += 1
				}
			}
		}
		times, err := tuneConvs(d, d.plans, ConvCheckTol)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Conv: map[string]ConvWay{}}
		grouped := 0
		for _, tm := range times {
			opts.Conv[tm.Layer] = tm.Way
			if tm.Ref != ConvDirect {
				continue
			}
			grouped++
			if !tm.Tried[ConvDirect] || !tm.Tried[ConvCudnn] || tm.Tried[ConvIm2col] || tm.Tried[ConvImplicit] {
				t.Errorf("%s: tried %v, want the direct kernel and cuDNN", tm.Layer, tm.Tried)
			}
			want := ConvCudnn
			if spoil && tm.Layer == dw {
				want = ConvDirect
			}
			if tm.Way != want {
				t.Errorf("spoilt %v: %s took %s, want %s (%+v)", spoil, tm.Layer, tm.Way, want, tm)
			}
		}
		if len(times) != 11 || grouped != 3 {
			t.Errorf("%d layers timed, %d grouped; want 11 and 3", len(times), grouped)
		}
		how := tunedHow(times)
		if spoil != strings.Contains(how, "cuDNN disagreed with the direct kernel on "+dw+" by") {
			t.Errorf("spoilt %v: tunedHow = %q", spoil, how)
		}
		g := bind(t, m, 3)
		plan, err := BuildWith(g, 3, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, in := emulate(t, plan, g)
		checkOutputs(t, "mobilenet_tiny tuned", plan, got, evalOutputs(t, g, in), 1e-4)
	}
}

// TestBroadcastAxes: how infertop_binary walks two operands against their
// broadcast output — the batch axis with each operand's stride, then the
// other axes with axes of size 1 dropped and those read alike merged.
func TestBroadcastAxes(t *testing.T) {
	type ax = [3]int64
	for _, c := range []struct {
		name       string
		a, b, out  []int
		n0, sa, sb int64
		inner      [][3]int64
	}{
		{"same shape", []int{4, 5, 3, 7}, []int{4, 5, 3, 7}, []int{4, 5, 3, 7}, 4, 105, 105, [][3]int64{ax{105, 1, 1}}},
		{"squeeze-and-excitation", []int{4, 5, 3, 7}, []int{4, 5, 1, 1}, []int{4, 5, 3, 7}, 4, 105, 5, [][3]int64{ax{5, 21, 1}, ax{21, 1, 0}}},
		{"per channel constant", []int{4, 5, 3, 7}, []int{1, 5, 1, 1}, []int{4, 5, 3, 7}, 4, 105, 0, [][3]int64{ax{5, 21, 1}, ax{21, 1, 0}}},
		{"scalar", []int{4, 5, 3, 7}, nil, []int{4, 5, 3, 7}, 4, 105, 0, [][3]int64{ax{105, 1, 0}}},
		{"last axis", []int{4, 5, 3, 7}, []int{7}, []int{4, 5, 3, 7}, 4, 105, 0, [][3]int64{ax{15, 7, 0}, ax{7, 1, 1}}},
		{"first operand along the batch", []int{1, 5, 3, 1}, []int{4, 5, 3, 7}, []int{4, 5, 3, 7}, 4, 0, 105, [][3]int64{ax{15, 1, 7}, ax{7, 0, 1}}},
		{"outer product", []int{4, 1}, []int{1, 6}, []int{4, 6}, 4, 1, 0, [][3]int64{ax{6, 0, 1}}},
		{"a vector", []int{4}, nil, []int{4}, 4, 1, 0, nil},
		{"scalars", nil, nil, nil, 1, 0, 0, nil},
	} {
		n0, sa, sb, inner, err := broadcastAxes(c.a, c.b, c.out)
		if err != nil || n0 != c.n0 || sa != c.sa || sb != c.sb || !slices.Equal(inner, c.inner) {
			t.Errorf("%s: n0 %d strides %d, %d, inner %v, %v; want %d, %d, %d, %v", c.name, n0, sa, sb, inner, err, c.n0, c.sa, c.sb, c.inner)
		}
	}
}

// TestFixturesMatchPyTorch runs the fixtures' plans, every convolution
// way, on the Go emulation from the inputs testdata/models/make.py saved
// beside each model at batches 1 and 3 (BERT's token ids and mask as
// int64), and compares the outputs with PyTorch's own, saved with them
// (relative error ≤ 1e-4, as the CPU engine's fixture test asks).
func TestFixturesMatchPyTorch(t *testing.T) {
	for _, name := range append([]string{"resnet_narrow.op13", "bert_tiny.op13"}, fixtureNames...) {
		m := fixture(t, name)
		prefix := strings.TrimSuffix(name, ".op13")
		for _, batch := range []int{1, 3} {
			g := bind(t, m, batch)
			var x []*model.Tensor
			for _, in := range g.Inputs {
				file := fmt.Sprintf("../../testdata/models/%s.b%d.%s.npy", prefix, batch, in)
				if len(g.Inputs) == 1 {
					file = fmt.Sprintf("../../testdata/models/%s.b%d.input.npy", prefix, batch)
				}
				v, err := npy.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				x = append(x, v)
			}
			want, err := npy.ReadFile(fmt.Sprintf("../../testdata/models/%s.b%d.output.npy", prefix, batch))
			if err != nil {
				t.Fatal(err)
			}
			for _, way := range convWays(g) {
				plan, err := BuildWith(g, batch, Options{Default: way})
				if err != nil {
					t.Fatal(err)
				}
				mem := planMemory(t, plan, x)
				execPlan(t, plan, mem)
				got := outputs(plan, mem)[0]
				if e := reference.RelErr(got, want.F32); !(e <= 1e-4) {
					t.Errorf("%s %s batch %d: relative error %.3g against PyTorch > 1e-4", name, way, batch, e)
				} else {
					t.Logf("%s %s batch %d: relative error %.3g against PyTorch", name, way, batch, e)
				}
			}
		}
	}
}
