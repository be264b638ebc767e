package backendtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"infertop/model"
	"infertop/onnx"
)

// Runner computes the outputs of a compiled graph (what model.Compile
// returns) from its inputs, both in the graph's order (g.Inputs, g.Outputs).
// m is the model as loaded, its Graph the one g was compiled from (with the
// inputs a shape depends on made constants). An engine joins the suite with
// a Runner that prepares g on its device and runs it once.
type Runner func(m *model.Model, g *model.Graph, inputs []*model.Tensor) ([]*model.Tensor, error)

// Reference runs a compiled graph with the model package's reference kernels (model.Eval).
func Reference(_ *model.Model, g *model.Graph, inputs []*model.Tensor) ([]*model.Tensor, error) {
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("%d inputs for the graph's %d", len(inputs), len(g.Inputs))
	}
	in := make(map[string]*model.Tensor, len(inputs))
	for i, name := range g.Inputs {
		in[name] = inputs[i]
	}
	res, err := model.Eval(g, in)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Tensor, len(g.Outputs))
	for i, name := range g.Outputs {
		out[i] = res[name]
	}
	return out, nil
}

// Status is how a test ended.
type Status uint8

// The ends of a test.
const (
	// Passed: every output of every data set agrees with the expected one.
	Passed Status = iota + 1
	// Refused: the loader or Compile refused the model, with its reason.
	Refused
	// Failed: an output differs from the expected one.
	Failed
	// Errored: anything else went wrong (a tensor file, the runner, the outputs' count).
	Errored
)

