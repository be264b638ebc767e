package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/presets"
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

// WritePresets lists the catalog's presets as a table or ("json") JSON.
func WritePresets(w io.Writer, format string, cat *presets.Catalog) error {
	var rows []PresetRow
	for _, p := range cat.All() {
		rows = append(rows, PresetRow{p.Name, p.Input, p.Output(), p.ParamCount(), p.FLOPsPerSample(), p.DefaultBatch, p.Description})
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

// shape prints a tensor shape as 3×32×32.
func shape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "×")
}
