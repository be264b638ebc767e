package onnx

import (
	"fmt"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// nodeAttrs converts a node's attributes. Beside them it returns why the
// node cannot be computed whatever its op ("" when nothing says so): an
// attribute holding a subgraph, a list of tensors, a sparse tensor, a type,
// or a tensor of a dtype that cannot be computed. Subgraphs are kept as
// model.AttrGraph; the other kinds, which model.Attrs cannot hold, are left out.
func (l *loader) nodeAttrs(np *onnxpb.NodeProto, node string) (model.Attrs, string, error) {
	if len(np.GetAttribute()) == 0 {
		return nil, "", nil
	}
	attrs := make(model.Attrs, len(np.GetAttribute()))
	refused := ""
	refuse := func(format string, a ...any) {
		if refused == "" {
			refused = fmt.Sprintf(format, a...)
		}
	}
	for _, ap := range np.GetAttribute() {
		name := ap.GetName()
		if name == "" {
			return nil, "", fmt.Errorf("node %q has an attribute without a name", node)
		}
		if _, ok := attrs[name]; ok {
			return nil, "", fmt.Errorf("node %q has attribute %q twice", node, name)
		}
		if ap.GetRefAttrName() != "" {
			refuse("attribute %q refers to a function's attribute", name)
			continue
		}
		switch ap.GetType() {
		case onnxpb.AttributeProto_FLOAT:
			attrs[name] = model.FloatAttr(ap.GetF())
		case onnxpb.AttributeProto_INT:
			attrs[name] = model.IntAttr(ap.GetI())
		case onnxpb.AttributeProto_STRING:
			attrs[name] = model.StringAttr(string(ap.GetS()))
		case onnxpb.AttributeProto_FLOATS:
			attrs[name] = model.FloatsAttr(ap.GetFloats()...)
		case onnxpb.AttributeProto_INTS:
			attrs[name] = model.IntsAttr(ap.GetInts()...)
		case onnxpb.AttributeProto_STRINGS:
			strs := make([]string, len(ap.GetStrings()))
			for i, s := range ap.GetStrings() {
				strs[i] = string(s)
			}
			attrs[name] = model.Attr{Kind: model.AttrStrings, Strs: strs}
		case onnxpb.AttributeProto_TENSOR:
			t, err := l.tensor(ap.GetT(), fmt.Sprintf("attribute %q of node %q", name, node))
			if err != nil {
				return nil, "", err
			}
			if !t.DType.Computable() {
				refuse("attribute %q holds a %s tensor", name, t.DType)
			}
			attrs[name] = model.Attr{Kind: model.AttrTensor, Tensor: t}
		case onnxpb.AttributeProto_GRAPH, onnxpb.AttributeProto_GRAPHS:
			attrs[name] = model.Attr{Kind: model.AttrGraph} // model.CheckSupported lists the node
		case onnxpb.AttributeProto_TENSORS:
			refuse("attribute %q holds a list of tensors", name)
		case onnxpb.AttributeProto_SPARSE_TENSOR, onnxpb.AttributeProto_SPARSE_TENSORS:
			refuse("attribute %q holds a sparse tensor", name)
		case onnxpb.AttributeProto_TYPE_PROTO, onnxpb.AttributeProto_TYPE_PROTOS:
			refuse("attribute %q holds a type", name)
		case onnxpb.AttributeProto_UNDEFINED:
			return nil, "", fmt.Errorf("node %q has attribute %q without a type", node, name)
		default:
			return nil, "", fmt.Errorf("node %q has attribute %q of type %d, which ONNX does not define", node, name, int32(ap.GetType()))
		}
	}
	return attrs, refused, nil
}

// constantForms lists the attributes a Constant node may hold its value in.
const constantForms = "value, value_float, value_floats, value_int, value_ints, value_string, value_strings"

// constantValue is the tensor a Constant node holds in its one attribute.
func constantValue(np *onnxpb.NodeProto, node string, attrs model.Attrs) (*model.Tensor, error) {
	if n := len(np.GetAttribute()); n != 1 {
		return nil, fmt.Errorf("Constant node %q has %d attributes (accepted: exactly one of %s)", node, n, constantForms)
	}
	name := np.GetAttribute()[0].GetName()
	a, ok := attrs[name]
	kind := func(k model.AttrKind) error {
		if !ok || a.Kind != k {
			return fmt.Errorf("Constant node %q: attribute %q is not of type %s", node, name, k)
		}
		return nil
	}
	switch name {
	case "value":
		return a.Tensor, kind(model.AttrTensor)
	case "value_float":
		return model.Floats([]int{}, []float32{a.Float}), kind(model.AttrFloat)
	case "value_floats":
		return model.Floats([]int{len(a.Floats)}, a.Floats), kind(model.AttrFloats)
	case "value_int":
		return model.Ints([]int{}, []int64{a.Int}), kind(model.AttrInt)
	case "value_ints":
		return model.Ints([]int{len(a.Ints)}, a.Ints), kind(model.AttrInts)
	case "value_string":
		return &model.Tensor{DType: model.String, Shape: []int{}}, kind(model.AttrString)
	case "value_strings":
		return &model.Tensor{DType: model.String, Shape: []int{len(a.Strs)}}, kind(model.AttrStrings)
	}
	return nil, fmt.Errorf("Constant node %q holds its value in attribute %q (accepted: %s)", node, name, constantForms)
}
