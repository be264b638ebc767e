package cuda

import "math"

// Float32 to half-precision conversion, as infertop_to_half in
// kernels/kernels.cu converts activations on the device and as the engine
// converts weights once before it uploads them: rounded to nearest, ties to
// even (as __float2half_rn and __float2bfloat16_rn round), NaN kept a quiet
// NaN, values beyond the type's range ±infinity.

// toF16 converts f to IEEE half precision bits.
func toF16(f float32) uint16 {
	u := math.Float32bits(f)
	sign := uint16(u>>16) & 0x8000
	a := u & 0x7fffffff
	switch {
	case a > 0x7f800000: // NaN
		return sign | 0x7e00
	case a >= 0x477ff000: // 65520 and above round to infinity
		return sign | 0x7c00
	case a >= 0x38800000: // a normal half: rebias the exponent, round at bit 13
		m := a - 0x38000000
		m += 0xfff + (m>>13)&1
		return sign | uint16(m>>13)
	case a < 0x33000000: // at most half the smallest subnormal: zero
		return sign
	}
	// A subnormal half counts units of 2⁻²⁴.
	shift := 126 - a>>23
	mant := a&0x7fffff | 0x800000
	r, rem, halfway := mant>>shift, mant&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > halfway || rem == halfway && r&1 == 1 {
		r++
	}
	return sign | uint16(r)
}

// toBF16 converts f to bfloat16 bits: float32's upper half, rounded.
func toBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// fromF16 returns the float32 value of IEEE half precision bits h.
func fromF16(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp, mant := uint32(h>>10)&0x1f, uint32(h&0x3ff)
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0: // zero or subnormal: mant·2⁻²⁴, exact in float32
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// fromBF16 returns the float32 value of bfloat16 bits h.
func fromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// toHalf converts f to bits of half type t (ElemF16 or ElemBF16).
func toHalf(t Elem, f float32) uint16 {
	if t == ElemBF16 {
		return toBF16(f)
	}
	return toF16(f)
}

// fromHalf returns the float32 value of bits h of half type t.
func fromHalf(t Elem, h uint16) float32 {
	if t == ElemBF16 {
		return fromBF16(h)
	}
	return fromF16(h)
}

// halfBits converts v to half type t, as the weights are uploaded.
func halfBits(t Elem, v []float32) []uint16 {
	out := make([]uint16, len(v))
	for i, f := range v {
		out[i] = toHalf(t, f)
	}
	return out
}
