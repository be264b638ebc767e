package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/runner"
	"infertop/sweep"
)

// CompareBaselineRow is one batch size raced in both compares.
type CompareBaselineRow struct {
	Batch int `json:"batch"`
	// SpeedUp is B's samples/s over A's in each run.
	SpeedUp Change `json:"speed_up"`
	// A and B are each side's samples/s in each run.
	A Change `json:"a_samples_per_sec"`
	B Change `json:"b_samples_per_sec"`
}

// Change is one figure measured in an earlier run (Old) and in this one (New).
type Change struct {
	Old float64 `json:"old"`
	New float64 `json:"new"`
	// Ratio is New / Old.
	Ratio float64 `json:"ratio"`
	// Noise is the larger of the two runs' relative spreads of the figure
	// (runner.StabilityThreshold when neither run measured one); Flagged
	// says |Ratio − 1| > Noise.
	Noise   float64 `json:"noise"`
	Flagged bool    `json:"flagged"`
}

// newChange compares old with cur, each with the relative spread measured
// for it (0: not measured).
func newChange(old, cur, oldNoise, curNoise float64) Change {
	c := Change{Old: old, New: cur}
	if old > 0 {
		c.Ratio = cur / old
	}
	c.Noise, c.Flagged = beyondNoise(c.Ratio, oldNoise, curNoise)
	return c
}

// beyondNoise returns the noise of a ratio between two runs, the larger of
// their spreads or the stability threshold when neither measured one, and
// whether the ratio lies beyond it.
func beyondNoise(ratio, oldNoise, curNoise float64) (float64, bool) {
	noise := math.Max(oldNoise, curNoise)
	if noise <= 0 || math.IsInf(noise, 0) || math.IsNaN(noise) {
		noise = runner.StabilityThreshold
	}
	return noise, math.Abs(ratio-1) > noise
}

// SpeedUpNoise is the relative spread of a compare point's speed-up: the
// largest relative distance of one window pair's ratio from the speed-up,
// max(hi/speed-up − 1, 1 − lo/speed-up); 0 with fewer than two pairs.
func SpeedUpNoise(p sweep.ComparePoint) float64 {
	if p.Pairs < 2 || p.SpeedUp <= 0 {
		return 0
	}
	return math.Max(p.Hi/p.SpeedUp-1, 1-p.Lo/p.SpeedUp)
}

// LoadCompareBaseline reads an earlier compare's JSON document (what
// `infertop compare --format json` writes). A sweep's or a bench's JSON, or
// a document without compare points, is refused with a message saying so.
func LoadCompareBaseline(path string) (CompareDoc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return CompareDoc{}, fmt.Errorf("cannot read %s: %v", path, err)
	}
	const how = "write one with `infertop compare --format json`"
	switch docKind(b) {
	case "":
		return CompareDoc{}, fmt.Errorf("%s is not an infertop JSON document (%s)", path, how)
	case "sweep":
		return CompareDoc{}, fmt.Errorf("%s is a sweep's JSON, not a compare's (%s; a sweep's goes to `infertop sweep --baseline`)", path, how)
	case "bench":
		return CompareDoc{}, fmt.Errorf("%s is a bench's JSON, not a compare's (%s)", path, how)
	}
	var doc CompareDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return CompareDoc{}, fmt.Errorf("%s is not a compare's JSON: %v (%s)", path, err, how)
	}
	if len(doc.Compare.Points) == 0 {
		return CompareDoc{}, fmt.Errorf("%s holds no compare points (%s)", path, how)
	}
	if doc.Compare.Model == "" {
		doc.Compare.Model = doc.Meta.Model
	}
	return doc, nil
}

// docKind says what an infertop JSON document holds: "compare", "sweep",
// "bench", or "" when it is not JSON or none of them.
func docKind(b []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return ""
	}
	for _, k := range []string{"compare", "sweep"} {
		if _, ok := top[k]; ok {
			return k
		}
	}
	if _, ok := top["rows"]; ok {
		return "bench"
	}
	return ""
}

