package presets

import (
	"fmt"

	"infertop/model"
)

// GraphOpset is the ONNX opset the preset graphs are written for: the one
// PyTorch exports them with by default, and the first with LayerNormalization.
const GraphOpset = 17

// geluOpset is the opset of a graph that holds a Gelu node, which ONNX
// defines from opset 20 on (every other op the presets use means the same there).
const geluOpset = 20

// GraphProducer is the producer name the preset graphs carry.
const GraphProducer = "infertop presets"

// net builds one preset's graph with standard ONNX ops. Each method adds one
// layer's nodes and parameters and returns the name of the value it computes.
// Parameters are drawn from the seed exactly as Preset.Weights draws them and
// stored under the same names (a MatMul's right operand, the transpose of a
// [out, in] weight, under the weight's name with "_t" appended).
type net struct {
	b     *model.Builder
	seed  uint64
	opset int
}

func newNet(name string, seed uint64) *net {
	return &net{b: model.NewBuilder(name), seed: seed, opset: GraphOpset}
}

// input adds the graph's input "input" of shape [batch, sample...].
func (n *net) input(sample ...int) string {
	shape := model.Shape{model.Sym("batch")}
	for _, d := range sample {
		shape = append(shape, model.Fixed(d))
	}
	return n.b.Input("input", model.Float32, shape)
}

// param adds a float32 constant drawn from init.
func (n *net) param(name string, init Init, shape ...int) string {
	return n.b.Const(name, model.Floats(shape, uniform(n.seed, name, prod(shape), init)))
}

// paramT adds the transpose of a drawn [rows, cols] matrix, as [cols, rows],
// under name + "_t".
func (n *net) paramT(name string, init Init, rows, cols int) string {
	w := uniform(n.seed, name, rows*cols, init)
	t := make([]float32, len(w))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = w[r*cols+c]
		}
	}
	return n.b.Const(name+"_t", model.Floats([]int{cols, rows}, t))
}

// gemm is a linear over 2-D input [B, in]: Gemm(x, W, b) with transB=1, W [out, in].
func (n *net) gemm(name, x string, in, out int) string {
	init := Init{-bound(in), bound(in)}
	w := n.param(name+".weight", init, out, in)
	b := n.param(name+".bias", init, out)
	return n.b.Op("Gemm", name, model.Attrs{"transB": model.IntAttr(1)}, x, w, b)
}

// matmulAdd is a linear over N-D input [..., in], as PyTorch exports it:
// MatMul(x, Wᵀ) then Add(b). prefix names the parameters (prefix + "weight",
// prefix + "bias"); name names the Add, whose output is the result.
func (n *net) matmulAdd(name, prefix, x string, in, out int, init Init) string {
	w := n.paramT(prefix+"weight", init, out, in)
	b := n.param(prefix+"bias", init, out)
	mm := n.b.Op("MatMul", name+".matmul", nil, x, w)
	return n.b.Op("Add", name, nil, mm, b)
}

// linear3 is a linear over N-D input with PyTorch's nn.Linear parameters.
func (n *net) linear3(name, x string, in, out int) string {
	return n.matmulAdd(name, name+".", x, in, out, Init{-bound(in), bound(in)})
}

// conv is a square 2-D convolution with a bias.
func (n *net) conv(name, x string, in, out, k, stride, pad int) string {
	init := Init{-bound(in * k * k), bound(in * k * k)}
	w := n.param(name+".weight", init, out, in, k, k)
	b := n.param(name+".bias", init, out)
	s, p, kk := int64(stride), int64(pad), int64(k)
	return n.b.Op("Conv", name, model.Attrs{
		"kernel_shape": model.IntsAttr(kk, kk),
		"strides":      model.IntsAttr(s, s),
		"pads":         model.IntsAttr(p, p, p, p),
		"dilations":    model.IntsAttr(1, 1),
		"group":        model.IntAttr(1),
	}, x, w, b)
}

func (n *net) relu(name, x string) string { return n.b.Op("Relu", name, nil, x) }

// gelu is the exact (erf) GELU; it makes the graph's opset 20.
func (n *net) gelu(name, x string) string {
	n.opset = max(n.opset, geluOpset)
	return n.b.Op("Gelu", name, nil, x)
}

func (n *net) add(name, a, b string) string { return n.b.Op("Add", name, nil, a, b) }

// maxPool2 is 2×2 max pooling with stride 2.
func (n *net) maxPool2(name, x string) string {
	return n.b.Op("MaxPool", name, model.Attrs{
		"kernel_shape": model.IntsAttr(2, 2),
		"strides":      model.IntsAttr(2, 2),
	}, x)
}

// flatten reshapes [B, ...] to [B, rest].
func (n *net) flatten(name, x string) string {
	return n.b.Op("Flatten", name, model.Attrs{"axis": model.IntAttr(1)}, x)
}

// globalAvgPool averages [B, C, H, W] over H×W and flattens to [B, C].
func (n *net) globalAvgPool(name, x string) string {
	return n.flatten(name+".flatten", n.b.Op("GlobalAveragePool", name, nil, x))
}

// layerNorm normalizes the last dimension d, with a drawn affine transform.
func (n *net) layerNorm(name, x string, d int) string {
	g := n.param(name+".weight", Init{0.5, 1.5}, d)
	b := n.param(name+".bias", Init{-0.1, 0.1}, d)
	return n.b.Op("LayerNormalization", name, model.Attrs{
		"axis":    model.IntAttr(-1),
		"epsilon": model.FloatAttr(LayerNormEps),
	}, x, g, b)
}

// attention is nn.MultiheadAttention(d, heads, batch_first=True) as
// self-attention over [B, T, d]: the in-projection to packed QKV [B, T, 3d],
// model.OpAttention, and the out-projection.
func (n *net) attention(name, x string, d, heads int) string {
	init := Init{-bound(d), bound(d)}
	qkv := n.matmulAdd(name+".in_proj", name+".in_proj_", x, d, 3*d, init)
	a := n.b.Op(model.OpAttention, name, model.Attrs{"num_heads": model.IntAttr(int64(heads))}, qkv)
	return n.matmulAdd(name+".out_proj", name+".out_proj.", a, d, d, init)
}

// finish makes last the graph's output, named "output", and checks the graph.
func (n *net) finish(last string) (*model.Graph, error) {
	n.b.Output(last)
	g, err := n.b.Build()
	if err != nil {
		return nil, err
	}
	renameValue(g, last, "output")
	g.Opset = n.opset
	g.Producer = GraphProducer
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", g.Name, err)
	}
	return g, nil
}

// renameValue gives a computed value a new name everywhere it is used.
func renameValue(g *model.Graph, from, to string) {
	if from == to {
		return
	}
	v := g.Values[from]
	delete(g.Values, from)
	v.Name = to
	g.Values[to] = v
	rename := func(names []string) {
		for i, s := range names {
			if s == from {
				names[i] = to
			}
		}
	}
	for _, nd := range g.Nodes {
		rename(nd.Inputs)
		rename(nd.Outputs)
	}
	rename(g.Inputs)
	rename(g.Outputs)
}
