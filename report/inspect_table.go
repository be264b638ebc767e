package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
)

// InspectFormats are the formats `infertop inspect` writes.
func InspectFormats() []string { return []string{"table", "json"} }

// WriteInspection writes ins as a table or ("json") one JSON document.
func WriteInspection(w io.Writer, format string, ins Inspection) error {
	switch format {
	case "json":
		if ins.Unsupported == nil {
			ins.Unsupported = []Unsupported{}
		}
		if p := ins.GPUPlan; p != nil && p.Unsupported == nil {
			q := *p
			q.Unsupported = []Unsupported{}
			ins.GPUPlan = &q
		}
		return JSON(w, ins)
	case "table":
		return writeInspectionTable(w, ins)
	}
	return fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(InspectFormats(), ", "))
}

// maxCovers is how many covered nodes a step's row names before "… +N more".
const maxCovers = 3

// writeInspectionTable prints the sections in order, each only when known.
func writeInspectionTable(w io.Writer, ins Inspection) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string) { fmt.Fprintf(tw, "\n%s\n", title) }
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }

	row("MODEL", ins.Model)
	if ins.Kind != "" {
		row("KIND", kindText(ins.Kind))
	}
	for _, kv := range [][2]string{{"PRODUCER", ins.Producer}, {"OPSET", opsetText(ins.Opset)},
		{"DESCRIPTION", ins.Description}, {"GRAPH", ins.Graph}} {
		if kv[1] != "" {
			row(kv[0], kv[1])
		}
	}
	if ins.Batch > 0 {
		row("BATCH", batchText(ins))
	}
	if len(ins.Dims) > 0 {
		row("DIMS", dimsText(ins.Dims))
	}
	if ins.Inputs != nil || ins.Outputs != nil {
		section(fmt.Sprintf("TENSOR\tNAME\tDTYPE\tDECLARED\tAT BATCH %d", ins.Batch))
		for _, list := range []struct {
			kind string
			ts   []TensorInfo
		}{{"input", ins.Inputs}, {"output", ins.Outputs}} {
			for _, t := range list.ts {
				row(list.kind, t.Name, t.DType, declaredText(t.Declared), shapeText(t.Shape))
			}
		}
	}
	if len(ins.Ops) > 0 {
		section("OP\tNODES")
		for _, o := range ins.Ops {
			row(o.Op, fmt.Sprint(o.Count))
		}
		row("total", fmt.Sprint(ins.Nodes))
	}
	if ins.Params != nil || ins.FLOPs != nil || ins.Memory != nil {
		section(fmt.Sprintf("PARAMETERS, FLOPs AND MEMORY AT BATCH %d", ins.Batch))
	}
	if p := ins.Params; p != nil {
		row("parameters", fmt.Sprintf("%s, %s", countText(p.Count), units.Bytes(p.Bytes)))
	}
	if f := ins.FLOPs; f != nil {
		row("FLOPs", fmt.Sprintf("%s per sample, %s per batch", countText(f.PerSample), countText(f.PerBatch)))
	}
	if m := ins.Memory; m != nil {
		row("weights", units.Bytes(m.Weights), "constants after folding and fusion")
		row("inputs", units.Bytes(m.Inputs))
		row("activations peak", units.Bytes(m.ActivationsPeak), "node outputs alive at once (buffers reused)")
		row("activations all", units.Bytes(m.ActivationsAll), "every node output, were none reused")
		row("estimate", units.Bytes(m.Estimate), "weights + inputs + peak: what a batch is checked against")
	}
	if len(ins.Steps) > 0 {
		section("STEP\tOP\tOUTPUT\tFLOPs\tCOVERS")
		for _, s := range ins.Steps {
			row(s.Name, s.Label(), shapeText(s.Shape), units.Count(float64(s.FLOPs)), coversText(s.Covers))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the inspection: %w", err)
	}
	if ins.Fusion != nil {
		fmt.Fprintf(w, "\nfusion: %s\n", ins.Fusion.Summary)
	}
	if len(ins.Unsupported) > 0 {
		fmt.Fprintf(w, "\nUNSUPPORTED: %d kind(s) of node cannot be computed\n", len(ins.Unsupported))
		for _, u := range ins.Unsupported {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	if ins.GPUPlan != nil {
		if err := writeGPUPlan(w, ins.GPUPlan); err != nil {
			return err
		}
	}
	if ins.Note != "" {
		fmt.Fprintf(w, "\nnote: %s\n", ins.Note)
	}
	return nil
}

func kindText(kind string) string {
	if kind == "preset" {
		return "built-in preset"
	}
	return "ONNX file"
}

func opsetText(opset int) string {
	if opset <= 0 {
		return ""
	}
	return fmt.Sprint(opset)
}

// batchText says where the batch comes from.
func batchText(ins Inspection) string {
	switch {
	case ins.FixedBatch > 0:
		return fmt.Sprintf("%d (exported with a fixed batch of %d)", ins.Batch, ins.FixedBatch)
	case ins.Batch == ins.DefaultBatch:
		return fmt.Sprintf("%d (the model's default; the batch is free)", ins.Batch)
	}
	return fmt.Sprintf("%d (the model's default is %d; the batch is free)", ins.Batch, ins.DefaultBatch)
}

// dimsText lists bindings as "seq=16, x=2", sorted by name.
func dimsText(dims map[string]int) string {
	names := slices.Sorted(maps.Keys(dims))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, dims[n])
	}
	return strings.Join(parts, ", ")
}

// countText prints a count with an SI suffix and, when that rounds it, exactly: "865k (864,576)".
func countText(n int64) string {
	short, exact := units.Count(float64(n)), units.Thousands(n)
	if short == exact {
		return short
	}
	return short + " (" + exact + ")"
}

// declaredText prints a declared shape as batch×3×32×32 ("(not declared)"
// when the rank is not, "scalar" for no dimension).
func declaredText(dims []string) string {
	switch {
	case dims == nil:
		return "(not declared)"
	case len(dims) == 0:
		return "scalar"
	}
	return strings.Join(dims, "×")
}

// shapeText prints a known shape as 1×3×32×32 ("-" when not known).
func shapeText(s []int) string {
	switch {
	case s == nil:
		return "-"
	case len(s) == 0:
		return "scalar"
	}
	return shape(s)
}

// coversText names the first covered nodes and says how many more there are.
func coversText(covers []string) string {
	if len(covers) <= maxCovers {
		return strings.Join(covers, ", ")
	}
	return fmt.Sprintf("%s … +%d more", strings.Join(covers[:maxCovers], ", "), len(covers)-maxCovers)
}
