package model

import "fmt"

// The ops of this package as opsets 1 to 6 wrote them. Most computed then
// what they compute now; where an old version differs, it is read here, or
// refused where it computes what the engines do not:
//
//   - Add, Sub, Mul, Div, Pow and Equal broadcast only with broadcast=1, B to
//     A's shape, aligned on the right or at an axis; numpy's broadcasting
//     (opset 7) computes the same whenever the shapes are equal, or B aligns
//     on the right and A keeps its shape. Anything else is refused.
//   - Gemm with broadcast=0 takes C of exactly [M, N].
//   - BatchNormalization and Dropout compute the training form unless is_test=1.
//   - Cast names its target dtype ("FLOAT") before opset 6.
//   - Concat's axis defaults to 1 before opset 4.
//   - Reshape takes its shape as an attribute before opset 5.
//   - Split may take its sizes as a second input at opset 1.
//
// The consumed_inputs attribute of opset 1 (an in-place hint) changes no
// result and is ignored.

// legacyBroadcast checks a binary op's shapes before opset 7: they must be
// those numpy's broadcasting computes as the op did then.
func legacyBroadcast(c *inferCtx) error {
	a, b := c.shape(0), c.shape(1)
	if c.n.Attrs.Int("broadcast", 0) == 0 {
		if !a.Equal(b) {
			return c.errf("before opset 7 its inputs must have one shape unless broadcast=1; %q %v and %q %v differ",
				c.name(0), a, c.name(1), b)
		}
		return nil
	}
	if c.n.Attrs.Has("axis") {
		axis := c.n.Attrs.Int("axis", 0)
		if axis < 0 {
			axis += int64(len(a))
		}
		if want := int64(len(a) - len(b)); axis != want {
			return c.errf("broadcast=1 with axis=%d aligns %q %v at axis %d of %q %v; only the right alignment (axis=%d) is computed",
				c.n.Attrs.Int("axis", 0), c.name(1), b, axis, c.name(0), a, want)
		}
	}
	if out, err := broadcastShapes(a, b); err != nil || !out.Equal(a) {
		return c.errf("before opset 7 broadcast=1 broadcasts %q %v to the shape of %q %v, which it does not fit",
			c.name(1), b, c.name(0), a)
	}
	return nil
}

// legacyTraining says why a BatchNormalization or Dropout before opset 7
// computes its training form (is_test=0, the default), or "".
func legacyTraining(n *Node, opset int) string {
	if opset >= 7 || (n.Op != "BatchNormalization" && n.Op != "Dropout") {
		return ""
	}
	if n.Attrs.Int("is_test", 0) == 0 {
		return "is_test=0 (training mode; before opset 7 inference needs is_test=1)"
	}
	return ""
}

// onnxTypeNames are TensorProto.DataType's names, which Cast's `to` held
// before opset 6.
var onnxTypeNames = map[string]DType{
	"UNDEFINED": Undefined, "FLOAT": Float32, "UINT8": Uint8, "INT8": Int8, "UINT16": Uint16, "INT16": Int16,
	"INT32": Int32, "INT64": Int64, "STRING": String, "BOOL": Bool, "FLOAT16": Float16, "DOUBLE": Float64,
	"UINT32": Uint32, "UINT64": Uint64, "COMPLEX64": Complex64, "COMPLEX128": Complex128, "BFLOAT16": BFloat16,
}

// castTo reads Cast's target dtype: TensorProto's number (from opset 6) or
// its name (before); false when the attribute is absent or names no dtype.
func castTo(n *Node) (DType, bool) {
	a, ok := n.Attrs["to"]
	switch {
	case !ok:
		return Undefined, false
	case a.Kind == AttrInt:
		return DType(a.Int), true
	case a.Kind == AttrString:
		dt, ok := onnxTypeNames[a.Str]
		return dt, ok
	}
	return Undefined, false
}

// concatAxis reads Concat's axis of a rank-r shape, normalized: required
// from opset 4, 1 when absent before.
func concatAxis(n *Node, opset, r int) (int, error) {
	if !n.Attrs.Has("axis") {
		if opset >= 4 {
			return 0, fmt.Errorf("has no axis")
		}
		return normAxis(1, r)
	}
	return attrAxis(n, 0, r)
}

// LegacyForms writes what opsets before 6 left implicit or named otherwise
// in the form later opsets use, so that engines read one form: Cast's `to`
// as TensorProto's number rather than its name, and Concat's axis (1 when
// absent before opset 4). Nodes are given new attribute maps, as nodes may share one.
var LegacyForms = Pass{
	Name: "legacy-forms",
	Doc:  "Cast's dtype name → its number, Concat's default axis → explicit (opsets before 6)",
	Run:  legacyForms,
}

func legacyForms(g *Graph) (int, error) {
	count := 0
	for _, n := range g.Nodes {
		var key string
		var v Attr
		switch {
		case n.Op == "Cast" && n.Attrs["to"].Kind == AttrString:
			to, ok := castTo(n)
			if !ok {
				return count, errNode(n, "its attribute to names no dtype (accepted: TensorProto's numbers, or their names as FLOAT, INT64)")
			}
			key, v = "to", IntAttr(int64(to))
		case n.Op == "Concat" && !n.Attrs.Has("axis") && EffectiveOpset(g.Opset) < 4:
			key, v = "axis", IntAttr(1)
		default:
			continue
		}
		attrs := n.Attrs.Clone()
		if attrs == nil {
			attrs = Attrs{}
		}
		attrs[key] = v
		n.Attrs = attrs
		count++
	}
	return count, nil
}
