package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/runner"
)

// OutsideSteps names the profile's row of the time no step covers.
const OutsideSteps = "outside steps"

// profileTableRows is how many steps a table shows, the slowest first; JSON
// and --export-profile carry every one.
const profileTableRows = 25

// Profile is a run's step profile as bench's JSON carries it (a row's
// "profile"): where a batch's time goes, step by step, from the runner's
// profiling batches (runner.Profile). docs/profile.md documents it.
type Profile struct {
	// Every is the profiling period (one batch in Every); Batches the
	// profiling batches run, Kept the latest ones the medians are taken over.
	Every   int   `json:"every"`
	Batches int64 `json:"profiled_batches"`
	Kept    int   `json:"kept"`
	// BatchMS is the profiling batches' median latency, what the rows add up to.
	BatchMS float64 `json:"batch_ms"`
	// OutsideMS is the median time no step covers; OutsideShare its share of BatchMS.
	OutsideMS    float64 `json:"outside_ms"`
	OutsideShare float64 `json:"outside_share"`
	// Closure is (the steps' medians + OutsideMS) / BatchMS.
	Closure float64 `json:"closure"`
	// PeakGFLOPS is the device's sgemm peak PctPeak divides by (absent when unknown).
	PeakGFLOPS float64 `json:"peak_gflops,omitempty"`
	// Steps are every step, the slowest first.
	Steps []ProfileStep `json:"steps"`
	// Note says why there are no steps (an engine that cannot time them).
	Note string `json:"note,omitempty"`
}

// ProfileStep is one step of a profile.
type ProfileStep struct {
	// Rank is 1 for the slowest step; Index the step's place in the plan
	// (-1 for the outside row of an export).
	Rank  int `json:"rank"`
	Index int `json:"index"`
	// Step is the engine's name for the step (the compiled node's name), Op
	// its op, Covers the nodes of the model as loaded (ONNX nodes or preset
	// layers) it computes.
	Step   string   `json:"step"`
	Op     string   `json:"op"`
	Covers []string `json:"covers"`
	// Way is how it ran (kernel, library call, convolution way) and Threads on how many threads.
	Way     string `json:"way"`
	Threads int    `json:"threads"`
	// P50MS is its median time; Share that over the batch's median.
	P50MS float64 `json:"p50_ms"`
	Share float64 `json:"share"`
	// FLOPs and Bytes are analytic, from the graph; GFLOPS and GBPerS over
	// P50MS; PctPeak is GFLOPS over the device's peak, in percent (0 for a
	// step without FLOPs, or an unknown peak).
	FLOPs   int64   `json:"flops"`
	Bytes   int64   `json:"bytes"`
	GFLOPS  float64 `json:"gflops"`
	GBPerS  float64 `json:"gb_per_s"`
	PctPeak float64 `json:"pct_peak"`
}

// NewProfile is the report's form of a runner profile (nil for nil).
func NewProfile(p *runner.Profile) *Profile {
	if p == nil {
		return nil
	}
	out := &Profile{Every: p.Every, Batches: p.Batches, Kept: p.Kept, BatchMS: units.MS(p.Batch),
		OutsideMS: units.MS(p.Outside), OutsideShare: p.OutsideShare, Closure: p.Closure,
		PeakGFLOPS: p.PeakGFLOPS, Steps: make([]ProfileStep, len(p.Steps)), Note: p.Note}
	for i, s := range p.Steps {
		covers := s.Covers
		if covers == nil {
			covers = []string{}
		}
		out.Steps[i] = ProfileStep{Rank: i + 1, Index: s.Index, Step: s.Name, Op: s.Op, Covers: covers, Way: s.Way,
			Threads: s.Threads, P50MS: units.MS(s.P50), Share: s.Share, FLOPs: s.FLOPs, Bytes: s.Bytes,
			GFLOPS: s.GFLOPS, GBPerS: s.GBPS, PctPeak: s.PctPeak}
	}
	return out
}

// outsideRow is the profile's row of the time no step covers, ranked after the steps.
func (p *Profile) outsideRow() ProfileStep {
	return ProfileStep{Rank: len(p.Steps) + 1, Index: -1, Step: OutsideSteps, Covers: []string{},
		P50MS: p.OutsideMS, Share: p.OutsideShare}
}

// writeProfile writes a row's profile under bench's table: a line that says
// what it is, the slowest steps as aligned columns, and the outside row.
func writeProfile(w io.Writer, r Row) {
	p := r.Profile
	if p == nil {
		return
	}
	fmt.Fprintf(w, "\n%s batch %d: ", r.Model, r.Batch)
	switch {
	case p.Note != "":
		fmt.Fprintf(w, "no step profile: %s\n", p.Note)
		return
	case p.Batches == 0:
		fmt.Fprintf(w, "no step profile: no profiling batch ran (one in %d while measuring)\n", p.Every)
		return
	}
	fmt.Fprintf(w, "where a batch's %s goes (medians of %d profiling batches, one in %d, left out of the figures above)\n",
		units.Rate(p.BatchMS, 3)+" ms", p.Kept, p.Every)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  STEP\tOP\tCOVERS\tP50 ms\tSHARE\tGFLOP/S\tGB/S\t%%PEAK\tWAY\n")
	shown, rest := p.Steps, 0.0
	if len(shown) > profileTableRows {
		for _, s := range shown[profileTableRows:] {
			rest += s.Share
		}
		shown = shown[:profileTableRows]
	}
	for _, s := range shown {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Step, s.Op, stepCovers(s.Covers), units.Rate(s.P50MS, 3),
			units.Percent(100*s.Share), rateOrDash(s.GFLOPS), rateOrDash(s.GBPerS), pctOrDash(s.PctPeak), wayText(s))
	}
	if n := len(p.Steps) - len(shown); n > 0 {
		fmt.Fprintf(tw, "  (%d more steps)\t\t\t\t%s\t\t\t\t\n", n, units.Percent(100*rest))
	}
	fmt.Fprintf(tw, "  %s\t\t\t%s\t%s\t\t\t\t\n", OutsideSteps, units.Rate(p.OutsideMS, 3), units.Percent(100*p.OutsideShare))
	_ = tw.Flush()
	if d := p.Closure - 1; d > 0.05 || d < -0.05 {
		fmt.Fprintf(w, "  the rows add up to %s of the batch's median: its profiling batches varied (medians do not add up)\n", units.Percent(100*p.Closure))
	}
}

// stepCovers names what a step covers (coversText), "-" for none.
func stepCovers(c []string) string {
	if len(c) == 0 {
		return "-"
	}
	return coversText(c)
}

// wayText is a step's way and threads, e.g. "im2col + sgemm ×2".
func wayText(s ProfileStep) string {
	if s.Threads > 1 {
		return fmt.Sprintf("%s ×%d", s.Way, s.Threads)
	}
	return s.Way
}

func rateOrDash(v float64) string {
	if v <= 0 {
		return "-"
	}
	return units.Rate(v, 3)
}

func pctOrDash(v float64) string {
	if v <= 0 {
		return "-"
	}
	return units.Percent(v)
}
