// Package cpu is infertop's CPU engine: it runs a compiled model graph
// (model.Model.Bind) as a list of steps, each a kernel computing into buffers
// allocated once per batch size — fast kernels of our own for the heavy ops
// (convolutions over channels-last images, fused linear layers, attention,
// normalizations, pooling, element-wise math) and model.EvalNode, the
// reference kernels, for the rest. Matrix products go to OpenBLAS loaded at
// run time (or gonum without it), or, where it is quicker, to a kernel of our
// own over weights packed once (see gemmOp).
//
// Like every engine it never imports the runner or anything above it; its
// host memory and CPU model come from hostinfo, its cached peak from
// internal/peakcache.
package cpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/internal/blas"
	"infertop/model"
)

// executor runs one model on the CPU. It is used from one goroutine at a time.
type executor struct {
	m       *model.Model
	threads int
	c       *compute

	// readMem reports the memory a Prepare may use (hostinfo.ReadMemory("/") unless a test replaces it).
	readMem func() (hostinfo.Memory, error)
	// peak measures or reads the sgemm peak for Info (peakOf unless a test replaces it).
	peak     func(ctx context.Context, threads int, fresh bool) (calibration, error)
	peakDone bool
	peakVal  calibration
	fresh    bool // measure the peak again instead of reading the cache

	// ways holds the way each product was tuned to, by node and shape, so
	// that a batch size prepared again (the dashboard's + then −) is not
	// tuned again and computes as it did before.
	ways map[gemmShape]gemmWay

	plan   *prepared
	closed bool
}

// gemmShape identifies a product for the tuning's memory: the node and its sizes.
type gemmShape struct {
	name           string
	rows, in, outF int
}

// prepared is everything one batch size needs: the compiled graph, its
// steps and their buffers.
type prepared struct {
	batch          int
	g              *model.Graph
	steps          []*step
	in, out        []*val
	sigIn, sigOut  []model.TensorSpec
	mem            *memoryPlan
	arenas         *arenas
	scratch        []float32
	summary        string
	weights, bytes int64
	// desc describes the steps for a profile (engine.StepProfiler).
	desc []engine.Step
}

// options for tests and tools, beyond engine.Options.
type options struct {
	noLibrary bool // use gonum even when OpenBLAS is there
}

// New opens the CPU engine for model m. opts.Threads (0: every core) bounds
// both the Go workers and BLAS. Every graph m compiles to runs: ops without a
// fast kernel run on the reference kernels, so New refuses only what
// model.CheckSupported refuses, and a precision other than FP32.
func New(d engine.Device, m *model.Model, opts engine.Options) (engine.Executor, error) {
	return newExecutor(d, m, opts, options{})
}

