package model

// FuseLayerNorm rewrites the layer norm PyTorch exports before opset 17
// (after onnxruntime's layer_norm_fusion) into one LayerNormalization:
//
//	m = ReduceMean(x, axes=[-1])   d = Sub(x, m)       p = Pow(d, 2)
//	v = ReduceMean(p, axes=[-1])   e = Add(v, eps)     s = Sqrt(e)
//	n = Div(d, s)                  y = Mul(n, γ)       z = Add(y, β)
//	  → z = LayerNormalization(x, γ, β, axis=-1, epsilon=eps)
//
// Both ReduceMeans reduce the last axis alone (as -1 or rank-1, attribute or
// constant input) and keep it; eps and the exponent are scalar constants; d
// is read by the Pow and the Div alone, every other intermediate by the next
// node alone, none a graph output. γ and β are float32 constants of one
// value per position of the last axis (either operand order); without the
// Mul the scale is ones, without the Add there is no bias.
var FuseLayerNorm = fusion("fuse-layernorm",
	"the ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add decomposition → LayerNormalization",
	fuseLayerNorm)

func fuseLayerNorm(ix *index, mean *Node) bool {
	g := ix.g
	x := mean.Input(0)
	xs := ix.shape(x)
	if mean.Op != "ReduceMean" || !ix.isFloat(x) || len(xs) == 0 || !xs[len(xs)-1].Known() ||
		!reducesLast(ix, mean, len(xs)) {
		return false
	}
	dim, rank := xs[len(xs)-1].Size, len(xs)
	sub := ix.sole(mean.Outputs[0], "Sub")
	if sub == nil || sub.Input(0) != x || sub.Input(1) != mean.Outputs[0] {
		return false
	}
	d := sub.Outputs[0]
	if len(ix.cons[d]) != 2 || g.IsOutput(d) {
		return false
	}
	var pow, div *Node
	for _, c := range ix.cons[d] {
		switch {
		case c.Op == "Pow" && c.Input(0) == d:
			pow = c
		case c.Op == "Div" && c.Input(0) == d:
			div = c
		}
	}
	if pow == nil || div == nil {
		return false
	}
	if e, ok := ix.scalar(pow.Input(1), rank); !ok || e != 2 {
		return false
	}
	variance := ix.sole(pow.Outputs[0], "ReduceMean")
	if variance == nil || !reducesLast(ix, variance, rank) {
		return false
	}
	addEps := ix.sole(variance.Outputs[0], "Add")
	if addEps == nil {
		return false
	}
	epsName, _ := other(addEps, variance.Outputs[0])
	eps, ok := ix.scalar(epsName, rank)
	if !ok {
		return false
	}
	sqrt := ix.sole(addEps.Outputs[0], "Sqrt")
	if sqrt == nil || ix.sole(sqrt.Outputs[0], "Div") != div || div.Input(1) != sqrt.Outputs[0] {
		return false
	}
	nodes := []*Node{mean, sub, pow, variance, addEps, sqrt, div}
	out := div.Outputs[0]
	scale, bias := "", ""
	if mul := ix.sole(out, "Mul"); mul != nil {
		if c, _ := other(mul, out); ix.lastAxisConst(c, dim, rank) {
			scale, out, nodes = c, mul.Outputs[0], append(nodes, mul)
		}
	}
	if add := ix.sole(out, "Add"); add != nil {
		if c, _ := other(add, out); ix.lastAxisConst(c, dim, rank) {
			bias, out, nodes = c, add.Outputs[0], append(nodes, add)
		}
	}
	if scale == "" {
		ones := NewTensor(Float32, dim)
		for i := range ones.F32 {
			ones.F32[i] = 1
		}
		scale = addConst(g, mean.Name+"/scale", ones)
	} else {
		scale = ix.vector(scale, dim, mean.Name+"/scale")
	}
	if bias != "" {
		bias = ix.vector(bias, dim, mean.Name+"/bias")
	}
	ln := &Node{Name: mean.Name, Op: "LayerNormalization", Inputs: []string{x, scale, bias}, Outputs: []string{out},
		Attrs: Attrs{"axis": IntAttr(-1), "epsilon": FloatAttr(float32(eps))}, Covers: coverAll(nodes...)}
	if bias == "" {
		ln.Inputs = ln.Inputs[:2]
	}
	replace(g, nodes, ln)
	return true
}

// reducesLast reports a reduction over the last axis of a rank-r input alone, keeping it.
func reducesLast(ix *index, n *Node, r int) bool {
	axes, ok := reductionAxes(ix, n)
	return ok && n.Attrs.Int("keepdims", 1) == 1 && len(axes) == 1 && (axes[0] == -1 || axes[0] == int64(r-1))
}

// reductionAxes reads the axes of a one-output reduction: an attribute, or
// (from opset 18) a constant input; false when they are computed or not given.
func reductionAxes(ix *index, n *Node) ([]int64, bool) {
	if len(n.Outputs) != 1 {
		return nil, false
	}
	if name := n.Input(1); name != "" {
		t := ix.g.Const(name)
		if t == nil || !t.DType.IsInt() {
			return nil, false
		}
		return t.IntList(), true
	}
	return n.Attrs.Ints("axes")
}

// lastAxisConst reports a float32 constant that, combined with a rank-r
// value whose last dimension is n, holds one value per position of that axis.
func (ix *index) lastAxisConst(name string, n, r int) bool {
	t := ix.g.Const(name)
	return t != nil && t.DType == Float32 && lastAxisBroadcast(t.Shape, n, r)
}

// vector returns a constant of shape [n] holding what the last-axis constant
// name holds: name itself when it has that shape, or a new constant.
func (ix *index) vector(name string, n int, base string) string {
	t := ix.g.Const(name)
	if len(t.Shape) == 1 && t.Shape[0] == n {
		return name
	}
	return addConst(ix.g, base, broadcastTo(t, n))
}
