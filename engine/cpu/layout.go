package cpu

import "fmt"

// Convolution, pooling and their residual adds work in NHWC (a pixel's
// channels, and so im2col's rows, are contiguous); the other layers in the
// preset's own NCHW layout. These steps move a tensor between the two.

// toNHWC stores a [C, H, W] tensor as NHWC (a view when C is 1).
func (b *builder) toNHWC(v val, name string) (val, error) {
	if v.nhwc {
		return v, nil
	}
	if len(v.shape) != 3 {
		return val{}, fmt.Errorf("cpu engine: %s needs [C H W], got %v", name, v.shape)
	}
	out := b.physical(v.shape, true)
	if v.shape[0] == 1 {
		return b.apply(&reshapeOp{opBase{kind: "reshape", name: name + ".nhwc", inDims: dims(v.n), out: out}}, name+".nhwc", v.shape, true, v.n)
	}
	op := &transposeOp{rowsOp: rowsOp{opBase: opBase{kind: "to_nhwc", name: name + ".nhwc", inDims: dims(v.n), out: out}, c: b.c},
		a: v.shape[0], b: v.shape[1] * v.shape[2]}
	op.setRows(b.batch, prod(v.shape))
	return b.apply(op, name+".nhwc", v.shape, true, v.n)
}

// toNCHW stores v in the preset's own layout; shape (nil: v's) is the node's per-sample shape.
func (b *builder) toNCHW(v val, name string, shape []int) (val, error) {
	if shape == nil {
		shape = v.shape
	}
	out := b.physical(shape, false)
	if !v.nhwc {
		if sameInts(shape, v.shape) {
			return v, nil
		}
		return b.apply(&reshapeOp{opBase{kind: "reshape", name: name, inDims: dims(v.n), out: out}}, name, shape, false, v.n)
	}
	if v.shape[0] == 1 {
		return b.apply(&reshapeOp{opBase{kind: "reshape", name: name, inDims: dims(v.n), out: out}}, name, shape, false, v.n)
	}
	op := &transposeOp{rowsOp: rowsOp{opBase: opBase{kind: "to_nchw", name: name, inDims: dims(v.n), out: out}, c: b.c},
		a: v.shape[1] * v.shape[2], b: v.shape[0]}
	op.setRows(b.batch, prod(v.shape))
	return b.apply(op, name, shape, false, v.n)
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
