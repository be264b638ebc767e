package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/presets"
)

type presetRow struct {
	Name           string `json:"name"`
	Input          []int  `json:"input"`
	Output         []int  `json:"output"`
	Params         int64  `json:"params"`
	FLOPsPerSample int64  `json:"flops_per_sample"`
	DefaultBatch   int    `json:"default_batch"`
	Description    string `json:"description"`
}

func runPresets(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "presets", "presets [--format table|json]")
	format := fs.String("format", "table", "output format: table or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var rows []presetRow
	for _, p := range presets.NewCatalog().All() {
		rows = append(rows, presetRow{p.Name, p.Input, p.Output(), p.ParamCount(), p.FLOPsPerSample(), p.DefaultBatch, p.Description})
	}
	switch *format {
	case "json":
		if err := writeJSON(env.Stdout, rows); err != nil {
			fmt.Fprintf(env.Stderr, "infertop presets: %v\n", err)
			return ExitFailure
		}
	case "table":
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tINPUT\tPARAMS\tFLOPs/SAMPLE\tBATCH\tDESCRIPTION")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Name, shape(r.Input), units.Count(float64(r.Params)), units.Count(float64(r.FLOPsPerSample)), r.DefaultBatch, r.Description)
		}
		tw.Flush()
	default:
		return usageErr(env, "presets", "unknown format %q (valid: table, json)", *format)
	}
	return ExitOK
}

func shape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "×")
}
