package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/model"
)

// PresetRow is one preset of `infertop presets`.
type PresetRow struct {
	Name           string `json:"name"`
	Input          []int  `json:"input"`
	Output         []int  `json:"output"`
	Params         int64  `json:"params"`
	FLOPsPerSample int64  `json:"flops_per_sample"`
	DefaultBatch   int    `json:"default_batch"`
	Description    string `json:"description"`
}

// WritePresets lists the catalog's models (the built-in presets) as a table
// or ("json") JSON: each one's input and output per sample (its first input
// and output, without the batch), parameters and FLOPs per sample.
func WritePresets(w io.Writer, format string, cat *model.Catalog) error {
	var rows []PresetRow
	for _, name := range cat.Names() {
		r, err := presetRow(cat, name)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if format == "json" {
		return JSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tINPUT\tPARAMS\tFLOPs/SAMPLE\tBATCH\tDESCRIPTION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Name, shape(r.Input), units.Count(float64(r.Params)),
			units.Count(float64(r.FLOPsPerSample)), r.DefaultBatch, r.Description)
	}
	return tw.Flush()
}

// presetRow describes one model of the catalog, from its graph compiled
// for batch 1.
func presetRow(cat *model.Catalog, name string) (PresetRow, error) {
	m, err := cat.Get(name)
	if err != nil {
		return PresetRow{}, err
	}
	batch := max(m.FixedBatch(), 1)
	g, err := m.Bind(batch)
	if err != nil {
		return PresetRow{}, err
	}
	in, out, err := g.Signature()
	if err != nil || len(in) == 0 || len(out) == 0 {
		return PresetRow{}, fmt.Errorf("%s: no input or output of a known shape (%v)", name, err)
	}
	return PresetRow{Name: m.Name, Input: in[0].Shape[1:], Output: out[0].Shape[1:], Params: m.Graph.ParamCount(),
		FLOPsPerSample: g.FLOPs() / int64(batch), DefaultBatch: m.DefaultBatch, Description: m.Description}, nil
}

// shape prints a tensor shape as 3×32×32.
func shape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "×")
}
