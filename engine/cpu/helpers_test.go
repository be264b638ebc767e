package cpu

import (
	"math"

	"gorgonia.org/gorgonia"
)

type gorgonia_Value = gorgonia.Value

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

func expf64(x float64) float64 { return math.Exp(x) }
