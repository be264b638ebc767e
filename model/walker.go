package model

import (
	"fmt"
	"slices"
)

// MaxRank is the highest rank the reference kernels compute.
const MaxRank = 8

// walker visits the elements of a shape in row-major order and keeps, for up
// to three operands, the offset of the matching element. An operand's stride
// along a dimension may be 0 (it is broadcast along it) or negative (Slice
// with a negative step). Its arrays are fixed-size, so a walker on the stack
// costs no allocation.
type walker struct {
	rank int
	dims [MaxRank]int
	str  [3][MaxRank]int
	base [3]int
	idx  [MaxRank]int
	off  [3]int
}

// reset goes back to the first element.
func (w *walker) reset() {
	w.idx = [MaxRank]int{}
	w.off = w.base
}

// next steps to the following element.
func (w *walker) next() {
	for d := w.rank - 1; d >= 0; d-- {
		w.idx[d]++
		w.off[0] += w.str[0][d]
		w.off[1] += w.str[1][d]
		w.off[2] += w.str[2][d]
		if w.idx[d] < w.dims[d] {
			return
		}
		n := w.dims[d]
		w.off[0] -= w.str[0][d] * n
		w.off[1] -= w.str[1][d] * n
		w.off[2] -= w.str[2][d] * n
		w.idx[d] = 0
	}
}

// setDims starts a walk over dims with every stride 0.
func (w *walker) setDims(dims []int) error {
	if len(dims) > MaxRank {
		return fmt.Errorf("rank %d is above %d, the most the kernels compute", len(dims), MaxRank)
	}
	*w = walker{rank: len(dims)}
	copy(w.dims[:], dims)
	return nil
}

// broadcast starts a walk over out, where each operand of shapes (nil for an
// absent one) is broadcast to out numpy-style: aligned on the right, its
// dimensions of size 1 repeated.
func (w *walker) broadcast(out []int, a, b, c []int) error {
	if err := w.setDims(out); err != nil {
		return err
	}
	for k, s := range [3][]int{a, b, c} {
		if len(s) > len(out) {
			return errBroadcast(s, out)
		}
		st := 1
		for i := len(s) - 1; i >= 0; i-- {
			d := i + len(out) - len(s)
			switch {
			case s[i] == out[d]:
				if s[i] != 1 {
					w.str[k][d] = st
				}
			case s[i] == 1:
			default:
				return errBroadcast(s, out)
			}
			st *= s[i]
		}
	}
	w.reset()
	return nil
}

// errBroadcast says that shape s does not broadcast to out. It copies both,
// so that the shapes a walk is set up with stay on the caller's stack.
func errBroadcast(s, out []int) error {
	return fmt.Errorf("shape %v does not broadcast to %v", slices.Clone(s), slices.Clone(out))
}

// stridesOf writes the row-major strides of dims into st.
func stridesOf(dims []int, st *[MaxRank]int) {
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		st[i] = s
		s *= dims[i]
	}
}

// walkMap2 sets o[i] = f(a, b) over a broadcast walk.
func walkMap2[A, B, O any](w *walker, a []A, b []B, o []O, f func(A, B) O) {
	w.reset()
	for i := range o {
		o[i] = f(a[w.off[0]], b[w.off[1]])
		w.next()
	}
}

// walkCopy sets dst[i] to the element of src the walk points at.
func walkCopy[T any](w *walker, src, dst []T) {
	w.reset()
	for i := range dst {
		dst[i] = src[w.off[0]]
		w.next()
	}
}

// walkCopyTensor copies along a walk whichever slice the dtype uses.
func walkCopyTensor(w *walker, src, dst *Tensor) {
	switch {
	case dst.DType == Float32:
		walkCopy(w, src.F32, dst.F32)
	case dst.DType == Bool:
		walkCopy(w, src.Bool, dst.Bool)
	default:
		walkCopy(w, src.I64, dst.I64)
	}
}

// copyElems copies n elements from src at so to dst at do, whatever the dtype.
func copyElems(dst *Tensor, do int, src *Tensor, so, n int) {
	switch {
	case dst.DType == Float32:
		copy(dst.F32[do:do+n], src.F32[so:so+n])
	case dst.DType == Bool:
		copy(dst.Bool[do:do+n], src.Bool[so:so+n])
	default:
		copy(dst.I64[do:do+n], src.I64[so:so+n])
	}
}

// copyAll copies src's elements into dst (same dtype and count).
func copyAll(dst, src *Tensor) error {
	if dst.Len() != src.Len() || dst.DType != src.DType {
		return fmt.Errorf("cannot copy %s %v into %s %v", src.DType, src.Shape, dst.DType, dst.Shape)
	}
	copyElems(dst, 0, src, 0, src.Len())
	return nil
}

// wrapInt32 narrows an int32 tensor's elements to int32's range, as int32 arithmetic would.
func wrapInt32(t *Tensor) {
	if t.DType != Int32 {
		return
	}
	for i, v := range t.I64 {
		t.I64[i] = int64(int32(v))
	}
}

// prod is the product of dims[lo:hi].
func prod(dims []int, lo, hi int) int {
	n := 1
	for _, d := range dims[lo:hi] {
		n *= d
	}
	return n
}
