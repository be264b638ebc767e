package model

import (
	"strconv"
	"strings"
)

// Dim is one dimension of a shape: a fixed size, or a symbol.
type Dim struct {
	// Size is the dimension's size, or -1 while it is symbolic or unknown.
	Size int
	// Name is the symbol ("batch", "seq") of a symbolic dimension; empty for a
	// fixed size or an anonymous unknown one.
	Name string
}

// Fixed returns a dimension of a known size.
func Fixed(n int) Dim { return Dim{Size: n} }

// Sym returns a symbolic dimension.
func Sym(name string) Dim { return Dim{Size: -1, Name: name} }

// Known reports whether the size is fixed.
func (d Dim) Known() bool { return d.Size >= 0 }

// String is the size, the symbol, or "?".
func (d Dim) String() string {
	switch {
	case d.Size >= 0:
		return strconv.Itoa(d.Size)
	case d.Name != "":
		return d.Name
	}
	return "?"
}

// Shape is a value's shape, outermost dimension first. A nil Shape means the
// rank is unknown; an empty non-nil Shape is a scalar.
type Shape []Dim

// ShapeOf returns the fixed shape of the given sizes.
func ShapeOf(sizes ...int) Shape {
	s := make(Shape, len(sizes))
	for i, n := range sizes {
		s[i] = Fixed(n)
	}
	return s
}

// Known reports whether every dimension is fixed (and the rank known).
func (s Shape) Known() bool {
	if s == nil {
		return false
	}
	for _, d := range s {
		if !d.Known() {
			return false
		}
	}
	return true
}

// Ints returns the sizes; unknown dimensions read -1.
func (s Shape) Ints() []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = d.Size
	}
	return out
}

// Elems is the number of elements of a known shape (1 for a scalar), or -1.
func (s Shape) Elems() int {
	if !s.Known() {
		return -1
	}
	n := 1
	for _, d := range s {
		n *= d.Size
	}
	return n
}

// Clone returns a copy that shares nothing with s.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

// Equal reports whether two shapes have the same rank and the same dimensions.
func (s Shape) Equal(t Shape) bool {
	if (s == nil) != (t == nil) || len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// String reads like "[batch 3 224 224]", "[]" for a scalar and "[?...]" for an unknown rank.
func (s Shape) String() string {
	if s == nil {
		return "[?...]"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// NumElems is the product of sizes (1 for none).
func NumElems(sizes []int) int {
	n := 1
	for _, v := range sizes {
		n *= v
	}
	return n
}
