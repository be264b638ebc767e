package report

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"infertop/internal/units"
	"infertop/model"
)

// InferSummary is what `infertop infer` prints after one batch.
type InferSummary struct {
	Model  string
	Device string
	// Precision names what a GPU computed in ("fp16"); "" on the CPU, which
	// computes in float32 only.
	Precision string
	// Engine is the engine and its detail ("cpu+openblas · OpenBLAS 0.3.21").
	Engine string
	Batch  int
	// Inputs says where the inputs came from: seeded (Seed), or the files given.
	Seeded bool
	Seed   uint64
	Inputs []TensorStats
	// Outputs are the graph's outputs, each with the file it was written to.
	Outputs []TensorStats
	// Took is the wall time of one batch, the second run (the first warmed up).
	Took time.Duration
	// Diffs compare the outputs with the reference kernels (nil: not asked
	// for), CPUDiffs with the CPU engine in float32 (nil: not a GPU run);
	// Tolerance is the largest relative difference that passes, the
	// precision's.
	Diffs, CPUDiffs []OutputDiff
	Tolerance       float64
}

// TensorStats describes one tensor: its dtype, shape and values, and the
// file it was read from or written to.
type TensorStats struct {
	Name  string
	DType string
	Shape []int
	// Min, Max and Mean are over the finite elements (booleans as 0 and 1);
	// NonFinite counts the NaN and infinite ones.
	Min, Max, Mean float64
	NonFinite      int
	File           string
}

// OutputDiff is one output's distance from the reference: the largest
// absolute difference of an element, and that over the reference's largest
// magnitude.
type OutputDiff struct {
	Output         string
	MaxAbs, MaxRel float64
}

// NewTensorStats reads t's values.
func NewTensorStats(name string, t *model.Tensor, file string) TensorStats {
	s := TensorStats{Name: name, DType: t.DType.String(), Shape: t.Shape, File: file}
	n, sum := 0, 0.0
	for i := range t.Stored() {
		v := t.Float(i)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			s.NonFinite++
			continue
		}
		if n == 0 || v < s.Min {
			s.Min = v
		}
		if n == 0 || v > s.Max {
			s.Max = v
		}
		n++
		sum += v
	}
	if n > 0 {
		s.Mean = sum / float64(n)
	}
	return s
}

// WriteInferSummary prints what ran, a row per output (and per seeded
// input, whose files were written too), the time of the batch and, when
// asked for, each output's difference from the reference kernels.
func WriteInferSummary(w io.Writer, s InferSummary) error {
	from := "inputs from the files given"
	if s.Seeded {
		from = fmt.Sprintf("seeded inputs (--seed %d, filled by the rule bench and the dashboard fill theirs by)", s.Seed)
	}
	on := s.Device
	if s.Precision != "" {
		on += " in " + s.Precision
	}
	fmt.Fprintf(w, "%s on %s (%s), batch %d, %s\n\n", s.Model, on, s.Engine, s.Batch, from)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENSOR\tNAME\tDTYPE\tSHAPE\tMIN\tMAX\tMEAN\tFILE")
	row := func(kind string, t TensorStats) {
		mean := fmt.Sprintf("%.6g", t.Mean)
		if t.NonFinite > 0 {
			mean += fmt.Sprintf(" (%d not finite)", t.NonFinite)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.6g\t%.6g\t%s\t%s\n", kind, t.Name, t.DType, shapeText(t.Shape), t.Min, t.Max, mean, t.File)
	}
	for _, t := range s.Outputs {
		row("output", t)
	}
	for _, t := range s.Inputs {
		row("input", t)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	fmt.Fprintf(w, "\ntime: %s for the batch (the second run; the first warmed up)\n", units.Millis(s.Took))
	tol := fmt.Sprintf("tolerance %.0e", s.Tolerance)
	if s.Precision != "" {
		tol = fmt.Sprintf("%s's tolerance %.0e", s.Precision, s.Tolerance)
	}
	if s.CPUDiffs != nil {
		fmt.Fprintf(w, "\nagainst the CPU engine in float32 (the same inputs; relative = max |diff| / max |cpu|, %s):\n", tol)
		writeDiffs(w, s.CPUDiffs, s.Tolerance)
	}
	if s.Diffs != nil {
		fmt.Fprintf(w, "\nagainst the reference kernels (the graph as loaded, unfused; relative = max |diff| / max |reference|, %s):\n", tol)
		writeDiffs(w, s.Diffs, s.Tolerance)
	}
	return nil
}

// writeDiffs prints a line per output: its differences and whether they
// are within tol.
func writeDiffs(w io.Writer, diffs []OutputDiff, tol float64) {
	for _, d := range diffs {
		verdict := "ok"
		if !(d.MaxRel <= tol) {
			verdict = "DIFFERS"
		}
		fmt.Fprintf(w, "  %s  max abs diff %.3g  max rel diff %.3g  %s\n", d.Output, d.MaxAbs, d.MaxRel, verdict)
	}
}

// DiffsAgree reports whether every output is within tol of the reference.
func DiffsAgree(diffs []OutputDiff, tol float64) bool {
	for _, d := range diffs {
		if !(d.MaxRel <= tol) {
			return false
		}
	}
	return true
}
