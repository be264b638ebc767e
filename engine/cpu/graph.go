package cpu

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"infertop/presets"
)

// val is a tensor of the graph being built. shape is the per-sample shape in
// the preset's (NCHW) terms; nhwc says a 3-D tensor is stored as [H, W, C].
type val struct {
	n     *gorgonia.Node
	shape []int
	nhwc  bool
}

// builder turns a preset into one gorgonia graph for one batch size.
type builder struct {
	g       *gorgonia.ExprGraph
	c       *compute
	batch   int
	weights map[string]*tensor.Dense
	wnodes  map[string]*gorgonia.Node
	names   map[string]bool
	nodes   int
	ops     []gorgonia.Op
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// physical is the node shape of a per-sample shape with the batch in front.
func (b *builder) physical(shape []int, nhwc bool) []int {
	if nhwc {
		return []int{b.batch, shape[1], shape[2], shape[0]}
	}
	return append([]int{b.batch}, shape...)
}

func (b *builder) unique(name string) error {
	if b.names[name] {
		return fmt.Errorf("cpu engine: node name %q used twice", name)
	}
	b.names[name] = true
	b.nodes++
	return nil
}

func (b *builder) weight(name string) (*gorgonia.Node, error) {
	if n, ok := b.wnodes[name]; ok {
		return n, nil
	}
	d, ok := b.weights[name]
	if !ok {
		return nil, fmt.Errorf("cpu engine: no weight %q", name)
	}
	if err := b.unique(name); err != nil {
		return nil, err
	}
	n := gorgonia.NewTensor(b.g, tensor.Float32, d.Dims(), gorgonia.WithShape(d.Shape()...), gorgonia.WithName(name), gorgonia.WithValue(d))
	b.wnodes[name] = n
	return n, nil
}

// apply adds an op node named name with the given children.
func (b *builder) apply(op gorgonia.Op, name string, shape []int, nhwc bool, children ...*gorgonia.Node) (val, error) {
	if err := b.unique(name); err != nil {
		return val{}, err
	}
	n, err := gorgonia.ApplyOpWithName(op, name, children...)
	if err != nil {
		return val{}, fmt.Errorf("cpu engine: adding %s: %w", name, err)
	}
	b.ops = append(b.ops, op)
	return val{n: n, shape: shape, nhwc: nhwc}, nil
}

func dims(ns ...*gorgonia.Node) []int {
	d := make([]int, len(ns))
	for i, n := range ns {
		d[i] = n.Dims()
	}
	return d
}

// actOf returns the activation a layer of this kind can take into an epilogue; ok is false for other kinds.
func actOf(k presets.Kind) (act, bool) {
	switch k {
	case presets.ReLU:
		return actReLU, true
	case presets.GELU:
		return actGELU, true
	}
	return actNone, false
}

// seq builds layers in order from x. When res is not nil the sequence is a
// residual body: its result is added to *res and resAct applied after the sum,
// fused into the last layer's epilogue when that layer is a matrix product.
func (b *builder) seq(ls []presets.Layer, x val, res *val, resAct act) (val, error) {
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		name := l.Name
		a := actNone
		if i+1 < len(ls) && (l.Kind == presets.Linear || l.Kind == presets.Conv2D || l.Kind == presets.Residual) {
			if na, ok := actOf(ls[i+1].Kind); ok {
				a = na
				name += "+" + ls[i+1].Name
				i++
			}
		}
		var r *val
		ra := actNone
		if i == len(ls)-1 && res != nil && a == actNone {
			r, ra = res, resAct
		}
		y, used, err := b.layer(l, name, x, a, r, ra)
		if err != nil {
			return val{}, err
		}
		if r != nil && !used {
			if y, err = b.add(y, *r, l.Name+".residual", ra); err != nil {
				return val{}, err
			}
			used = true
		}
		x = y
		if i == len(ls)-1 && res != nil && !used {
			return b.add(x, *res, l.Name+".residual", resAct)
		}
	}
	if len(ls) == 0 && res != nil {
		return b.add(x, *res, "residual", resAct)
	}
	return x, nil
}

