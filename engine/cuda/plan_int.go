package cuda

import (
	"infertop/model"
)

// The int64 path: a graph's integer inputs (token ids, attention masks)
// live on the device as int64, as the CPU engine holds them, and only two
// ops read them: Gather looks rows of a constant float32 table up by them
// (embeddings), and Cast turns them into float32 (a mask into the
// additive bias attention takes). Reshapes rename them as they rename any
// value. No step computes an integer value.

// castReason accepts a Cast to float32 from an integer or float32 value.
func castReason(g *model.Graph, n *model.Node) string {
	in, out := g.Values[n.Input(0)], g.Values[output0(n)]
	if out == nil || out.DType != model.Float32 {
		return "a Cast to anything but float32 has no CUDA plan"
	}
	if in == nil || !(in.DType.IsInt() || in.DType == model.Float32) {
		return "a Cast from anything but an integer or float32 has no CUDA plan"
	}
	return ""
}

// renames reports a node whose output is its first input renamed (no
// step): a reshape, or a Cast from float32 to float32.
func renames(g *model.Graph, n *model.Node) bool {
	p, ok := opPlanOf(n.Op)
	if ok && p.alias {
		return true
	}
	v := g.Values[n.Input(0)]
	return n.Op == "Cast" && v != nil && v.DType == model.Float32
}

// emitCast computes Cast to float32: infertop_cast_i64 from an integer
// value, a renaming from a float32 one.
func emitCast(b *builder, n *model.Node) error {
	if b.g.Values[n.Input(0)].DType == model.Float32 {
		return b.alias(n.Outputs[0], n.Input(0))
	}
	x, err := b.ref(n.Input(0))
	if err != nil {
		return err
	}
	count := b.elems(n.Input(0))
	y := b.out(n.Outputs[0])
	b.elementwise(n.Name, KCastI64, count, ptr(x), ptr(y), i64(count))
	return nil
}

// gatherReason accepts Gather along axis 0 of a constant float32 table by
// integer indices: an embedding lookup.
func gatherReason(g *model.Graph, n *model.Node) string {
	data, idx := g.Const(n.Input(0)), g.Values[n.Input(1)]
	if data == nil || data.DType != model.Float32 || len(data.Shape) == 0 {
		return "a Gather from anything but a constant float32 table has no CUDA plan yet"
	}
	if axis := n.Attrs.Int("axis", 0); axis != 0 && axis != -int64(len(data.Shape)) {
		return "a Gather along an axis other than the first has no CUDA plan yet"
	}
	if idx == nil || !idx.DType.IsInt() {
		return "a Gather by anything but integer indices has no CUDA plan"
	}
	return ""
}

// emitGather looks up one row of the table per index with
// infertop_gather_rows: x over a row's values, y over the indices.
func emitGather(b *builder, n *model.Node) error {
	args, err := b.args(n.Input(0), n.Input(1))
	if err != nil {
		return err
	}
	table := b.shape(n.Input(0))
	vocab := int64(table[0])
	cols := int64(model.NumElems(table[1:]))
	rows := b.elems(n.Input(1))
	if err := fits32(n.Name, "a table row", cols); err != nil {
		return err
	}
	y := b.out(n.Outputs[0])
	b.launch(n.Name, KGatherRows, Dim3{X: blocks(cols, Block), Y: clampInt(rows), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
		args[0], args[1], ptr(y), i64(rows), i64(cols), i64(vocab))
	return nil
}
