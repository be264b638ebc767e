package engine

// MarshalText writes the precision's short name (fp32, tf32, fp16, bf16),
// so that JSON carries "precision": "fp16" rather than a number.
func (p Precision) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads what ParsePrecision reads; an empty text is FP32, so
// that records written before precisions existed read as float32.
func (p *Precision) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = FP32
		return nil
	}
	v, err := ParsePrecision(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
