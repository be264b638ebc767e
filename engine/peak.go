package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Peak says how a device's sgemm peak (Info.PeakGFLOPS, the figure every
// "% of peak" divides by) was taken and how far to trust it. An engine
// measures the peak as the best of Runs timed rounds of square products;
// it caches the figure only when the rounds agree (Spread at most
// PeakSpreadLimit), the process had its threads' time to itself (Busy at
// least PeakBusyLimit) and it did not ask for more threads than the
// machine has CPUs.
type Peak struct {
	// Runs is how many timed rounds the figure is the best of (0: unknown,
	// a figure cached by a version that measured once).
	Runs int `json:"runs,omitempty"`
	// Spread is how far the rounds' median lies below the best,
	// (best − median) / best: how reproducible the best is.
	Spread float64 `json:"spread,omitempty"`
	// Busy is the share of its threads' time the process got while it
	// measured, CPU time / (wall time × threads) (CPU engines; 0 when not
	// measured, as on a GPU).
	Busy float64 `json:"busy,omitempty"`
	// Cached says the figure was read from the peak cache rather than
	// measured by this process; Measured is when it was measured.
	Cached   bool      `json:"cached,omitempty"`
	Measured time.Time `json:"measured,omitzero"`
	// NotCached says why a figure this process measured was kept out of
	// the cache ("" when it was cached, or came from the cache).
	NotCached string `json:"not_cached,omitempty"`
	// Replaced says why a cached figure was not used and the peak was
	// measured again ("" when there was none, or it was used).
	Replaced string `json:"replaced,omitempty"`
}

// Limits of a peak worth caching.
const (
	// PeakSpreadLimit is the largest Spread a cached peak may have: the
	// rounds' median within 10 % of the best.
	PeakSpreadLimit = 0.10
	// PeakBusyLimit is the least Busy a cached CPU peak may have: its
	// threads got 85 % of their time, not another process.
	PeakBusyLimit = 0.85
)

// Trusted reports whether the figure is one to cache, and if not, why: a
// spread above PeakSpreadLimit, a busy machine, more threads than CPUs.
func (p Peak) Trusted(threads, cpus int) (bool, string) {
	var why []string
	if p.Runs > 1 && p.Spread > PeakSpreadLimit {
		why = append(why, fmt.Sprintf("its %d rounds spread %.0f %% (limit %.0f %%)", p.Runs, 100*p.Spread, 100*PeakSpreadLimit))
	}
	if p.Busy > 0 && p.Busy < PeakBusyLimit {
		why = append(why, fmt.Sprintf("the machine was busy: the calibration got %.0f %% of its threads' time (limit %.0f %%)", 100*p.Busy, 100*PeakBusyLimit))
	}
	if cpus > 0 && threads > cpus {
		why = append(why, fmt.Sprintf("%d threads on %d CPUs take turns", threads, cpus))
	}
	return len(why) == 0, strings.Join(why, "; ")
}

// String describes the figure's provenance in one clause: "best of 7
// rounds, spread 3.1 %, cached 2026-12-07", "best of 7 rounds, spread 14 %,
// not cached: …".
func (p Peak) String() string {
	var parts []string
	if p.Runs > 0 {
		parts = append(parts, fmt.Sprintf("best of %d rounds, spread %.1f %%", p.Runs, 100*p.Spread))
	}
	if p.Busy > 0 {
		parts = append(parts, fmt.Sprintf("%.0f %% of its threads' time", 100*p.Busy))
	}
	switch {
	case p.Cached && !p.Measured.IsZero():
		parts = append(parts, "cached "+p.Measured.Local().Format("2006-01-02 15:04"))
	case p.Cached:
		parts = append(parts, "cached")
	case p.NotCached != "":
		parts = append(parts, "not cached: "+p.NotCached)
	}
	if p.Replaced != "" {
		parts = append(parts, "measured again: "+p.Replaced)
	}
	return strings.Join(parts, ", ")
}

// PeakOf turns the timed rounds of a calibration into a peak: the best
// round's GFLOP/s, and Runs and Spread (how far the rounds' median lies
// below the best). No rounds give 0.
func PeakOf(rounds []float64) (float64, Peak) {
	g := slices.Clone(rounds)
	slices.Sort(g)
	n := len(g)
	if n == 0 {
		return 0, Peak{}
	}
	best, med := g[n-1], g[n/2]
	if n%2 == 0 {
		med = (g[n/2-1] + g[n/2]) / 2
	}
	p := Peak{Runs: n}
	if best > 0 {
		p.Spread = (best - med) / best
	}
	return best, p
}

// PeakRecalibrator is implemented by executors that can measure their
// device's peak again while open, without a batch being lost: the runner
// asks when a measured window beat the peak, which a true peak cannot be.
// The returned Info carries the new PeakGFLOPS and Peak; the figure
// replaces the cached one when it is worth caching.
type PeakRecalibrator interface {
	RecalibratePeak(ctx context.Context) (Info, error)
}
