package engine

import (
	"fmt"
	"strings"
)

// Precision is the number type an engine's matrix products and convolutions
// take their operands in. Sums are float32 in every precision, and the work
// between products (norms, softmax, activations, residual sums) is float32.
type Precision int

// The precisions. The zero value is full float32.
const (
	// FP32 multiplies float32 operands with float32 sums.
	FP32 Precision = iota
	// TF32 lets tensor cores round float32 operands to 10-bit mantissas
	// (PyTorch's allow_tf32), float32 sums; Ampere and later.
	TF32
	// FP16 converts operands to IEEE half precision (10-bit mantissa, 5-bit
	// exponent: largest 65504), float32 sums, on tensor cores.
	FP16
	// BF16 converts operands to bfloat16 (7-bit mantissa, float32's 8-bit
	// exponent), float32 sums, on tensor cores; Ampere and later.
	BF16
)

// PrecisionNames is the accepted spellings, for usage messages.
const PrecisionNames = "fp32|tf32|fp16|bf16"

// String is the precision's short name: fp32, tf32, fp16 or bf16.
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case TF32:
		return "tf32"
	case FP16:
		return "fp16"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("precision(%d)", int(p))
}

// ParsePrecision reads fp32, tf32, fp16 or bf16 (any case; float32,
// float16, half and bfloat16 too).
func ParsePrecision(s string) (Precision, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fp32", "float32", "f32":
		return FP32, nil
	case "tf32":
		return TF32, nil
	case "fp16", "float16", "half", "f16":
		return FP16, nil
	case "bf16", "bfloat16":
		return BF16, nil
	}
	return FP32, fmt.Errorf("precision %q is not one of %s", s, PrecisionNames)
}

// Reduced says the precision rounds products' operands below float32.
func (p Precision) Reduced() bool { return p != FP32 }

// Half says the precision stores operands in 16 bits (FP16 or BF16).
func (p Precision) Half() bool { return p == FP16 || p == BF16 }

// Tolerance is the relative error (max|got − want| / max|want| over a
// batch's outputs, reference.RelErr) a network computed in this precision
// is expected to stay within against the float32 CPU engine: float32 1e-3 (different summation orders
// compounding over a network's layers), TF32 and FP16 1e-2 (each operand
// rounded to an 11-bit significand, unit roundoff 2⁻¹¹ ≈ 4.9e-4, compounding
// over the layers), BF16 5e-2 (8-bit significand, unit roundoff 2⁻⁸ ≈ 3.9e-3).
// A wrong kernel is off by far more.
func (p Precision) Tolerance() float64 {
	switch p {
	case TF32, FP16:
		return 1e-2
	case BF16:
		return 5e-2
	}
	return 1e-3
}
