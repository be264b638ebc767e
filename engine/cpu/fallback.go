package cpu

import "infertop/model"

// refKernel runs a node on model.EvalNode, the reference kernels
// (single-threaded, in the graph's layout, into the buffers bound at Prepare;
// the common ones allocate nothing). It is how the engine runs what has no
// fast kernel: shape and index ops, integer and boolean math, and the rarely
// hot rest.
type refKernel struct {
	n       *model.Node
	opset   int
	in, out []*model.Tensor
}

// optionalOutputs says whether op's outputs past the first are ones the
// reference kernels may skip when nothing reads them.
func optionalOutputs(op string) bool {
	switch op {
	case "MaxPool", "LayerNormalization", "BatchNormalization", "Dropout":
		return true
	}
	return false
}

// fallback plans a node on the reference kernels.
func (p *planner) fallback(n *model.Node) error {
	k := &refKernel{n: n, opset: p.opset, in: make([]*model.Tensor, len(n.Inputs)), out: make([]*model.Tensor, len(n.Outputs))}
	var ins, outs []*val
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		v := p.get(name, false)
		ins = append(ins, v)
		k.in[i] = v.t
	}
	for i, name := range n.Outputs {
		if name == "" || (i > 0 && optionalOutputs(n.Op) && !p.used(name)) {
			continue
		}
		v := p.out(name, false)
		outs = append(outs, v)
		k.out[i] = v.t
	}
	p.ref[n.Op]++
	p.add(&step{name: n.Name, op: n.Op, k: k, ins: ins, outs: outs})
	return nil
}

func (k *refKernel) compute() error { return model.EvalNode(k.n, k.opset, k.in, k.out) }

// reshape plans a node that only renames its input's data (Reshape,
// Flatten, Squeeze, Unsqueeze, Identity, and Dropout at inference): its
// output shares the input's buffer, in the graph's layout, and no step runs.
func (p *planner) reshape(n *model.Node) (bool, error) {
	if n.Op == "Dropout" && (p.used(n.Outputs[1:]...) || len(n.Inputs) > 2 && n.Inputs[2] != "") {
		return false, nil
	}
	out := n.Outputs[0]
	base := p.get(n.Input(0), false)
	t := &model.Tensor{DType: p.dtype(out), Shape: p.shape(out)}
	v := &val{name: out, t: t, alias: base}
	if base.konst {
		t.F32, t.I64, t.Bool = base.t.F32, base.t.I64, base.t.Bool
		v = &val{name: out, t: t, konst: true}
	}
	p.vals[out] = &[2]*val{v}
	return true, nil
}
