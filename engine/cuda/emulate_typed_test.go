package cuda

import (
	"math"
)

// typedWord reads value i of an operand of typed-kernel type t (0 float32,
// else int64 words) as a float64 and as an int64.
func typedWord(x []float32, i int64, t int64) (float64, int64) {
	if t == 0 {
		return float64(x[i]), int64(x[i])
	}
	v := int64At(x, i)
	return float64(v), v
}

// typedOp is infertop_binary_typed.
//
//go:norace
func typedOp(a kernelArgs) {
	x, z, y := a.ptr(0), a.ptr(1), a.ptr(2)
	types, op := a.int(3), a.int(4)
	ta, tb, ty := types&3, types>>2&3, types>>4&3
	ints := ta != 0 && tb != 0
	walkBinary(a, 5, func(at, ia, ib int64) {
		uf, ui := typedWord(x, ia, ta)
		vf, vi := typedWord(z, ib, tb)
		var f float64
		var r int64
		isf := !ints
		switch op {
		case binCopy:
			isf, f, r = ta == 0, uf, ui
		case binEqual:
			isf = false
			if ints && ui == vi || !ints && uf == vf {
				r = 1
			}
		case binWhere:
			if ui == 0 {
				return
			}
			isf, f, r = tb == 0, vf, vi
		case binOne:
			isf, r = false, 1
		default:
			if ints {
				r = typedInt(op, ui, vi)
			} else {
				f = typedFloat(op, uf, vf)
			}
		}
		if ty == 0 {
			if isf {
				y[at] = float32(f)
			} else {
				y[at] = float32(r)
			}
			return
		}
		v := r
		if isf {
			v = int64(f)
			if ty == 2 && f != 0 {
				v = 1
			}
		}
		switch ty {
		case 2:
			if v != 0 {
				v = 1
			}
		case 3:
			v = int64(int32(v))
		}
		y[2*at] = math.Float32frombits(uint32(uint64(v)))
		y[2*at+1] = math.Float32frombits(uint32(uint64(v) >> 32))
	})
}

// typedInt is an arithmetic op of two integers as the typed kernel
// computes it.
func typedInt(op, u, v int64) int64 {
	switch op {
	case binSub:
		return u - v
	case binMul:
		return u * v
	case binDiv:
		if v == 0 {
			return 0
		}
		return u / v
	case binPow:
		if v < 0 {
			return int64(math.Pow(float64(u), float64(v)))
		}
		p := int64(1)
		for m, k := u, v; k > 0; k, m = k>>1, m*m {
			if k&1 == 1 {
				p *= m
			}
		}
		return p
	}
	return u + v
}

// typedFloat is an arithmetic op computed in double, as the typed kernel
// does when an operand is float32.
func typedFloat(op int64, u, v float64) float64 {
	switch op {
	case binSub:
		return u - v
	case binMul:
		return u * v
	case binDiv:
		return u / v
	case binPow:
		return math.Pow(u, v)
	}
	return u + v
}
