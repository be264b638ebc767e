package sweep

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"infertop/internal/units"
)

// Recommendation is the batch to use and why.
type Recommendation struct {
	// Batch is the recommended batch size; 0 when none can be recommended.
	Batch int `json:"batch"`
	// Why is one sentence.
	Why string `json:"why"`
	// Knee is true when the batch is the throughput knee (no SLO given).
	Knee bool `json:"knee"`
	// HeadroomBytes is the memory left under the limit at Batch by the fit (or
	// by the measured engine bytes without a fit); HeadroomKnown says whether
	// a limit was known.
	HeadroomBytes int64 `json:"headroom_bytes"`
	HeadroomKnown bool  `json:"headroom_known"`
}

// Recommend picks the batch with the highest throughput whose p99 meets slo
// (ties go to the smaller batch); without an SLO, the knee: the smallest batch
// after which every further step gains less than minGain throughput.
func Recommend(pts []Point, slo time.Duration, minGain float64, fit *Fit, limit int64) Recommendation {
	if len(pts) == 0 {
		return Recommendation{Why: "nothing was measured"}
	}
	sorted := append([]Point(nil), pts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Batch < sorted[j].Batch })
	var r Recommendation
	if slo > 0 {
		r = bySLO(sorted, units.MS(slo))
	} else {
		r = byKnee(sorted, minGain)
	}
	if r.Batch > 0 && limit > 0 {
		r.HeadroomKnown = true
		if fit != nil {
			r.HeadroomBytes = limit - int64(fit.At(r.Batch))
		} else {
			for _, p := range sorted {
				if p.Batch == r.Batch {
					r.HeadroomBytes = limit - p.EngineBytes
				}
			}
		}
	}
	return r
}

func bySLO(pts []Point, slo float64) Recommendation {
	best := -1
	for i, p := range pts {
		if p.P99MS <= slo && (best < 0 || p.SamplesPerSec > pts[best].SamplesPerSec) {
			best = i
		}
	}
	if best < 0 {
		return Recommendation{Why: fmt.Sprintf("no batch meets the %s p99 SLO: the smallest measured, batch %d, has p99 %s",
			units.FormatMS(slo), pts[0].Batch, units.FormatMS(pts[0].P99MS))}
	}
	p := pts[best]
	why := fmt.Sprintf("batch %d has the highest throughput (%s samples/s) whose p99 (%s) meets the %s SLO",
		p.Batch, units.Rate(p.SamplesPerSec, 3), units.FormatMS(p.P99MS), units.FormatMS(slo))
	for _, q := range pts[best+1:] {
		if q.P99MS > slo {
			why += fmt.Sprintf("; batch %d takes %s", q.Batch, units.FormatMS(q.P99MS))
			break
		}
	}
	return Recommendation{Batch: p.Batch, Why: why}
}

func byKnee(pts []Point, minGain float64) Recommendation {
	if len(pts) == 1 {
		return Recommendation{Batch: pts[0].Batch, Why: fmt.Sprintf("batch %d is the only batch measured", pts[0].Batch)}
	}
	// The knee is the smallest batch that no larger batch beats by minGain or
	// more. Comparing with every larger batch, not only the next, keeps a dip
	// in a noisy curve from hiding a faster smaller batch, and small gains in
	// a row from adding up unseen.
	knee := len(pts) - 1
	for i := range pts[:len(pts)-1] {
		if !slices.ContainsFunc(pts[i+1:], func(q Point) bool { return gain(pts[i].SamplesPerSec, q.SamplesPerSec) >= minGain }) {
			knee = i
			break
		}
	}
	p := pts[knee]
	if knee == len(pts)-1 {
		// Then it beats every smaller batch by minGain or more.
		best := pts[0]
		for _, q := range pts[1:knee] {
			if q.SamplesPerSec > best.SamplesPerSec {
				best = q
			}
		}
		return Recommendation{Batch: p.Batch, Why: fmt.Sprintf(
			"throughput still rises at the largest batch measured (%+.1f %% over batch %d, the fastest before it), so batch %d is the fastest measured",
			100*gain(best.SamplesPerSec, p.SamplesPerSec), best.Batch, p.Batch)}
	}
	var gains []string
	for _, q := range pts[knee+1:] {
		gains = append(gains, fmt.Sprintf("%+.1f %% at %d", 100*gain(p.SamplesPerSec, q.SamplesPerSec), q.Batch))
	}
	return Recommendation{Batch: p.Batch, Knee: true, Why: fmt.Sprintf(
		"batch %d is the knee: %s samples/s, and no larger batch gains %.0f %% or more over it (%s)",
		p.Batch, units.Rate(p.SamplesPerSec, 3), 100*minGain, strings.Join(gains, ", "))}
}