// String is the status in a word.
func (s Status) String() string {
	switch s {
	case Passed:
		return "passed"
	case Refused:
		return "refused"
	case Failed:
		return "failed"
	case Errored:
		return "error"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Result is how one test ended, and why.
type Result struct {
	Case
	Info
	Status Status
	// Reasons say why a test was refused (one per kind of node the loader
	// lists, or the one error of the loader or Compile) or errored.
	Reasons []string
	// Mismatch says where a failed test's output differs.
	Mismatch *Mismatch
	// DataSets is how many data sets the test holds.
	DataSets int
	// Constants are the graph inputs made constants because a shape depends on their data.
	Constants []string
}

// Options change how tests run.
type Options struct {
	// Runner computes the outputs; nil is Reference.
	Runner Runner
	// Tolerance for float32 outputs; the zero value is ONNX's (DefaultRTol, DefaultATol).
	Tolerance Tolerance
}

// Run runs one test: it loads the model, reads its data sets, compiles the
// graph for each data set's input shapes, runs it and compares the outputs.
// A panic anywhere in it is reported as an error.
func Run(c Case, o Options) (r Result) {
	r = Result{Case: c}
	defer func() {
		if p := recover(); p != nil {
			r.Status, r.Reasons, r.Mismatch = Errored, []string{fmt.Sprintf("panic: %v", p)}, nil
		}
	}()
	if o.Runner == nil {
		o.Runner = Reference
	}
	if o.Tolerance == (Tolerance{}) {
		o.Tolerance = Tolerance{RTol: DefaultRTol, ATol: DefaultATol}
	}
	path := filepath.Join(c.Dir, "model.onnx")
	info, err := ReadInfo(path)
	if err != nil {
		return r.errored(err)
	}
	r.Info = info
	sets, dataErr := ReadDataSets(c.Dir)
	r.DataSets = len(sets)
	var dims map[string]int
	if dataErr == nil {
		if _, dims, dataErr = bindingOf(info, sets[0]); dataErr != nil {
			return r.errored(dataErr)
		}
	}
	m, err := onnx.Load(path, onnx.LoadOptions{Dims: dims})
	var fe *onnx.Error
	switch {
	case errors.As(err, &fe):
		return r.refused(fe.Err)
	case err != nil:
		return r.errored(err)
	case dataErr != nil:
		return r.errored(dataErr)
	}
	for _, ds := range sets {
		if done := r.runSet(m, ds, o); done {
			return r
		}
	}
	r.Status = Passed
	return r
}

// runSet runs one data set; true when the test ended with it (refused,
// failed or errored).
func (r *Result) runSet(m *model.Model, ds DataSet, o Options) bool {
	ins, err := match(m.Graph.Inputs, ds.Inputs, "input")
	if err != nil {
		r.errored(err)
		return true
	}
	batch, dims, err := bindingOf(r.Info, ds)
	if err != nil {
		r.errored(err)
		return true
	}
	src, g, err := r.compile(m, ins, model.Binding{Batch: batch, Dims: dims})
	if err != nil {
		r.refused(err)
		return true
	}
	feed := make([]*model.Tensor, len(g.Inputs))
	for i, name := range g.Inputs {
		feed[i] = ins[slices.Index(m.Graph.Inputs, name)]
	}
	loaded := &model.Model{Name: m.Name, Description: m.Description, Source: m.Source, Graph: src,
		DefaultBatch: m.DefaultBatch, Dims: m.Dims}
	outs, err := o.Runner(loaded, g, feed)
	if err != nil {
		r.errored(err)
		return true
	}
	want, err := match(g.Outputs, ds.Outputs, "output")
	if err == nil && len(outs) != len(want) {
		err = fmt.Errorf("the runner returned %d outputs, the graph has %d", len(outs), len(want))
	}
	if err != nil {
		r.errored(err)
		return true
	}
	for i, w := range want {
		if mm := Compare(outs[i], w, o.Tolerance); mm != nil {
			mm.DataSet, mm.Output = ds.Name, g.Outputs[i]
			r.Status, r.Mismatch = Failed, mm
			return true
		}
	}
	return false
}

// compile compiles m's graph at b and returns the graph compiled and the
// result; a graph input whose data a shape depends on (a
// *model.RuntimeInputError names it) is made a constant of its value in the
// data set, and the graph compiled again.
func (r *Result) compile(m *model.Model, ins []*model.Tensor, b model.Binding) (src, compiled *model.Graph, err error) {
	consts := slices.Clone(r.Constants)
	for {
		g := m.Graph.Clone()
		for _, name := range consts {
			t := ins[slices.Index(m.Graph.Inputs, name)]
			v := g.Values[name]
			v.Const, v.DType, v.Shape = t, t.DType, t.ShapeOf()
			g.Inputs = slices.DeleteFunc(g.Inputs, func(s string) bool { return s == name })
		}
		c, err := model.Compile(g, b)
		var ri *model.RuntimeInputError
		if err == nil || !errors.As(err, &ri) || !slices.Contains(g.Inputs, ri.Input) {
			if err == nil {
				r.Constants = consts
			}
			return g, c, err
		}
		consts = append(consts, ri.Input)
	}
}

// bindingOf reads the batch and the named dimensions a data set's inputs
// give the graph's declared inputs: the batch is the first dimension of the
// first input whose first dimension is not a fixed size (1 when none is), a
// named dimension elsewhere takes the size it has in the data.
func bindingOf(info Info, ds DataSet) (int, map[string]int, error) {
	names := make([]string, len(info.inputs))
	for i, in := range info.inputs {
		names[i] = in.name
	}
	ts, err := match(names, ds.Inputs, "input")
	if err != nil {
		return 0, nil, err
	}
	batch := 0
	dims := map[string]int{}
	for i, in := range info.inputs {
		if len(in.dims) != len(ts[i].Shape) {
			return 0, nil, fmt.Errorf("input %q has shape %v in %s, the graph declares rank %d", in.name, ts[i].Shape, ds.Name, len(in.dims))
		}
		for k, d := range in.dims {
			switch {
			case d.Known():
			case k == 0 && batch == 0:
				batch = ts[i].Shape[0]
			case k > 0 && d.Name != "":
				dims[d.Name] = ts[i].Shape[k]
			}
		}
	}
	if batch == 0 {
		batch = 1
	}
	return batch, dims, nil
}

// refused ends the test refused by err: one reason per kind of node an
// *model.UnsupportedError lists, else the error's text.
func (r *Result) refused(err error) Result {
	r.Status, r.Reasons = Refused, nil
	var u *model.UnsupportedError
	if errors.As(err, &u) {
		for _, x := range u.List {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s: %s", x.Op, x.Reason))
		}
		return *r
	}
	r.Reasons = []string{err.Error()}
	return *r
}

// errored ends the test with an error.
func (r *Result) errored(err error) Result {
	r.Status, r.Reasons = Errored, []string{err.Error()}
	return *r
}

// RunAll runs the cases on up to GOMAXPROCS goroutines and returns their
// results in the cases' order. It stops starting tests when ctx is done and
// returns ctx's error then.
func RunAll(ctx context.Context, cases []Case, o Options) ([]Result, error) {
	out := make([]Result, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i] = Run(cases[i], o)
			}
		})
	}
	var err error
feed:
	for i := range cases {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return out, err
}