// CheckCompareBaseline refuses a baseline that raced another model or other
// configurations, or none of the batch sizes this run races.
func CheckCompareBaseline(old sweep.CompareResult, model string, a, b sweep.Side, batches []int) error {
	if old.Model != model {
		return fmt.Errorf("the baseline raced the model %s, this run races %s (a baseline must race the same model)", old.Model, model)
	}
	if old.A != a || old.B != b {
		return fmt.Errorf("the baseline raced A = %s, B = %s; this run races A = %s, B = %s (a baseline must race the same two configurations)",
			old.A, old.B, a, b)
	}
	var olds []int
	for _, p := range old.Points {
		if slices.Contains(batches, p.Batch) {
			return nil
		}
		olds = append(olds, p.Batch)
	}
	return fmt.Errorf("the baseline raced batch %s, this run races %s: no batch size in common (race one of them with --batch or --batches)",
		joinInts(olds), joinInts(batches))
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// CompareBaselineRows pairs the batch sizes both compares raced, in cur's
// order: the speed-up and each side's samples/s, old and new.
func CompareBaselineRows(old, cur sweep.CompareResult) []CompareBaselineRow {
	byBatch := map[int]sweep.ComparePoint{}
	for _, p := range old.Points {
		byBatch[p.Batch] = p
	}
	rows := []CompareBaselineRow{}
	for _, p := range cur.Points {
		o, ok := byBatch[p.Batch]
		if !ok || o.SpeedUp <= 0 {
			continue
		}
		rows = append(rows, CompareBaselineRow{Batch: p.Batch,
			SpeedUp: newChange(o.SpeedUp, p.SpeedUp, SpeedUpNoise(o), SpeedUpNoise(p)),
			A:       newChange(o.A.SamplesPerSec, p.A.SamplesPerSec, o.A.WindowSpread, p.A.WindowSpread),
			B:       newChange(o.B.SamplesPerSec, p.B.SamplesPerSec, o.B.WindowSpread, p.B.WindowSpread),
		})
	}
	return rows
}

// WriteCompareBaselineTable prints, per batch, the speed-up and each side's
// samples/s in both runs with their ratio, flagged beyond the noise. base
// describes the baseline in the heading.
func WriteCompareBaselineTable(w io.Writer, base Meta, a, b sweep.Side, rows []CompareBaselineRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "baseline: no batch size in common with this compare")
		return err
	}
	fmt.Fprintf(w, "Against the baseline of %s (infertop %s, %s): ratio new/old, flagged when beyond the noise\n",
		base.Start.Format("2006-01-02 15:04 MST"), base.Version, base.CPUModel)
	fmt.Fprintln(w, "(noise: the larger spread of the two runs, window pairs for the speed-up and windows for samples/s; 10 % when unmeasured)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BATCH\tFIGURE\tOLD\tNEW\tRATIO\tNOISE ±%\tCHANGE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\tspeed-up B/A\t×%.3f\t×%.3f\t×%.3f\t%.1f\t%s\n", r.Batch, r.SpeedUp.Old, r.SpeedUp.New,
			r.SpeedUp.Ratio, 100*r.SpeedUp.Noise, r.SpeedUp.Flag("higher", "LOWER"))
		for _, s := range []struct {
			name string
			c    Change
		}{{"A " + a.String(), r.A}, {"B " + b.String(), r.B}} {
			fmt.Fprintf(tw, "\t%s samples/s\t%s\t%s\t×%.3f\t%.1f\t%s\n", s.name, units.Rate(s.c.Old, 3), units.Rate(s.c.New, 3), s.c.Ratio,
				100*s.c.Noise, s.c.Flag("faster", "SLOWER"))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the baseline table: %w", err)
	}
	return nil
}

// Flag is up or down for a flagged change, and "" within the noise.
func (c Change) Flag(up, down string) string {
	switch {
	case !c.Flagged:
		return ""
	case c.Ratio < 1:
		return down
	}
	return up
}
