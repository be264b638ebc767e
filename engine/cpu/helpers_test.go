package cpu

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/gorgonia"
)

type gorgonia_Value = gorgonia.Value

// randF is n values uniform in [−scale, scale).
func randF(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = scale * (2*r.Float32() - 1)
	}
	return s
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

func expf64(x float64) float64 { return math.Exp(x) }
