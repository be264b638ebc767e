package engine

import (
	"encoding/json"
	"fmt"
)

// MarshalText writes the precision's short name (fp32, tf32, fp16, bf16),
// so that JSON carries "precision": "fp16" rather than a number.
func (p Precision) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalJSON reads a name as ParsePrecision reads it; an empty name is
// FP32, so that records written before precisions existed read as float32,
// and a number (as the first builds with precisions wrote them) is read as
// the precision it counts.
func (p *Precision) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		var n int
		if json.Unmarshal(b, &n) != nil || n < int(FP32) || n > int(BF16) {
			return fmt.Errorf("precision %s is not one of %s", b, PrecisionNames)
		}
		*p = Precision(n)
		return nil
	}
	if name == "" {
		*p = FP32
		return nil
	}
	v, err := ParsePrecision(name)
	if err != nil {
		return err
	}
	*p = v
	return nil
}
