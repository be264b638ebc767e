package cuda

import (
	"infertop/model"
)

// Embeddings: Gather looks rows of a constant float32 table up by integer
// indices (token ids), held as int64 on the device (plan_typed.go).

// renames reports a node whose output is its first input renamed (no
// step): a reshape, or a Cast to the dtype its input has.
func renames(g *model.Graph, n *model.Node) bool {
	p, ok := opPlanOf(n.Op)
	if ok && p.alias {
		return true
	}
	v, w := g.Values[n.Input(0)], g.Values[output0(n)]
	return n.Op == "Cast" && v != nil && w != nil && v.DType == w.DType
}

// gatherReason accepts Gather along any axis of float32, integer or bool
// data by integer indices.
func gatherReason(g *model.Graph, n *model.Node) string {
	data, idx := g.Values[n.Input(0)], g.Values[n.Input(1)]
	if r := typedReason(g, n, false); r != "" {
		return r
	}
	if idx == nil || !idx.DType.IsInt() {
		return "a Gather by anything but integer indices has no CUDA plan"
	}
	if _, ok := axisOf(n, len(data.Shape), 0); !ok {
		return "a Gather along an axis outside its data's has no CUDA plan"
	}
	return ""
}

// emitGather looks rows up: infertop_gather_rows for an embedding (a
// constant float32 table along its first axis), infertop_gather otherwise,
// over the data's words (two per integer value).
func emitGather(b *builder, n *model.Node) error {
	args, err := b.args(n.Input(0), n.Input(1))
	if err != nil {
		return err
	}
	data := b.shape(n.Input(0))
	axis, _ := axisOf(n, len(data), 0)
	rows := b.elems(n.Input(1))
	words := elemOf(b.g.Values[n.Input(0)].DType).Size() / 4
	inner := int64(model.NumElems(data[axis+1:])) * words
	if err := fits32(n.Name, "a gathered row", inner); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	if c := b.g.Const(n.Input(0)); c != nil && c.DType == model.Float32 && axis == 0 {
		b.launch(n.Name, KGatherRows, Dim3{X: blocks(inner, Block), Y: clampInt(rows), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
			args[0], args[1], ptr(y), i64(rows), i64(inner), i64(int64(data[0])))
		return nil
	}
	outer := int64(model.NumElems(data[:axis]))
	if outer*rows*inner == 0 {
		return nil
	}
	b.launch(n.Name, KGather, Dim3{X: blocks(inner, Block), Y: clampInt(rows), Z: clampInt(outer)}, Dim3{X: Block, Y: 1, Z: 1},
		args[0], args[1], ptr(y), i64(outer), i64(int64(data[axis])), i64(rows), i64(inner))
	return nil
}
