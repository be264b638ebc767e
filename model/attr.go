package model

import "fmt"

// AttrKind is the type of an attribute's value.
type AttrKind uint8

// Attribute types, as ONNX's AttributeProto has them.
const (
	AttrInt AttrKind = iota + 1
	AttrFloat
	AttrString
	AttrInts
	AttrFloats
	AttrStrings
	AttrTensor
	// AttrGraph is a subgraph (If, Loop, Scan); no op this package computes takes one.
	AttrGraph
)

var attrKindNames = map[AttrKind]string{AttrInt: "int", AttrFloat: "float", AttrString: "string",
	AttrInts: "ints", AttrFloats: "floats", AttrStrings: "strings", AttrTensor: "tensor", AttrGraph: "graph"}

// String names the kind.
func (k AttrKind) String() string {
	if s, ok := attrKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("attr(%d)", int(k))
}

// Attr is one attribute value; the field named by Kind holds it.
type Attr struct {
	Kind   AttrKind
	Int    int64
	Float  float32
	Str    string
	Ints   []int64
	Floats []float32
	Strs   []string
	Tensor *Tensor
}

// IntAttr, FloatAttr, StringAttr, IntsAttr and FloatsAttr make attributes.
func IntAttr(v int64) Attr { return Attr{Kind: AttrInt, Int: v} }

// FloatAttr makes a float attribute.
func FloatAttr(v float32) Attr { return Attr{Kind: AttrFloat, Float: v} }

// StringAttr makes a string attribute.
func StringAttr(v string) Attr { return Attr{Kind: AttrString, Str: v} }

// IntsAttr makes an ints attribute.
func IntsAttr(v ...int64) Attr { return Attr{Kind: AttrInts, Ints: v} }

// FloatsAttr makes a floats attribute.
func FloatsAttr(v ...float32) Attr { return Attr{Kind: AttrFloats, Floats: v} }

// Attrs are a node's attributes by name.
type Attrs map[string]Attr

// Has reports whether the attribute is set.
func (a Attrs) Has(name string) bool { _, ok := a[name]; return ok }

// Int returns an int attribute, or def when it is not set.
func (a Attrs) Int(name string, def int64) int64 {
	if v, ok := a[name]; ok && v.Kind == AttrInt {
		return v.Int
	}
	return def
}

// Float returns a float attribute, or def when it is not set.
func (a Attrs) Float(name string, def float32) float32 {
	if v, ok := a[name]; ok && v.Kind == AttrFloat {
		return v.Float
	}
	return def
}

// String returns a string attribute, or def when it is not set.
func (a Attrs) String(name, def string) string {
	if v, ok := a[name]; ok && v.Kind == AttrString {
		return v.Str
	}
	return def
}

// Ints returns an ints attribute and whether it is set.
func (a Attrs) Ints(name string) ([]int64, bool) {
	v, ok := a[name]
	if !ok || v.Kind != AttrInts {
		return nil, false
	}
	return v.Ints, true
}

// Floats returns a floats attribute and whether it is set.
func (a Attrs) Floats(name string) ([]float32, bool) {
	v, ok := a[name]
	if !ok || v.Kind != AttrFloats {
		return nil, false
	}
	return v.Floats, true
}

// Tensor returns a tensor attribute, or nil.
func (a Attrs) Tensor(name string) *Tensor {
	if v, ok := a[name]; ok && v.Kind == AttrTensor {
		return v.Tensor
	}
	return nil
}

// Clone copies the map (attribute values are shared: they are never changed in place).
func (a Attrs) Clone() Attrs {
	if a == nil {
		return nil
	}
	out := make(Attrs, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}
