package cuda

import (
	"fmt"

	"infertop/model"
)

// Integer and bool values. They live on the device as int64 (a bool 0 or
// 1), as the CPU engine holds integers, and one kernel computes with them:
// infertop_binary_typed walks its operands as infertop_binary does, each
// operand and the output of its own type. It serves Add, Sub, Mul, Div
// and Pow of integers (and Pow's mixed types), Equal, Where, Cast between
// any two types, and Dropout's mask. Graph inputs and outputs of these
// types are staged as int64 and converted on the host.

// Op codes of infertop_binary_typed beyond infertop_binary's arithmetic
// and copy.
const (
	binEqual int64 = 12
	binWhere int64 = 13
	binOne   int64 = 14
)

// typeCode is a dtype's code in infertop_binary_typed's types parameter.
func typeCode(dt model.DType) int64 {
	switch dt {
	case model.Int64:
		return 1
	case model.Bool:
		return 2
	case model.Int32:
		return 3
	}
	return 0
}

// typedOK reports the dtypes the typed kernel computes with.
func typedOK(dt model.DType) bool {
	return dt == model.Float32 || dt == model.Int64 || dt == model.Int32 || dt == model.Bool
}

// allFloat reports whether every value a node reads or writes is float32.
func allFloat(g *model.Graph, n *model.Node) bool {
	for _, names := range [][]string{n.Inputs, n.Outputs} {
		for _, name := range names {
			if v := g.Values[name]; name != "" && v != nil && v.DType != model.Float32 {
				return false
			}
		}
	}
	return true
}

// typedReason refuses a value of a type the typed kernel lacks, and a bool
// operand of arithmetic.
func typedReason(g *model.Graph, n *model.Node, arith bool) string {
	for _, names := range [][]string{n.Inputs, n.Outputs} {
		for _, name := range names {
			v := g.Values[name]
			if name == "" || v == nil {
				continue
			}
			if !typedOK(v.DType) {
				return fmt.Sprintf("%s values have no CUDA plan (float32, int64, int32 and bool do)", v.DType)
			}
			if arith && v.DType == model.Bool {
				return "arithmetic on bool values has no CUDA plan"
			}
		}
	}
	return ""
}

// typedBinary launches infertop_binary_typed: y (shape so) = a (shape sa)
// op c (shape sc), broadcast, each of its graph value's type.
func (b *builder) typedBinary(node string, op int64, a, c, y string, sa, sc []int) error {
	args, err := b.args(a, c)
	if err != nil {
		return err
	}
	yr, ok := b.refs[y]
	if !ok {
		yr = b.out(y)
	}
	so := b.shape(y)
	if len(so) == 0 {
		so, sa, sc = []int{1}, []int{1}, []int{1}
	}
	n0, sa0, sc0, inner, err := broadcastAxes(sa, sc, so)
	if err != nil {
		return fmt.Errorf("node %s: %w", node, err)
	}
	dt := func(name string) model.DType { return b.g.Values[name].DType }
	types := typeCode(dt(a)) | typeCode(dt(c))<<2 | typeCode(dt(y))<<4
	per, ps, err := b.binaryGeometry(node, n0, sa0, sc0, inner)
	if err != nil {
		return err
	}
	ps = append([]Arg{args[0], args[1], ptr(yr), i64(types), i64(op)}, ps...)
	b.launch(node, KBinaryTyped, Dim3{X: blocks(per, Block), Y: clampInt(n0), Z: 1}, Dim3{X: Block, Y: 1, Z: 1}, ps...)
	return nil
}

// typedArith computes Add, Sub, Mul, Div or Pow with an operand that is
// not float32.
func typedArith(b *builder, n *model.Node) error {
	return b.typedBinary(n.Name, binaryCode(n.Op), n.Input(0), n.Input(1), n.Outputs[0], b.shape(n.Input(0)), b.shape(n.Input(1)))
}

func equalReason(g *model.Graph, n *model.Node) string {
	if r := typedReason(g, n, false); r != "" {
		return r
	}
	return binaryReason(g, n)
}

// emitEqual compares two values of one type, broadcast, into bools.
func emitEqual(b *builder, n *model.Node) error {
	return b.typedBinary(n.Name, binEqual, n.Input(0), n.Input(1), n.Outputs[0], b.shape(n.Input(0)), b.shape(n.Input(1)))
}

func whereReason(g *model.Graph, n *model.Node) string {
	if r := typedReason(g, n, false); r != "" {
		return r
	}
	out := shapeOf(g, output0(n))
	for _, pair := range [][2]string{{n.Input(2), n.Input(2)}, {n.Input(0), n.Input(1)}} {
		if _, _, _, _, err := broadcastAxes(shapeOf(g, pair[0]), shapeOf(g, pair[1]), out); err != nil {
			return err.Error() + " has no CUDA plan yet"
		}
	}
	return ""
}

// emitWhere fills the output with Y broadcast, then writes X where the
// condition holds.
func emitWhere(b *builder, n *model.Node) error {
	c, x, y, out := n.Input(0), n.Input(1), n.Input(2), n.Outputs[0]
	if err := b.typedBinary(n.Name, binCopy, y, y, out, b.shape(y), b.shape(y)); err != nil {
		return err
	}
	return b.typedBinary(n.Name, binWhere, c, x, out, b.shape(c), b.shape(x))
}

// castReason accepts a Cast between float32, int64, int32 and bool.
func castReason(g *model.Graph, n *model.Node) string {
	return typedReason(g, n, false)
}

// emitCast converts a value: a renaming between values of one dtype,
// infertop_cast_i64 from an integer to float32, the typed copy otherwise.
func emitCast(b *builder, n *model.Node) error {
	from, to := b.g.Values[n.Input(0)].DType, b.g.Values[n.Outputs[0]].DType
	switch {
	case from == to:
		return b.alias(n.Outputs[0], n.Input(0))
	case from.IsInt() && to == model.Float32:
		x, err := b.ref(n.Input(0))
		if err != nil {
			return err
		}
		count := b.elems(n.Input(0))
		y := b.out(n.Outputs[0])
		b.elementwise(n.Name, KCastI64, count, ptr(x), ptr(y), i64(count))
		return nil
	}
	s := b.shape(n.Input(0))
	return b.typedBinary(n.Name, binCopy, n.Input(0), n.Input(0), n.Outputs[0], s, s)
}

// emitDropout renames the input (inference Dropout is the identity) and,
// when its mask is read, fills the mask with true.
func emitDropout(b *builder, n *model.Node) error {
	if err := b.alias(n.Outputs[0], n.Input(0)); err != nil {
		return err
	}
	if len(n.Outputs) < 2 || !read(b.g, n.Outputs[1]) {
		return nil
	}
	s := b.shape(n.Input(0))
	return b.typedBinary(n.Name, binOne, n.Input(0), n.Input(0), n.Outputs[1], s, s)
}
