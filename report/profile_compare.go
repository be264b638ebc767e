package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"infertop/internal/units"
)

// LoadProfile reads the step records of a file `bench --export-profile`
// wrote, or of a `bench --format json --profile` result (its rows'
// profiles, as the export would hold them).
func LoadProfile(path string) (ProfileExport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return ProfileExport{}, fmt.Errorf("cannot read %s: %v", path, err)
	}
	const how = "write one with `infertop bench --export-profile FILE.json`"
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return ProfileExport{}, fmt.Errorf("%s is not an infertop JSON document (%s)", path, how)
	}
	var doc ProfileExport
	switch {
	case top["records"] != nil:
		if err := json.Unmarshal(b, &doc); err != nil {
			return ProfileExport{}, fmt.Errorf("%s is not a step profile: %v (%s)", path, err, how)
		}
	case docKind(b) == "bench":
		var res Result
		if err := json.Unmarshal(b, &res); err != nil {
			return ProfileExport{}, fmt.Errorf("%s is not a bench's JSON: %v (%s)", path, err, how)
		}
		doc = NewProfileExport(res.Meta, res.Rows)
	default:
		return ProfileExport{}, fmt.Errorf("%s holds no step profile (%s)", path, how)
	}
	if len(doc.Records) == 0 {
		return ProfileExport{}, fmt.Errorf("%s holds no step profile: its bench ran without --profile, or its engine cannot time steps (%s)", path, how)
	}
	return doc, nil
}

// ProfileDiff is two step profiles side by side (compare --profile): each
// step of each model and batch size both measured, with its time in A and B.
type ProfileDiff struct {
	// A and B describe the two profiles: their files and where they ran.
	A ProfileSide `json:"a"`
	B ProfileSide `json:"b"`
	// Rows are, for each model and batch size, the batch first, then every
	// step in A's order (the slowest first), then those only B has.
	Rows []ProfileDiffRow `json:"rows"`
}

// ProfileSide names one profile of a diff.
type ProfileSide struct {
	File    string `json:"file"`
	Device  string `json:"device"`
	Engine  string `json:"engine"`
	Threads int    `json:"threads"`
}

// ProfileDiffRow is one step (or, with Step "", a whole batch) in both profiles.
type ProfileDiffRow struct {
	Model string `json:"model"`
	Batch int    `json:"batch"`
	// Step is the step's name (OutsideSteps for the time outside them), ""
	// for the batch's latency.
	Step string `json:"step"`
	Op   string `json:"op"`
	// AMS and BMS are the medians in ms, absent where that profile has no such step.
	AMS *float64 `json:"a_ms"`
	BMS *float64 `json:"b_ms"`
	// SpeedUp is AMS / BMS: above 1 where B is faster (absent unless both are known).
	SpeedUp *float64 `json:"speed_up"`
}

// CompareProfiles lines up the steps of two profiles by model, batch size
// and step name. It fails when they share no model and batch size.
func CompareProfiles(aFile string, a ProfileExport, bFile string, b ProfileExport) (ProfileDiff, error) {
	side := func(f string, d ProfileExport) ProfileSide {
		return ProfileSide{File: f, Device: d.Meta.Device, Engine: d.Meta.Engine, Threads: d.Meta.Threads}
	}
	diff := ProfileDiff{A: side(aFile, a), B: side(bFile, b), Rows: []ProfileDiffRow{}}
	type cell struct {
		model string
		batch int
	}
	type stepKey struct {
		cell
		step string
	}
	inB := map[stepKey]ProfileRecord{}
	batchB := map[cell]float64{}
	for _, r := range b.Records {
		inB[stepKey{cell{r.Model, r.Batch}, r.Step}] = r
		batchB[cell{r.Model, r.Batch}] = r.BatchMS
	}
	var cells []cell
	seen := map[cell]bool{}
	for _, r := range a.Records {
		if c := (cell{r.Model, r.Batch}); !seen[c] {
			seen[c] = true
			if _, ok := batchB[c]; ok {
				cells = append(cells, c)
			}
		}
	}
	if len(cells) == 0 {
		return ProfileDiff{}, fmt.Errorf("%s and %s profiled no model at the same batch size", aFile, bFile)
	}
	for _, c := range cells {
		var aBatch float64
		for _, r := range a.Records {
			if (cell{r.Model, r.Batch}) == c {
				aBatch = r.BatchMS
				break
			}
		}
		diff.Rows = append(diff.Rows, diffRow(c.model, c.batch, "", "", &aBatch, ptr(batchB[c])))
		used := map[string]bool{}
		var outside *ProfileDiffRow
		for _, r := range a.Records {
			if (cell{r.Model, r.Batch}) != c {
				continue
			}
			used[r.Step] = true
			var bms *float64
			if o, ok := inB[stepKey{c, r.Step}]; ok {
				bms = ptr(o.P50MS)
			}
			row := diffRow(c.model, c.batch, r.Step, r.Op, ptr(r.P50MS), bms)
			if r.Step == OutsideSteps {
				outside = &row
				continue
			}
			diff.Rows = append(diff.Rows, row)
		}
		for _, r := range b.Records {
			if (cell{r.Model, r.Batch}) == c && !used[r.Step] {
				diff.Rows = append(diff.Rows, diffRow(c.model, c.batch, r.Step, r.Op, nil, ptr(r.P50MS)))
			}
		}
		if outside != nil {
			diff.Rows = append(diff.Rows, *outside)
		}
	}
	return diff, nil
}

func ptr(v float64) *float64 { return &v }

func diffRow(model string, batch int, step, op string, a, b *float64) ProfileDiffRow {
	r := ProfileDiffRow{Model: model, Batch: batch, Step: step, Op: op, AMS: a, BMS: b}
	if a != nil && b != nil && *b > 0 {
		r.SpeedUp = ptr(*a / *b)
	}
	return r
}

// WriteProfileDiff writes the diff as a table or as JSON.
func WriteProfileDiff(w io.Writer, format string, d ProfileDiff) error {
	if format == "json" {
		return JSON(w, d)
	}
	sideText := func(s ProfileSide) string {
		return fmt.Sprintf("%s (%s, %s, %d threads)", s.File, s.Device, s.Engine, s.Threads)
	}
	fmt.Fprintf(w, "A = %s\nB = %s\nB/A is the speed-up of B: A's time over B's (above 1 where B is faster)\n\n", sideText(d.A), sideText(d.B))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "MODEL\tBATCH\tSTEP\tOP\tA ms\tB ms\tB/A\n")
	ms := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return units.Rate(*v, 3)
	}
	for _, r := range d.Rows {
		step, up := r.Step, "-"
		if step == "" {
			step = "(batch)"
		}
		if r.SpeedUp != nil {
			up = fmt.Sprintf("×%.2f", *r.SpeedUp)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Model, r.Batch, step, r.Op, ms(r.AMS), ms(r.BMS), up)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	return nil
}