// add builds act(y + r) as an element-wise op.
func (b *builder) add(y, r val, name string, a act) (val, error) {
	var err error
	if r.nhwc != y.nhwc {
		if y.nhwc {
			y, err = b.toNCHW(y, name+".nchw", nil)
		} else {
			y, err = b.toNHWC(y, name)
		}
		if err != nil {
			return val{}, err
		}
	}
	out := b.physical(y.shape, y.nhwc)
	op := newMapOp(b.c, "add", name, dims(y.n, r.n), out, b.batch*prod(y.shape), a, true)
	return b.apply(op, name, y.shape, y.nhwc, y.n, r.n)
}

// layer builds one layer named name (with a fused activation a). When r is not
// nil the layer may add it before the activation ra; used says it did.
func (b *builder) layer(l presets.Layer, name string, x val, a act, r *val, ra act) (y val, used bool, err error) {
	out, err := l.OutShape(x.shape)
	if err != nil {
		return val{}, false, err
	}
	switch l.Kind {
	case presets.Linear:
		if x, err = b.toNCHW(x, l.Name+".nchw", nil); err != nil {
			return val{}, false, err
		}
		fuse := r != nil && !r.nhwc && a == actNone
		if fuse {
			a = ra
		}
		y, err = b.linear(name, x, l.Name+".weight", l.Name+".bias", l.In, l.Out, out, a, r, fuse)
		return y, fuse, err
	case presets.Conv2D:
		if x, err = b.toNHWC(x, l.Name); err != nil {
			return val{}, false, err
		}
		fuse := r != nil && r.nhwc && a == actNone
		if fuse {
			a = ra
		}
		w, err := b.weight(l.Name + ".weight")
		if err != nil {
			return val{}, false, err
		}
		bias, err := b.weight(l.Name + ".bias")
		if err != nil {
			return val{}, false, err
		}
		g := convGeom{h: x.shape[1], w: x.shape[2], c: x.shape[0], k: l.Kernel, stride: max(l.Stride, 1), pad: l.Pad,
			oh: out[1], ow: out[2], kkc: l.Kernel * l.Kernel * l.In}
		children := []*gorgonia.Node{x.n, w, bias}
		if fuse {
			name += "+residual"
			children = append(children, r.n)
		}
		op := newConvOp(b.c, name, dims(children...), b.physical(out, true), g, l.Out, b.batch, a, fuse)
		y, err = b.apply(op, name, out, true, children...)
		return y, fuse, err
	case presets.ReLU, presets.GELU:
		fa, _ := actOf(l.Kind)
		op := newMapOp(b.c, l.Kind.String(), name, dims(x.n), b.physical(out, x.nhwc), b.batch*prod(out), fa, false)
		y, err = b.apply(op, name, out, x.nhwc, x.n)
		return y, false, err
	case presets.MaxPool2:
		if x, err = b.toNHWC(x, l.Name); err != nil {
			return val{}, false, err
		}
		op := &maxPoolOp{rowsOp: rowsOp{opBase: opBase{kind: "maxpool2", name: name, inDims: dims(x.n), out: b.physical(out, true)}, c: b.c},
			h: x.shape[1], w: x.shape[2], ch: x.shape[0], oh: out[1], ow: out[2]}
		op.setRows(b.batch*out[1], out[2]*out[0]*4)
		y, err = b.apply(op, name, out, true, x.n)
		return y, false, err
	case presets.Flatten:
		y, err = b.toNCHW(x, name, out)
		return y, false, err
	case presets.GlobalAvgPool:
		if x, err = b.toNHWC(x, l.Name); err != nil {
			return val{}, false, err
		}
		op := &gapOp{rowsOp: rowsOp{opBase: opBase{kind: "globalavgpool", name: name, inDims: dims(x.n), out: b.physical(out, false)}, c: b.c},
			hw: x.shape[1] * x.shape[2], ch: x.shape[0]}
		op.setRows(b.batch, prod(x.shape))
		y, err = b.apply(op, name, out, false, x.n)
		return y, false, err
	case presets.LayerNorm:
		if x, err = b.toNCHW(x, l.Name+".nchw", nil); err != nil {
			return val{}, false, err
		}
		g, err := b.weight(l.Name + ".weight")
		if err != nil {
			return val{}, false, err
		}
		bias, err := b.weight(l.Name + ".bias")
		if err != nil {
			return val{}, false, err
		}
		op := &layerNormOp{rowsOp: rowsOp{opBase: opBase{kind: "layernorm", name: name, inDims: dims(x.n, g, bias), out: b.physical(out, false)}, c: b.c}, d: l.In}
		op.setRows(b.batch*prod(out)/l.In, l.In)
		y, err = b.apply(op, name, out, false, x.n, g, bias)
		return y, false, err
	case presets.SelfAttention:
		return b.attention(l, name, x, out, r, ra)
	case presets.Residual:
		y, err = b.seq(l.Body, x, &x, a)
		if err == nil && (!sameInts(y.shape, out)) {
			err = fmt.Errorf("cpu engine: residual %s gives %v, want %v", l.Name, y.shape, out)
		}
		return y, false, err
	}
	return val{}, false, fmt.Errorf("cpu engine: layer %s has unsupported kind %v", l.Name, l.Kind)
}

