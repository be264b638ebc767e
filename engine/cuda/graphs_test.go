package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"infertop/model"
	"infertop/presets"
)

// The graphs the tests plan: the built-in presets, and small graphs of ONNX
// ops with shapes the presets lack, compiled as any model is.

// presetNames are the built-in models.
var presetNames = []string{"linear", "mlp", "lenet5", "resnet", "transformer"}

// presetModel builds a built-in model with the default seed's weights.
func presetModel(t testing.TB, name string) *model.Model {
	t.Helper()
	m, err := presets.BuildModel(name, presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bind compiles m for a batch.
func bind(t testing.TB, m *model.Model, batch int) *model.Graph {
	t.Helper()
	g, err := m.Bind(batch)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tnet builds a test graph of ONNX ops (opset 20, for Gelu) with weights
// uniform in [-1/√fan-in, 1/√fan-in) from a fixed stream.
type tnet struct {
	b *model.Builder
	r *rand.Rand
}

func newTnet(name string) *tnet {
	return &tnet{b: model.NewBuilder(name), r: rand.New(rand.NewPCG(7, uint64(len(name))))}
}

// input adds an input of shape [batch, dims...].
func (n *tnet) input(name string, dims ...int) string {
	s := model.Shape{model.Sym("batch")}
	for _, d := range dims {
		s = append(s, model.Fixed(d))
	}
	return n.b.Input(name, model.Float32, s)
}

func (n *tnet) param(name string, fanIn int, shape ...int) string {
	v := make([]float32, model.NumElems(shape))
	bound := float32(1 / math.Sqrt(float64(fanIn)))
	for i := range v {
		v[i] = bound * (2*n.r.Float32() - 1)
	}
	return n.b.Const(name, model.Floats(shape, v))
}

func (n *tnet) ints(name string, v ...int64) string {
	return n.b.Const(name, model.Ints([]int{len(v)}, v))
}

func (n *tnet) op(op, name string, attrs model.Attrs, ins ...string) string {
	return n.b.Op(op, name, attrs, ins...)
}

// conv is a square convolution, with a bias or none.
func (n *tnet) conv(name, x string, in, out, k, stride, pad int, bias bool) string {
	ins := []string{x, n.param(name+".w", in*k*k, out, in, k, k)}
	if bias {
		ins = append(ins, n.param(name+".b", in*k*k, out))
	}
	s, p := int64(stride), int64(pad)
	return n.op("Conv", name, model.Attrs{"strides": model.IntsAttr(s, s), "pads": model.IntsAttr(p, p, p, p)}, ins...)
}

// linear is MatMul by a [in, out] constant, then Add of a bias when asked.
func (n *tnet) linear(name, x string, in, out int, bias bool) string {
	y := n.op("MatMul", name, nil, x, n.param(name+".w", in, in, out))
	if bias {
		y = n.op("Add", name+".add", nil, y, n.param(name+".b", in, out))
	}
	return y
}

func (n *tnet) layerNorm(name, x string, d int, bias bool) string {
	ins := []string{x, n.param(name+".g", 1, d)}
	if bias {
		ins = append(ins, n.param(name+".b", 1, d))
	}
	return n.op("LayerNormalization", name, model.Attrs{"axis": model.IntAttr(-1)}, ins...)
}

func (n *tnet) maxPool2(name, x string) string {
	return n.op("MaxPool", name, model.Attrs{"kernel_shape": model.IntsAttr(2, 2), "strides": model.IntsAttr(2, 2)}, x)
}

// model finishes the graph with the given outputs.
func (n *tnet) model(t testing.TB, outs ...string) *model.Model {
	t.Helper()
	n.b.Output(outs...)
	g, err := n.b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Opset = 20
	return &model.Model{Name: g.Name, Graph: g, DefaultBatch: 1}
}

// oddConv has shapes the presets lack: a non-square odd image, stride 2
// with padding, a 2×2 kernel, pooling that floors, standalone activations,
// convolutions without a bias, with a residual and ReLU or GELU after it,
// more channels than the tiny test grids, a linear without a bias.
func oddConv(t testing.TB) *model.Model {
	n := newTnet("odd-conv")
	x := n.input("input", 3, 13, 11)
	x = n.op("Gelu", "g1", nil, n.conv("c1", x, 3, 5, 3, 2, 1, true)) // 5×7×6
	x = n.op("Relu", "r1", nil, n.maxPool2("p1", x))                  // 5×3×3
	y := n.op("Relu", "res1.r", nil, n.conv("res1.c1", x, 5, 5, 3, 1, 1, true))
	x = n.op("Relu", "res1.out", nil, n.op("Add", "res1", nil, x, n.conv("res1.c2", y, 5, 5, 3, 1, 1, false)))
	x = n.op("Gelu", "res2.out", nil, n.op("Add", "res2", nil, n.conv("res2.c", x, 5, 5, 3, 1, 1, true), x))
	x = n.conv("c2", x, 5, 300, 2, 1, 0, true) // 300×2×2
	x = n.op("Flatten", "flat", model.Attrs{"axis": model.IntAttr(1)}, n.op("GlobalAveragePool", "gap", nil, x))
	x = n.op("Relu", "r3", nil, n.linear("fc1", x, 300, 300, true))
	x = n.op("Gelu", "g2", nil, n.linear("fc2", x, 300, 7, true))
	return n.model(t, n.linear("fc3", x, 7, 1, false))
}

// oddAttention has softmax rows longer than a block, a layer norm without a
// bias, a linear with a residual and GELU, a standalone GELU, and two outputs.
func oddAttention(t testing.TB) *model.Model {
	n := newTnet("odd-attention")
	in := n.input("input", 300, 16)
	qkv := n.linear("qkv", n.layerNorm("ln1", in, 16, true), 16, 48, true)
	a := n.op(model.OpAttention, "attn", model.Attrs{"num_heads": model.IntAttr(2)}, qkv)
	proj := n.op("Add", "attn_block", nil, n.linear("proj", a, 16, 16, true), in)
	h := n.op("Gelu", "g", nil, n.layerNorm("ln2", n.linear("fc1", proj, 16, 300, true), 300, false))
	h = n.op("Gelu", "g2", nil, n.op("Add", "ffn_block", nil, n.linear("fc2", h, 300, 16, true), proj))
	return n.model(t, n.linear("head", h, 16, 3, true), proj)
}

// oddMix has two inputs and two outputs, an Add of two computed values,
// and renamings: Flatten, Unsqueeze and Squeeze around a linear.
func oddMix(t testing.TB) *model.Model {
	n := newTnet("odd-mix")
	a, c := n.input("a", 6, 4), n.input("c", 24)
	x := n.op("Flatten", "flat", model.Attrs{"axis": model.IntAttr(1)}, a)
	y := n.op("Add", "sum", nil, n.op("Relu", "r", nil, x), c)
	u := n.op("Unsqueeze", "u", nil, y, n.ints("u.axes", 1))
	z := n.op("Relu", "zr", nil, n.linear("z", u, 24, 8, false))
	return n.model(t, n.op("Squeeze", "s", nil, z, n.ints("s.axes", 1)), y)
}

// oddModels are the odd test graphs.
func oddModels(t testing.TB) []*model.Model {
	return []*model.Model{oddConv(t), oddAttention(t), oddMix(t)}
}

// threeConvs has a convolution beyond the implicit kernel's row table (C·k·k
// 2700) and one for each implicit kernel; 5×5 outputs are no multiple of a
// column tile.
func threeConvs(t testing.TB) *model.Model {
	n := newTnet("three")
	x := n.conv("wide", n.input("input", 300, 5, 5), 300, 8, 3, 1, 1, true)
	x = n.conv("m32", x, 8, 8, 3, 1, 1, true)
	return n.model(t, n.conv("m64", x, 8, 40, 3, 1, 1, true))
}
