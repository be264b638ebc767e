package sweep

import (
	"fmt"
	"math"

	"infertop/internal/units"
)

// Fit is the memory model memory = A + B·batch, fitted by least squares over
// the measured points' engine bytes, or their memory estimates (Of).
type Fit struct {
	// Of says what was fitted: OfEngine (the engine's own bytes) or
	// OfEstimate (the memory estimate the CPU's edge is judged by).
	Of string `json:"of"`
	// A is the fixed part (weights, workspace) and B the bytes per sample.
	A float64 `json:"a_bytes"`
	B float64 `json:"b_bytes_per_sample"`
	// Points is how many measurements the fit used.
	Points int `json:"points"`
	// Limit is the memory the engine may use (0 when unknown); PredictedOOM is
	// the first batch the fit says does not fit under it (0 when unknown).
	Limit        int64 `json:"limit_bytes"`
	PredictedOOM int   `json:"predicted_oom_batch"`
	// FromEdge says PredictedOOM is the first batch the bisection found not
	// to fit, rather than the fit's extrapolation.
	FromEdge bool `json:"predicted_from_edge,omitempty"`
}

// What a Fit fits.
const (
	OfEngine   = "engine memory"
	OfEstimate = "memory estimate"
)

// At is the fitted memory at batch.
func (f Fit) At(batch int) float64 { return f.A + f.B*float64(batch) }

// String reads like "memory ≈ 12.3 MiB + 25.1 KiB × batch", or "memory
// estimate ≈ …" for a fit of the estimates.
func (f Fit) String() string {
	what := "memory"
	if f.Of == OfEstimate {
		what = OfEstimate
	}
	return fmt.Sprintf("%s ≈ %s + %s × batch", what, units.FractionalBytes(f.A), units.FractionalBytes(f.B))
}

// FitMemory fits memory = a + b·batch over the points with a known engine
// size; nil when fewer than two distinct batch sizes have one. With limit > 0
// it predicts the first batch that does not fit: the smallest b with a + b·B > limit.
func FitMemory(pts []Point, limit int64) *Fit { return FitMemoryOf(pts, limit, OfEngine) }

// FitMemoryOf is FitMemory over what of names: the engine's bytes
// (OfEngine) or the memory estimates (OfEstimate).
func FitMemoryOf(pts []Point, limit int64, of string) *Fit {
	bytes := func(p Point) int64 {
		if of == OfEstimate {
			return p.EstimateBytes
		}
		return p.EngineBytes
	}
	var n, sx, sy float64
	for _, p := range pts {
		if bytes(p) > 0 {
			n++
			sx += float64(p.Batch)
			sy += float64(bytes(p))
		}
	}
	if n < 2 {
		return nil
	}
	mx, my := sx/n, sy/n
	var sxx, sxy float64
	for _, p := range pts {
		if bytes(p) > 0 {
			dx := float64(p.Batch) - mx
			sxx += dx * dx
			sxy += dx * (float64(bytes(p)) - my)
		}
	}
	if sxx == 0 {
		return nil
	}
	f := &Fit{Of: of, B: sxy / sxx, Points: int(n), Limit: limit}
	f.A = my - f.B*mx
	if limit > 0 && f.B > 0 {
		// The largest batch within the limit is floor((limit − A)/B); one more does not fit.
		largest := math.Floor((float64(limit) - f.A) / f.B)
		f.PredictedOOM = int(math.Max(largest, 0)) + 1
	}
	return f
}