// linear adds a fused matrix-product node.
func (b *builder) linear(name string, x val, wName, bName string, in, outF int, out []int, a act, r *val, fuse bool) (val, error) {
	w, err := b.weight(wName)
	if err != nil {
		return val{}, err
	}
	bias, err := b.weight(bName)
	if err != nil {
		return val{}, err
	}
	children := []*gorgonia.Node{x.n, w, bias}
	if fuse {
		name += "+residual"
		children = append(children, r.n)
	}
	rows := b.batch * prod(x.shape) / in
	op := newGemmOp(b.c, name, dims(children...), b.physical(out, false), rows, in, outF, a, fuse)
	return b.apply(op, name, out, false, children...)
}

// attention builds in_proj (linear to [t, 3d]), the attention core, and
// out_proj (linear, taking the residual when there is one).
func (b *builder) attention(l presets.Layer, name string, x val, out []int, r *val, ra act) (val, bool, error) {
	var err error
	if x, err = b.toNCHW(x, l.Name+".nchw", nil); err != nil {
		return val{}, false, err
	}
	t, d := x.shape[0], l.In
	qkv, err := b.linear(l.Name+".in_proj", x, l.Name+".in_proj_weight", l.Name+".in_proj_bias", d, 3*d, []int{t, 3 * d}, actNone, nil, false)
	if err != nil {
		return val{}, false, err
	}
	op := newAttentionOp(b.c, name, dims(qkv.n), b.physical(out, false), b.batch, t, d, l.Heads)
	mixed, err := b.apply(op, name, out, false, qkv.n)
	if err != nil {
		return val{}, false, err
	}
	fuse := r != nil && !r.nhwc
	a := actNone
	if fuse {
		a = ra
	}
	y, err := b.linear(l.Name+".out_proj", mixed, l.Name+".out_proj.weight", l.Name+".out_proj.bias", d, d, out, a, r, fuse)
	return y, fuse, err
}

// build makes the graph of p for batch samples. It returns the input node and the output node.
func (b *builder) build(p *presets.Preset) (in, out *gorgonia.Node, err error) {
	b.g = gorgonia.NewGraph()
	b.wnodes = map[string]*gorgonia.Node{}
	b.names = map[string]bool{}
	if err := b.unique("input"); err != nil {
		return nil, nil, err
	}
	shape := b.physical(p.Input, false)
	in = gorgonia.NewTensor(b.g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName("input"))
	y, err := b.seq(p.Layers, val{n: in, shape: p.Input}, nil, actNone)
	if err != nil {
		return nil, nil, err
	}
	if y, err = b.toNCHW(y, "output", nil); err != nil {
		return nil, nil, err
	}
	if y.n == in { // a preset of no layers: the output must still be its own buffer
		op := newMapOp(b.c, "copy", "output", dims(in), shape, b.batch*prod(p.Input), actNone, false)
		if y, err = b.apply(op, "output", p.Input, false, in); err != nil {
			return nil, nil, err
		}
	}
	if got := len(b.g.AllNodes()); got != b.nodes {
		return nil, nil, fmt.Errorf("cpu engine: graph has %d nodes, built %d: gorgonia merged some", got, b.nodes)
	}
	return in, y.n, nil
}
