package cuda

import "infertop/model"

// sameSlice reports whether a and b are the same memory: same first element
// and same length. The executor uses it to skip the host copy when Run is
// given its own page-locked buffers (engine.HostBuffers).
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// stageIn copies samples [off, off+share) of a batch of batch from caller
// tensor t into staging tensor dst: float32 into float32, integers into
// int64, bools into int64 0 or 1. Nothing is copied when t's values are
// the staging itself.
func stageIn(dst, t *model.Tensor, off, share, batch int) {
	switch {
	case t.DType == model.Float32:
		per := len(t.F32) / batch
		if src := t.F32[off*per : (off+share)*per]; !sameSlice(src, dst.F32) {
			copy(dst.F32, src)
		}
	case t.DType == model.Bool:
		per := len(t.Bool) / batch
		for i, v := range t.Bool[off*per : (off+share)*per] {
			dst.I64[i] = 0
			if v {
				dst.I64[i] = 1
			}
		}
	default:
		per := len(t.I64) / batch
		if src := t.I64[off*per : (off+share)*per]; !sameSlice(src, dst.I64) {
			copy(dst.I64, src)
		}
	}
}

// unstageOut copies staging tensor src into samples [off, off+share) of
// caller tensor t, the inverse of stageIn.
func unstageOut(t, src *model.Tensor, off, share, batch int) {
	switch {
	case t.DType == model.Float32:
		per := len(t.F32) / batch
		if dst := t.F32[off*per : (off+share)*per]; !sameSlice(dst, src.F32) {
			copy(dst, src.F32)
		}
	case t.DType == model.Bool:
		per := len(t.Bool) / batch
		for i := range t.Bool[off*per : (off+share)*per] {
			t.Bool[off*per+i] = src.I64[i] != 0
		}
	default:
		per := len(t.I64) / batch
		if dst := t.I64[off*per : (off+share)*per]; !sameSlice(dst, src.I64) {
			copy(dst, src.I64)
		}
	}
}

// stagedAsIs reports whether every tensor of l is staged in its own dtype
// (no bool, which the staging holds as int64): only then can the caller
// fill the staging itself (engine.HostBuffers).
func stagedAsIs(l []IO) bool {
	for _, io := range l {
		if io.DType() == model.Bool {
			return false
		}
	}
	return true
}
