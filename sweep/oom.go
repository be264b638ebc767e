package sweep

import (
	"context"
	"errors"
	"fmt"

	"infertop/engine"
)

// Edge is the out-of-memory edge found by bisection.
type Edge struct {
	// Failed is the first batch that did not fit; Largest the largest that
	// fits (0 when not even batch 1 fits).
	Failed  int `json:"failed"`
	Largest int `json:"largest"`
	// Probes is how many fit checks the bisection took.
	Probes int `json:"probes"`
	// ByEstimate: the edge is the memory estimate against the limit.
	ByEstimate bool `json:"by_estimate"`
	// Error is the refusal of the first failing batch.
	Error string `json:"error"`
}

// outOfMemory bisects between the last good batch and failed for the largest
// batch that fits, then measures that batch (the runner reopens the executor
// there, so the program recovers) and stops.
func (s *state) outOfMemory(ctx context.Context, failed int, cause error) error {
	e := &Edge{Failed: failed, ByEstimate: s.cfg.EstimateEdge, Error: cause.Error()}
	s.res.Edge = e
	lo, hi := s.lastGood, failed
	if hi-lo > 1 {
		s.progress(fmt.Sprintf("batch %d does not fit (%v): bisecting between %d and %d for the largest that does", failed, cause, lo, hi))
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		err := s.p.Fits(ctx, mid)
		e.Probes++
		switch {
		case ctx.Err() != nil:
			e.Largest = lo
			s.stop(StopInterrupted, fmt.Sprintf("interrupted while searching the out-of-memory edge between %d and %d", lo, hi))
			return nil
		case errors.Is(err, engine.ErrOutOfMemory):
			hi = mid
			s.progress(fmt.Sprintf("  batch %d does not fit (%v); the edge is between %d and %d", mid, err, lo, hi))
		case err != nil:
			return fmt.Errorf("checking batch %d: %w", mid, err)
		default:
			lo = mid
			s.progress(fmt.Sprintf("  batch %d fits; the edge is between %d and %d", mid, lo, hi))
		}
	}
	e.Largest = lo
	text := fmt.Sprintf("batch %d does not fit; the largest batch that fits is %d", failed, lo)
	if lo == 0 {
		text = fmt.Sprintf("batch %d does not fit", failed)
	}
	if lo > s.lastGood {
		s.progress(fmt.Sprintf("measuring batch %d, the largest that fits", lo))
		pt, err := s.p.Measure(ctx, lo)
		switch {
		case ctx.Err() != nil:
			s.stop(StopInterrupted, fmt.Sprintf("interrupted while measuring batch %d", lo))
			return nil
		case errors.Is(err, engine.ErrOutOfMemory):
			// The check passed but the engine refused: the edge lies lower
			// than the check said; the last measured batch is what is known to fit.
			e.Largest = s.lastGood
			s.stop(StopOOM, fmt.Sprintf("batch %d does not fit; %d passed the fit check but the engine refused it (%v), so %d is the largest known to fit",
				failed, lo, err, s.lastGood))
			return nil
		case err != nil:
			return fmt.Errorf("measuring batch %d, the largest that fits: %w", lo, err)
		}
		pt.Batch = lo
		s.add(pt)
	}
	s.stop(StopOOM, text)
	return nil
}
