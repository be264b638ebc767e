package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"infertop/engine"
	"infertop/model"
	"infertop/onnx"
	"infertop/presets"
	"infertop/report"
	"infertop/runner"
)

// Inspect describes the model name names at batch (0: the model's default
// batch): a preset, when a preset has that name, else an ONNX file loaded
// with the named dimensions dims bound. A file the loader refuses because
// some of its nodes cannot be computed is described by that list alone (the
// loader gives nothing else). Every other error is a *UsageError: a file
// that cannot be read or is not a model, an unbound dimension, a batch a
// fixed-batch export cannot run at, a graph whose shapes do not work out.
func Inspect(name string, dims map[string]int, batch int) (report.Inspection, error) {
	m, err := inspectable(name, dims)
	var u *model.UnsupportedError
	switch {
	case errors.As(err, &u):
		return report.Inspection{Model: name, Kind: "onnx", Unsupported: unsupportedRows(u.List),
			Note: "the file does not load while some of its nodes cannot be computed, so they are all that can be shown"}, nil
	case err != nil:
		return report.Inspection{}, err
	}
	return InspectModel(m, batch)
}

// inspectable opens the preset or the file name names; a file refused for
// nodes that cannot be computed comes back as its *model.UnsupportedError.
func inspectable(name string, dims map[string]int) (*model.Model, error) {
	cat := presets.NewModels(presets.DefaultSeed)
	for _, p := range cat.Names() {
		if strings.EqualFold(p, strings.TrimSpace(name)) {
			if len(dims) > 0 {
				return nil, usage("--dim binds named dimensions of ONNX files, and %s is a preset (its shapes are fixed)", p)
			}
			return cat.Get(p)
		}
	}
	m, err := onnx.Load(name, onnx.LoadOptions{Dims: dims})
	if err == nil {
		return m, nil
	}
	var u *model.UnsupportedError
	if errors.As(err, &u) {
		return nil, u
	}
	if _, statErr := os.Stat(name); errors.Is(statErr, os.ErrNotExist) && !strings.ContainsRune(name, filepath.Separator) && filepath.Ext(name) == "" {
		names := cat.Names()
		sort.Strings(names)
		return nil, usage("%s is neither a file nor a preset (presets: %s; a file is given by its path, e.g. model.onnx)", name, strings.Join(names, ", "))
	}
	return nil, &UsageError{Msg: modelError(name, err)}
}

// InspectModel describes m at batch (0: its default): what the graph as
// loaded declares, then what it compiles to at that batch. A graph whose
// nodes cannot all be computed once compiled is described up to its
// parameters, with the list.
func InspectModel(m *model.Model, batch int) (report.Inspection, error) {
	if batch == 0 {
		batch = m.DefaultBatch
	}
	if err := m.CheckBatch(batch); err != nil {
		return report.Inspection{}, &UsageError{Msg: err.Error()}
	}
	g := m.Graph
	ins := report.Inspection{
		Model: m.Name, Kind: "onnx", Producer: g.Producer, Opset: g.Opset, Description: m.Description, Graph: g.Name,
		Batch: batch, DefaultBatch: m.DefaultBatch, FixedBatch: m.FixedBatch(), Dims: m.Dims,
		Inputs: declared(g, g.Inputs), Outputs: declared(g, g.Outputs), Nodes: len(g.Nodes),
		Params: &report.Params{Count: g.ParamCount(), Bytes: 4 * g.ParamCount()},
	}
	if m.Source == presets.ModelSource {
		ins.Kind = "preset"
	}
	for _, o := range g.OpCounts() {
		ins.Ops = append(ins.Ops, report.OpCount{Op: o.Op, Count: o.Count})
	}
	c, err := m.Bind(batch)
	var u *model.UnsupportedError
	switch {
	case errors.As(err, &u):
		ins.Unsupported = unsupportedRows(u.List)
		ins.Note = "a graph compiles only once every node can be computed, so its FLOPs, memory and steps are not known"
		return ins, nil
	case err != nil:
		return report.Inspection{}, &UsageError{Msg: fmt.Sprintf("%v (at batch %d)", err, batch)}
	}
	if err := compiledFigures(&ins, m, c); err != nil {
		return report.Inspection{}, err
	}
	ins.Complete = true
	return ins, nil
}

// InspectWithPlan is Inspect with the CUDA engine's plan at the batch in
// precision p (inspect --plan cuda), when the graph compiles.
func InspectWithPlan(name string, dims map[string]int, batch int, p engine.Precision) (report.Inspection, error) {
	ins, err := Inspect(name, dims, batch)
	if err != nil || !ins.Complete {
		return ins, err
	}
	m, err := inspectable(name, dims)
	if err != nil {
		return report.Inspection{}, err
	}
	c, err := m.Bind(ins.Batch)
	if err != nil {
		return report.Inspection{}, &UsageError{Msg: fmt.Sprintf("%v (at batch %d)", err, ins.Batch)}
	}
	if ins.GPUPlan, err = gpuPlan(c, ins.Batch, p); err != nil {
		return report.Inspection{}, err
	}
	return ins, nil
}

// compiledFigures fills what the graph c compiled for ins.Batch says: the
// bound shapes, FLOPs, memory, the steps and the fusion.
func compiledFigures(ins *report.Inspection, m *model.Model, c *model.Graph) error {
	in, out, err := c.Signature()
	if err != nil {
		return fmt.Errorf("%s: %w", m.Name, err)
	}
	bind(ins.Inputs, in)
	bind(ins.Outputs, out)
	flops := c.FLOPs()
	ins.FLOPs = &report.FLOPs{PerSample: flops / int64(ins.Batch), PerBatch: flops}
	fp, err := c.Footprint()
	if err != nil {
		return fmt.Errorf("%s: %w", m.Name, err)
	}
	est, err := runner.MemoryEstimate(m, ins.Batch)
	if err != nil {
		return err
	}
	ins.Memory = &report.Memory{Weights: fp.Constants, Inputs: fp.Inputs, ActivationsPeak: fp.Peak,
		ActivationsAll: fp.Values, Estimate: est}
	ins.Steps = steps(m.Graph, c)
	ins.Fusion = fusion(m.Graph, ins.Steps)
	return nil
}

// declared describes the named values of g as g declares them.
func declared(g *model.Graph, names []string) []report.TensorInfo {
	out := make([]report.TensorInfo, 0, len(names))
	for _, n := range names {
		t := report.TensorInfo{Name: n}
		if v := g.Values[n]; v != nil {
			t.DType = v.DType.String()
			if v.Shape != nil {
				t.Declared = make([]string, len(v.Shape))
				for i, d := range v.Shape {
					t.Declared[i] = d.String()
				}
			}
		}
		out = append(out, t)
	}
	return out
}

// bind gives each tensor its shape at the batch, and its dtype where the
// graph does not declare one (a preset's outputs).
func bind(ts []report.TensorInfo, specs []model.TensorSpec) {
	for i := range ts {
		ts[i].Shape = specs[i].Shape
		if ts[i].DType == "" || ts[i].DType == model.Undefined.String() {
			ts[i].DType = specs[i].DType.String()
		}
	}
}

func unsupportedRows(list []model.Unsupported) []report.Unsupported {
	out := make([]report.Unsupported, len(list))
	for i, u := range list {
		out[i] = report.Unsupported{Op: u.Op, Opset: u.Opset, Node: u.Node, Count: u.Count, Reason: u.Reason}
	}
	return out
}
