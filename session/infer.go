package session

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"

	"infertop/engine"
	"infertop/internal/npy"
	"infertop/model"
	"infertop/report"
)

// InputFile is one --input NAME=FILE.npy: the data of a graph input.
type InputFile struct {
	Name, Path string
}

// String reads as the flag was given, NAME=FILE.npy.
func (f InputFile) String() string { return f.Name + "=" + f.Path }

// Infer is one batch of a model, its inputs read and checked, ready to run.
type Infer struct {
	Model  *model.Model
	Batch  int
	Device engine.Device
	// Precision is what the device multiplies and convolves in (a GPU's;
	// the CPU computes in fp32).
	Precision engine.Precision
	// Seed drew the inputs when none were given (Seeded).
	Seed   uint64
	Seeded bool
	// Inputs are the graph's inputs in its order, with their names.
	Inputs []Named
}

// Named is a tensor with the name of the graph input or output it is.
type Named struct {
	Name   string
	Tensor *model.Tensor
}

// NewInfer reads and checks what one batch of m needs on device d: the
// batch (batch when not 0; else the first file's first dimension; else the
// model's default), then the inputs, either every one from files (each
// file's dtype and shape checked against the graph compiled for the batch;
// int32 and int64 files are accepted for either integer type, their values
// the same) or none, each then drawn from seed as bench and the dashboard
// draw theirs (model.FillInputs). Every error is a *UsageError that names
// the --input at fault.
func NewInfer(m *model.Model, d engine.Device, batch int, files []InputFile, seed uint64) (*Infer, error) {
	inf := &Infer{Model: m, Device: d, Seed: seed, Seeded: len(files) == 0}
	tensors, err := readInputs(m, files)
	if err != nil {
		return nil, err
	}
	inf.Batch = batch
	switch {
	case batch > 0:
	case m.FixedBatch() > 0 || len(files) == 0:
		inf.Batch = m.DefaultBatch
	default:
		first := tensors[files[0].Name]
		if len(first.Shape) == 0 || first.Shape[0] < 1 {
			return nil, usage("--input %s holds an array of shape %v; an input's first dimension is the batch", files[0], first.Shape)
		}
		inf.Batch = first.Shape[0]
	}
	g, err := m.Bind(inf.Batch)
	if err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	specs, _, err := g.Signature()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	if inf.Seeded {
		in := model.NewTensors(specs)
		model.FillInputs(m.Graph, in, seed)
		for i, s := range specs {
			inf.Inputs = append(inf.Inputs, Named{s.Name, in[i]})
		}
		return inf, nil
	}
	byName := map[string]InputFile{}
	for _, f := range files {
		byName[f.Name] = f
	}
	for _, s := range specs {
		t := tensors[s.Name]
		if err := fitInput(byName[s.Name], t, s); err != nil {
			return nil, err
		}
		inf.Inputs = append(inf.Inputs, Named{s.Name, t})
	}
	return inf, nil
}

// readInputs reads the --input files after checking that they name the
// graph's inputs, each once, and all of them (or none).
func readInputs(m *model.Model, files []InputFile) (map[string]*model.Tensor, error) {
	if len(files) == 0 {
		return nil, nil
	}
	inputs := m.Graph.Inputs
	seen := map[string]bool{}
	for _, f := range files {
		switch {
		case !slices.Contains(inputs, f.Name):
			return nil, usage("--input %s: %s has no input %q (its inputs: %s)", f, m.Name, f.Name, strings.Join(inputs, ", "))
		case seen[f.Name]:
			return nil, usage("--input %s: input %q is given twice", f, f.Name)
		}
		seen[f.Name] = true
	}
	var missing []string
	for _, in := range inputs {
		if !seen[in] {
			missing = append(missing, in)
		}
	}
	if len(missing) > 0 {
		return nil, usage("--input is given for %s but not for %s (give every input of %s, or none for seeded inputs)",
			strings.Join(slices.DeleteFunc(slices.Clone(inputs), func(s string) bool { return !seen[s] }), ", "), strings.Join(missing, ", "), m.Name)
	}
	out := map[string]*model.Tensor{}
	for _, f := range files {
		t, err := npy.ReadFile(f.Path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, usage("--input %s: cannot read it: %v", f, pe.Err)
			}
			if inner := errors.Unwrap(err); inner != nil {
				err = inner // the file's path, which the message names already
			}
			return nil, usage("--input %s: %v", f, err)
		}
		out[f.Name] = t
	}
	return out, nil
}

