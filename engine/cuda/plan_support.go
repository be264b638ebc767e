package cuda

import (
	"fmt"

	"infertop/model"
)

// CheckGraph lists every kind of node of compiled graph g that the plan
// compiler cannot turn into steps, grouped by op and reason in the order
// they first appear (as model.CheckSupported lists what cannot be computed
// at all); nil when every node can run on the GPU. A node is refused when
// its op has no plan, when it reads or writes values other than float32,
// or for what its op's plan does not cover (a 3-D convolution, a softmax
// along a middle axis, run-time Clip bounds ...).
func CheckGraph(g *model.Graph) []model.Unsupported {
	return model.GroupUnsupported(g, func(n *model.Node) string { return nodeReason(g, n) })
}

// nodeReason says why a node cannot be turned into steps, or "".
func nodeReason(g *model.Graph, n *model.Node) string {
	p, ok := opPlanOf(n.Op)
	if !ok {
		return "no CUDA plan yet"
	}
	ins := n.Inputs
	if p.dataIns > 0 && len(ins) > p.dataIns {
		ins = ins[:p.dataIns]
	}
	for i, name := range append(ins[:len(ins):len(ins)], n.Outputs...) {
		v := g.Values[name]
		if name == "" || i > len(ins) && !read(g, name) {
			continue // an output after the first that nothing reads is never written
		}
		if v == nil || !v.Shape.Known() {
			return "a value of unknown shape has no CUDA plan (compile the graph first)"
		}
		if v.DType != model.Float32 && !p.typed && !(p.alias && typedOK(v.DType)) {
			return fmt.Sprintf("%s values have no CUDA plan here (its kernels compute float32)", v.DType)
		}
	}
	return p.check(g, n)
}

// checkIO refuses graph inputs and outputs other than float32, int64,
// int32 and bool: what the engine stages.
func checkIO(g *model.Graph) error {
	for _, list := range []struct {
		what  string
		names []string
	}{{"input", g.Inputs}, {"output", g.Outputs}} {
		for _, name := range list.names {
			v := g.Values[name]
			if v != nil && typedOK(v.DType) {
				continue
			}
			dt := "undefined"
			if v != nil {
				dt = v.DType.String()
			}
			return fmt.Errorf("%s %q is %s: the CUDA engine takes and gives float32, int64, int32 and bool values", list.what, name, dt)
		}
	}
	return nil
}

// OpenCheck compiles m as the engine does when it opens it, at its fixed
// batch or else at batch 2 (so that a sum broadcast along the batch, which
// batch 1 hides, shows), and refuses what the engine cannot run: every node
// the plan compiler cannot turn into steps, in one *model.UnsupportedError
// named after the model, and inputs or outputs of other types than
// float32, int64, int32 and bool. It
// returns the compiled graph and its batch.
func OpenCheck(m *model.Model) (*model.Graph, int, error) {
	batch := m.FixedBatch()
	if batch <= 0 {
		batch = 2
	}
	g, err := m.Bind(batch)
	if err != nil {
		return nil, 0, err
	}
	if u := CheckGraph(g); len(u) > 0 {
		return nil, 0, &model.UnsupportedError{Graph: m.Name, List: u}
	}
	if err := checkIO(g); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", m.Name, err)
	}
	return g, batch, nil
}
