package cuda

import (
	"hash/maphash"
	"unsafe"
)

// weightKey identifies what a weight buffer holds, so that an executor keeps
// a constant on the device across Prepares: the constant's name, its size
// and a hash of its values. Compiling a model again for another batch makes
// new tensors of the constants a fusion computes (a transposed weight, a
// folded bias) with the same values, which find the uploaded copy by it.
type weightKey struct {
	name   string
	floats int64
	typ    Elem
	sum    uint64
	zeros  bool
}

// keyOf returns the key of weight buffer b; a buffer of zeros is keyed by
// its size alone. seed is the executor's own.
func keyOf(b Buffer, seed maphash.Seed) weightKey {
	k := weightKey{name: b.Name, floats: b.Floats, typ: b.Type}
	if b.Const == nil {
		k.zeros = true
		return k
	}
	if v := constInt64(b.Const); len(v) > 0 {
		k.sum = maphash.Bytes(seed, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v)))
	}
	if v := b.Const.F32; len(v) > 0 {
		k.sum = maphash.Bytes(seed, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	}
	return k
}
