package sweep

import (
	"cmp"
	"fmt"
	"math"
	"time"

	"infertop/internal/units"
)

// RecommendServe picks the configuration with the highest rate meeting the
// SLO. Rates within tol of the highest are a tie (the bisection resolves
// no finer), broken by fewer instances, then the smaller max batch, then
// the shorter delay: the cheaper configuration to run and the lower
// latency at light load.
func RecommendServe(configs []ServeConfigResult, tol float64, slo time.Duration) ServeRecommendation {
	top := 0.0
	for _, c := range configs {
		top = math.Max(top, c.BestRPS())
	}
	sloText := MSText(units.MS(slo))
	if top <= 0 {
		return ServeRecommendation{Index: -1, Why: noneWhy(configs, sloText)}
	}
	win, fastest := -1, -1
	for i, c := range configs {
		if c.BestRPS() == top && fastest < 0 {
			fastest = i
		}
		if c.BestRPS() < top*(1-tol) {
			continue
		}
		if win < 0 || cheaper(c.ServeSetting, configs[win].ServeSetting) {
			win = i
		}
	}
	w := configs[win]
	b := w.BestPoint()
	why := fmt.Sprintf("%s meets the %s p99 SLO up to %s req/s (p99 %s, instances %.0f %% busy there)",
		w.ServeSetting, sloText, units.Rate(b.RateRPS, 4), MSText(b.P99MS), 100*b.Utilization)
	switch {
	case len(configs) == 1:
		why += ", the only configuration tried"
	case win != fastest:
		f := configs[fastest]
		why += fmt.Sprintf("; %s reached %s req/s, within the search's %.0f %% resolution, so the cheaper configuration is recommended",
			f.ServeSetting, units.Rate(f.BestRPS(), 4), 100*tol)
	default:
		why += fmt.Sprintf(", the highest of the %d configurations", len(configs))
		if r := runnerUp(configs, win); r >= 0 {
			why += fmt.Sprintf(" (next: %s at %s req/s)", configs[r].ServeSetting, units.Rate(configs[r].BestRPS(), 4))
		}
	}
	return ServeRecommendation{Index: win, Setting: w.ServeSetting, RateRPS: b.RateRPS, Why: why}
}

// cheaper orders settings for the tie-break: fewer instances, smaller max
// batch, shorter delay.
func cheaper(a, b ServeSetting) bool {
	return cmp.Or(cmp.Compare(a.Instances, b.Instances), cmp.Compare(a.MaxBatch, b.MaxBatch),
		cmp.Compare(a.MaxDelayUS, b.MaxDelayUS)) < 0
}

// runnerUp is the index of the highest best rate other than configs[win]'s
// (-1: none met the SLO).
func runnerUp(configs []ServeConfigResult, win int) int {
	r := -1
	for i, c := range configs {
		if i != win && c.BestRPS() > 0 && (r < 0 || c.BestRPS() > configs[r].BestRPS()) {
			r = i
		}
	}
	return r
}

// noneWhy says why nothing is recommended.
func noneWhy(configs []ServeConfigResult, sloText string) string {
	low := -1.0
	var at ServeConfigResult
	for _, c := range configs {
		for _, p := range c.Points {
			if low < 0 || p.P99MS < low {
				low, at = p.P99MS, c
			}
		}
	}
	if low < 0 {
		return "no configuration was measured at a rate"
	}
	return fmt.Sprintf("no configuration met the %s p99 SLO at any rate tried (the lowest p99 was %s, with %s); relax the SLO or try a smaller max batch or delay",
		sloText, MSText(low), at.ServeSetting)
}