func newExecutor(d engine.Device, m *model.Model, opts engine.Options, o options) (*executor, error) {
	if d.Kind != engine.CPU {
		return nil, fmt.Errorf("cpu engine: cannot run on %s", d)
	}
	if m == nil || m.Graph == nil {
		return nil, errors.New("cpu engine: no model")
	}
	if opts.Precision != engine.FP32 {
		return nil, fmt.Errorf("cpu engine: precision %s is not available: the CPU engine computes in float32 only (fp32)", opts.Precision)
	}
	if u := model.CheckSupported(m.Graph); len(u) > 0 {
		return nil, &model.UnsupportedError{Graph: m.Name, List: u}
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	s, err := chooseISA(os.Getenv(engine.CPUISAEnv), cpuISA())
	if err != nil {
		return nil, fmt.Errorf("cpu engine: %w", err)
	}
	lib, _ := blas.Load(blas.Options{NoLibrary: o.noLibrary})
	// Every product runs single-threaded inside our own parts: one level of
	// parallelism, so the machine is never oversubscribed.
	lib.SetThreads(1)
	e := &executor{
		m: m, threads: threads,
		c:       &compute{pool: newPool(threads), lib: lib, isa: s},
		ways:    map[gemmShape]gemmWay{},
		readMem: func() (hostinfo.Memory, error) { return hostinfo.ReadMemory("/") },
		peak:    peakOf,
		fresh:   opts.Recalibrate,
	}
	return e, nil
}

var (
	errClosed = errors.New("cpu engine: executor is closed")
	errNoPlan = errors.New("cpu engine: Run before Prepare")
)

// Prepare compiles the model for batch, plans its steps and buffers and
// allocates them, after checking that they fit in the memory available.
func (e *executor) Prepare(batch int) error {
	if e.closed {
		return errClosed
	}
	if e.plan != nil && e.plan.batch == batch {
		return nil
	}
	e.plan = nil // free the previous batch's buffers
	if err := e.m.CheckBatch(batch); err != nil {
		return err
	}
	g, err := e.m.Bind(batch)
	if err != nil {
		return err
	}
	pl, err := e.prepare(g, batch)
	if err != nil {
		return err
	}
	e.plan = pl
	return nil
}

// prepare plans and allocates a compiled graph.
func (e *executor) prepare(g *model.Graph, batch int) (*prepared, error) {
	sigIn, sigOut, err := g.Signature()
	if err != nil {
		return nil, fmt.Errorf("cpu engine: %w", err)
	}
	p := newPlanner(g, e.c)
	if err := p.plan(); err != nil {
		return nil, fmt.Errorf("cpu engine: %w", err)
	}
	pl := &prepared{batch: batch, g: g, steps: p.steps, sigIn: sigIn, sigOut: sigOut, summary: p.summary()}
	for _, name := range g.Inputs {
		pl.in = append(pl.in, p.vals[name][0])
	}
	for _, name := range g.Outputs {
		pl.out = append(pl.out, p.get(name, false))
	}
	pl.mem = planMemory(pl.in, pl.steps, pl.out)
	pl.weights = pl.mem.weights
	pl.bytes = pl.mem.bytes()

	// Count the bytes before allocating any of them.
	need := pl.weights + pl.bytes
	hm, err := e.readMem()
	if err != nil {
		return nil, fmt.Errorf("cpu engine: %w", err)
	}
	if need > hm.Available {
		return nil, &engine.OOMError{Device: "cpu", Batch: batch, Need: need, Available: hm.Available}
	}
	all := slices.Clone(pl.in)
	for _, s := range pl.steps {
		all = append(all, s.ins...)
		all = append(all, s.outs...)
	}
	all = append(all, pl.out...)
	pl.arenas = pl.mem.allocate(all)
	pl.scratch = make([]float32, pl.mem.scratch)
	for _, s := range pl.steps {
		if sc, ok := s.k.(scratchUser); ok {
			sc.setScratch(pl.scratch[:sc.scratchFloats()])
		}
		if b, ok := s.k.(binder); ok {
			b.bind()
		}
	}
	if err := tuneGemms(pl, e.ways); err != nil {
		return nil, fmt.Errorf("cpu engine: %w", err)
	}
	// The products' ways are chosen: count the weights they keep.
	pl.mem.recount(pl.steps, pl.out)
	pl.weights, pl.bytes = pl.mem.weights, pl.mem.bytes()
	pl.desc = describeSteps(g, pl.steps, e.c)
	return pl, nil
}

// tuneGemms lets every product and convolution that can run several ways
// (see gemmOp and convTuning) measure them now, on the plan's own buffers,
// so that every Run computes the same way and gives the same output bits.
// A step of a shape in ways takes the way found before; the others'
// choices are added to it.
func tuneGemms(pl *prepared, ways map[gemmShape]gemmWay) error {
	for _, s := range pl.steps {
		var key gemmShape
		var tuned func() bool
		var choose func(gemmWay) bool
		var way func() gemmWay
		switch k := s.k.(type) {
		case *linearKernel:
			g := &k.g
			key = gemmShape{name: s.name, rows: g.rows, in: g.in, outF: g.outF}
			tuned, choose, way = func() bool { return g.tuned }, g.choose, func() gemmWay { return g.way }
		case *convKernel:
			key = gemmShape{name: s.name, rows: k.rows, in: k.kkc, outF: k.m}
			tuned, way = func() bool { return k.tune.tuned }, func() gemmWay { return k.tune.way }
			choose = func(w gemmWay) bool {
				if !k.tune.choose(w) {
					return false
				}
				k.settled()
				return true
			}
		default:
			continue
		}
		if tuned() {
			continue
		}
		if w, known := ways[key]; known && choose(w) {
			continue
		}
		for !tuned() {
			if err := runStep(s); err != nil {
				return err
			}
		}
		ways[key] = way()
	}
	return nil
}

// OpError is returned by Run when a step fails or panics.
type OpError struct {
	// Node names the graph node (or the layout change) the step computes.
	Node  string
	Err   error
	Panic any // the recovered value when the step panicked
}

// Error names the node that failed and why.
func (e *OpError) Error() string {
	if e.Panic != nil {
		return fmt.Sprintf("cpu engine: node %s panicked: %v", e.Node, e.Panic)
	}
	return fmt.Sprintf("cpu engine: node %s: %v", e.Node, e.Err)
}

// Unwrap returns the step's own error.
func (e *OpError) Unwrap() error { return e.Err }

// Signature describes the prepared batch's inputs and outputs.
func (e *executor) Signature() (in, out []model.TensorSpec) {
	if e.plan == nil {
		return nil, nil
	}
	return e.plan.sigIn, e.plan.sigOut
}

// Run copies in into the engine's input buffers, runs every step in order,
// and copies the outputs to out.
func (e *executor) Run(in, out []*model.Tensor) (engine.Timing, error) {
	return engine.Timing{}, e.run(in, out, nil)
}

// run is Run, timing each step into times when it is not nil (RunProfiled).
func (e *executor) run(in, out []*model.Tensor, times []time.Duration) error {
	pl := e.plan
	if pl == nil {
		if e.closed {
			return errClosed
		}
		return errNoPlan
	}
	if err := checkTensors("input", in, pl.sigIn); err != nil {
		return err
	}
	if err := checkTensors("output", out, pl.sigOut); err != nil {
		return err
	}
	if e.c.lib.Threads() > 1 { // something else in the process changed OpenBLAS's setting
		e.c.lib.SetThreads(1)
	}
	for i, v := range pl.in {
		copyTensor(v.t, in[i])
	}
	if err := runSteps(pl.steps, times); err != nil {
		return err
	}
	for i, v := range pl.out {
		copyTensor(out[i], v.t)
	}
	return nil
}

// checkTensors checks Run's tensors against the signature: their number,
// dtypes, shapes and data.
func checkTensors(what string, ts []*model.Tensor, specs []model.TensorSpec) error {
	if len(ts) != len(specs) {
		return fmt.Errorf("cpu engine: Run with %d %ss, the model has %d", len(ts), what, len(specs))
	}
	for i, t := range ts {
		s := specs[i]
		switch {
		case t == nil:
			return fmt.Errorf("cpu engine: %s %d (%q) is nil", what, i, s.Name)
		case t.DType != s.DType:
			return fmt.Errorf("cpu engine: %s %d (%q) is %s, the model's is %s", what, i, s.Name, t.DType, s.DType)
		case !slices.Equal(t.Shape, s.Shape):
			return fmt.Errorf("cpu engine: %s %d (%q) has shape %v, the prepared batch's is %v", what, i, s.Name, t.Shape, s.Shape)
		case t.Stored() != s.Elems():
			return fmt.Errorf("cpu engine: %s %d (%q) holds %d elements, its shape %v says %d", what, i, s.Name, t.Stored(), s.Shape, s.Elems())
		}
	}
	return nil
}

// copyTensor copies the elements of src into dst (same dtype and size).
func copyTensor(dst, src *model.Tensor) {
	copy(dst.F32, src.F32)
	copy(dst.I64, src.I64)
	copy(dst.Bool, src.Bool)
}

// runStep runs one step, turning a panic into an *OpError.
func runStep(s *step) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &OpError{Node: s.name, Panic: r}
		}
	}()
	if err := s.k.compute(); err != nil {
		return &OpError{Node: s.name, Err: err}
	}
	return nil
}

// Memory reports the prepared batch's weights (as the kernels read them),
// buffers and scratch; nothing before a batch is prepared.
func (e *executor) Memory() engine.Memory {
	if e.plan == nil {
		return engine.Memory{}
	}
	return engine.Memory{HostBytes: e.plan.weights + e.plan.bytes}
}

// Info describes the engine. The first call reads the sgemm peak from the
// cache, or measures it (about a third of a second) when it is not there.
func (e *executor) Info() engine.Info {
	if !e.peakDone && !e.closed {
		e.peakDone = true
		if c, err := e.peak(context.Background(), e.threads, e.fresh); err == nil {
			e.peakVal = c
		}
	}
	info := engine.Info{
		Device:     "cpu",
		Engine:     "cpu+" + e.c.lib.Name(),
		Detail:     e.c.lib.Description(),
		Threads:    e.threads,
		PeakGFLOPS: e.peakVal.gflops,
		Peak:       e.peakVal.peak,
		Precision:  engine.FP32,
	}
	if e.plan != nil {
		info.Plan = e.plan.summary
	}
	return info
}

// Close stops the workers and drops every buffer.
func (e *executor) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	e.plan = nil
	e.c.pool.close()
	return nil
}