// fitInput checks a file's tensor t against the input s wants, widening or
// narrowing an integer file to the input's integer type.
func fitInput(f InputFile, t *model.Tensor, s model.TensorSpec) error {
	wrong := func() error {
		return usage("--input %s: %s %v, the model wants %s %v", f, t.DType, t.Shape, s.DType, s.Shape)
	}
	if t.DType != s.DType {
		if !t.DType.IsInt() || !s.DType.IsInt() {
			return wrong()
		}
		if s.DType == model.Int32 {
			for i, v := range t.I64 {
				if v < math.MinInt32 || v > math.MaxInt32 {
					return usage("--input %s: element %d is %d, outside the int32 range the model's input %q holds", f, i, v, s.Name)
				}
			}
		}
		t.DType = s.DType // both are held as int64
	}
	if !slices.Equal(t.Shape, s.Shape) {
		return wrong()
	}
	return nil
}

// InferResult is what one batch gave.
type InferResult struct {
	// Outputs are the graph's outputs in its order.
	Outputs []Named
	// Took is the second run's wall time (the first warmed up).
	Took time.Duration
	// Info is what the engine says of itself and of the prepared batch.
	Info engine.Info
	// Diffs compare each output with the reference kernels (RunInfer's
	// withReference): the largest absolute difference of an element, and that
	// over the largest magnitude of the reference's elements (relative to the
	// output's scale, so that elements near zero do not swamp it); NaN where an
	// element is not finite.
	Diffs []report.OutputDiff
	// CPUDiffs compare each output, the same way, with the float32 CPU
	// engine's on the same inputs: a run on a GPU, whatever its precision,
	// is checked against it (nil on the CPU, or in a build without the CPU
	// engine).
	CPUDiffs []report.OutputDiff
}

// RunInfer runs the batch twice on its device in its precision (the first
// run warms up) and keeps the second's outputs and time. On a GPU it also
// runs the batch on the float32 CPU engine and compares every output (the
// accuracy of the precision); withReference, it also evaluates the graph as
// loaded with the plain reference kernels (model.Eval: no fusion, no
// engine) on the same inputs and compares every output. A device whose
// engine cannot run the model is a *UsageError that says what it lacks.
func (m Machine) RunInfer(inf *Infer, withReference bool) (InferResult, error) {
	in := make([]*model.Tensor, len(inf.Inputs))
	for i, n := range inf.Inputs {
		in[i] = n.Tensor
	}
	out, took, info, err := runOnce(m.Registry, inf.Device.String(), engine.Options{Seed: inf.Seed, Precision: inf.Precision}, inf.Model, inf.Batch, in)
	var u *model.UnsupportedError
	switch {
	case errors.As(err, &u):
		return InferResult{}, usage("%s cannot run %s: %v (--device cpu runs every op infertop computes)", inf.Device, inf.Model.Name, err)
	case err != nil:
		return InferResult{}, fmt.Errorf("%s on %s at batch %d: %w", inf.Model.Name, inf.Device, inf.Batch, err)
	}
	res := InferResult{Took: took, Info: info}
	for i, name := range inf.Model.Graph.Outputs {
		res.Outputs = append(res.Outputs, Named{name, out[i]})
	}
	if inf.Device.Kind != engine.CPU && m.Registry.Has(engine.CPU) {
		base, err := runCPU(m.Registry, inf.Model, inf.Batch, in)
		if err != nil {
			return res, fmt.Errorf("the float32 baseline: %w", err)
		}
		for i, o := range res.Outputs {
			res.CPUDiffs = append(res.CPUDiffs, diff(o.Name, values(o.Tensor), values(base[i])))
		}
	}
	if !withReference {
		return res, nil
	}
	want, err := reference(inf.Model, in)
	if err != nil {
		return res, fmt.Errorf("reference: %w", err)
	}
	for i, o := range res.Outputs {
		res.Diffs = append(res.Diffs, diff(o.Name, values(o.Tensor), values(want[i])))
	}
	return res, nil
}

// diff compares got with want element by element.
func diff(name string, got, want []float64) report.OutputDiff {
	d := report.OutputDiff{Output: name}
	if len(got) != len(want) {
		return report.OutputDiff{Output: name, MaxAbs: math.NaN(), MaxRel: math.NaN()}
	}
	scale := 0.0
	for i := range got {
		e := math.Abs(got[i] - want[i])
		if math.IsNaN(e) || math.IsNaN(d.MaxAbs) {
			d.MaxAbs = math.NaN()
		} else {
			d.MaxAbs = max(d.MaxAbs, e)
		}
		scale = max(scale, math.Abs(want[i]))
	}
	d.MaxRel = d.MaxAbs
	if scale > 0 {
		d.MaxRel = d.MaxAbs / scale
	}
	return d
}
