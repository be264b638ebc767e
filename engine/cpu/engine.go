// Package cpu is infertop's CPU engine: a gorgonia expression graph built
// from a preset once per batch size, whose heavy nodes are custom ops
// (im2col convolution, fused linear layers, attention, layer norm, pooling)
// computing into buffers allocated once, run by a small driver of our own.
// Matrix products go to OpenBLAS loaded at run time, or gonum without it.
//
// Like every engine it never imports the runner or anything above it; its
// host memory and CPU model come from hostinfo, its cached peak from
// internal/peakcache.
package cpu

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/internal/blas"
	"infertop/presets"
)

// executor runs one preset on the CPU. It is used from one goroutine at a time.
type executor struct {
	p       *presets.Preset
	threads int
	c       *compute
	weights map[string]*tensor.Dense
	wBytes  int64

	// readMem reports the memory a Prepare may use (hostinfo.ReadMemory("/") unless a test replaces it).
	readMem func() (hostinfo.Memory, error)
	// peak measures or reads the sgemm peak for Info (PeakGFLOPS unless a test replaces it).
	peak     func(ctx context.Context, threads int) (float64, error)
	peakDone bool
	peakVal  float64

	// ways holds the way each product was tuned to, by shape, so that a batch
	// size prepared again (the dashboard's + then −) is not tuned again and
	// computes as it did before.
	ways map[gemmShape]gemmWay

	plan   *plan
	closed bool
}

// gemmShape identifies a product for the tuning's memory: the layer and its
// sizes.
type gemmShape struct {
	name           string
	rows, in, outF int
}

// plan is everything one batch size needs: the graph and the buffers.
type plan struct {
	batch  int
	g      *gorgonia.ExprGraph
	steps  []step
	input  []float32
	output []float32
	bytes  int64
}

// step is one op node of the graph in execution order.
type step struct {
	name string
	op   gorgonia.UsePreallocDoer
	out  gorgonia.Value
	ins  []gorgonia.Value
}

// Options for tests and tools, beyond engine.Options.
type options struct {
	noLibrary bool // use gonum even when OpenBLAS is there
}

// New opens the CPU engine for preset p. opts.Threads (0: every core) bounds
// both the Go workers and BLAS.
func New(d engine.Device, p *presets.Preset, opts engine.Options) (engine.Executor, error) {
	return newExecutor(d, p, opts, options{})
}

func newExecutor(d engine.Device, p *presets.Preset, opts engine.Options, o options) (*executor, error) {
	if d.Kind != engine.CPU {
		return nil, fmt.Errorf("cpu engine: cannot run on %s", d)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	lib, _ := blas.Load(blas.Options{NoLibrary: o.noLibrary})
	// Every product runs single-threaded inside our own parts: one level of
	// parallelism, so the machine is never oversubscribed.
	lib.SetThreads(1)
	seed := opts.Seed
	if seed == 0 {
		seed = presets.DefaultSeed
	}
	w, wb := weightsFor(p, seed)
	e := &executor{
		p: p, threads: threads,
		c:       &compute{pool: newPool(threads), lib: lib},
		weights: w, wBytes: wb,
		ways:    map[gemmShape]gemmWay{},
		readMem: func() (hostinfo.Memory, error) { return hostinfo.ReadMemory("/") },
		peak:    PeakGFLOPS,
	}
	if opts.Recalibrate {
		e.peak = RecalibratePeakGFLOPS
	}
	return e, nil
}

var errClosed = errors.New("cpu engine: executor is closed")

// Prepare builds the graph for batch and allocates its buffers, after
// checking that they fit in the memory available.
func (e *executor) Prepare(batch int) error {
	if e.closed {
		return errClosed
	}
	if batch <= 0 {
		return fmt.Errorf("cpu engine: batch %d must be positive", batch)
	}
	if e.plan != nil && e.plan.batch == batch {
		return nil
	}
	e.plan = nil // free the previous batch's buffers
	b := &builder{c: e.c, batch: batch, weights: e.weights}
	in, out, err := b.build(e.p)
	if err != nil {
		return err
	}
	order, err := gorgonia.Sort(b.g)
	if err != nil {
		return fmt.Errorf("cpu engine: sorting the graph: %w", err)
	}
	// Sort puts the root first: run from the leaves up.
	nodes := make([]*gorgonia.Node, 0, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		nodes = append(nodes, order[i])
	}

	// Count the bytes before allocating any of them.
	var floats int64
	for _, n := range nodes {
		if n.Op() == nil {
			if n == in {
				floats += int64(n.Shape().TotalSize())
			}
			continue
		}
		if _, alias := n.Op().(interface{ aliasesInput() int }); !alias {
			floats += int64(n.Shape().TotalSize())
		}
		if s, ok := n.Op().(interface{ scratchFloats() int }); ok {
			floats += int64(s.scratchFloats())
		}
	}
	need := 4 * floats
	hm, err := e.readMem()
	if err != nil {
		return fmt.Errorf("cpu engine: %w", err)
	}
	if need > hm.Available {
		return &engine.OOMError{Device: "cpu", Batch: batch, Need: need, Available: hm.Available}
	}

	pl := &plan{batch: batch, g: b.g, bytes: need}
	vals := map[int64]gorgonia.Value{}
	newDense := func(shape []int, backing []float32) *tensor.Dense {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
	}
	for _, n := range nodes {
		id := n.ID()
		if n.Op() == nil {
			if n == in {
				pl.input = make([]float32, n.Shape().TotalSize())
				vals[id] = newDense(n.Shape(), pl.input)
			} else {
				vals[id] = n.Value()
			}
			continue
		}
		op, ok := n.Op().(gorgonia.UsePreallocDoer)
		if !ok {
			return fmt.Errorf("cpu engine: op %v of %s cannot compute into a preallocated buffer", n.Op(), n.Name())
		}
		st := step{name: n.Name(), op: op}
		it := b.g.From(id)
		for it.Next() {
			c := it.Node().(*gorgonia.Node)
			v := vals[c.ID()]
			if v == nil {
				return fmt.Errorf("cpu engine: %s reads %s before it is computed", n.Name(), c.Name())
			}
			st.ins = append(st.ins, v)
		}
		if a, ok := n.Op().(interface{ aliasesInput() int }); ok {
			st.out = newDense(n.Shape(), f32(st.ins[a.aliasesInput()]))
		} else {
			st.out = newDense(n.Shape(), make([]float32, n.Shape().TotalSize()))
		}
		if s, ok := n.Op().(interface {
			scratchFloats() int
			setScratch([]float32)
		}); ok {
			s.setScratch(make([]float32, s.scratchFloats()))
		}
		vals[id] = st.out
		pl.steps = append(pl.steps, st)
	}
	pl.output = f32(vals[out.ID()])
	if len(pl.input) != batch*e.p.InputSize() || len(pl.output) != batch*e.p.OutputSize() {
		return fmt.Errorf("cpu engine: graph maps %d inputs to %d outputs, want %d and %d",
			len(pl.input), len(pl.output), batch*e.p.InputSize(), batch*e.p.OutputSize())
	}
	if err := tuneGemms(pl, e.ways); err != nil {
		return fmt.Errorf("cpu engine: %w", err)
	}
	e.plan = pl
	return nil
}

// tuneGemms lets every product that can run two ways (see gemmOp) measure
// them now, on the plan's own buffers, so that every Run computes the same
// way and gives the same output bits. A product of a shape in ways takes the
// way found before; the others' choices are added to it.
func tuneGemms(pl *plan, ways map[gemmShape]gemmWay) error {
	for i := range pl.steps {
		g, ok := pl.steps[i].op.(*gemmOp)
		if !ok || g.tuned {
			continue
		}
		key := gemmShape{name: g.name, rows: g.rows, in: g.in, outF: g.outF}
		if w, known := ways[key]; known && g.choose(w) {
			continue
		}
		for !g.tuned {
			if err := runStep(&pl.steps[i]); err != nil {
				return err
			}
		}
		ways[key] = g.way
	}
	return nil
}

// OpError is returned by Run when an op fails or panics.
type OpError struct {
	Node  string
	Err   error
	Panic any // the recovered value when the op panicked
}

// Error names the op that failed and why.
func (e *OpError) Error() string {
	if e.Panic != nil {
		return fmt.Sprintf("cpu engine: op %s panicked: %v", e.Node, e.Panic)
	}
	return fmt.Sprintf("cpu engine: op %s: %v", e.Node, e.Err)
}

// Unwrap returns the op's own error.
func (e *OpError) Unwrap() error { return e.Err }

// Run copies in into the input buffer, runs every op in order, and copies the result to out.
func (e *executor) Run(in, out []float32) (engine.Timing, error) {
	pl := e.plan
	if pl == nil {
		if e.closed {
			return engine.Timing{}, errClosed
		}
		return engine.Timing{}, errors.New("cpu engine: Run before Prepare")
	}
	if len(in) != len(pl.input) || len(out) != len(pl.output) {
		return engine.Timing{}, fmt.Errorf("cpu engine: Run with %d inputs and %d outputs, batch %d needs %d and %d",
			len(in), len(out), pl.batch, len(pl.input), len(pl.output))
	}
	if e.c.lib.Threads() > 1 { // something else in the process changed OpenBLAS's setting
		e.c.lib.SetThreads(1)
	}
	copy(pl.input, in)
	for i := range pl.steps {
		if err := runStep(&pl.steps[i]); err != nil {
			return engine.Timing{}, err
		}
	}
	copy(out, pl.output)
	return engine.Timing{}, nil
}

// runStep runs one op, turning a panic into an *OpError.
func runStep(s *step) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &OpError{Node: s.name, Panic: r}
		}
	}()
	if _, err := s.op.UsePreallocDo(s.out, s.ins...); err != nil {
		return &OpError{Node: s.name, Err: err}
	}
	return nil
}

// Memory reports the weights and the prepared batch's buffers.
func (e *executor) Memory() engine.Memory {
	m := engine.Memory{HostBytes: e.wBytes}
	if e.closed {
		m.HostBytes = 0
	}
	if e.plan != nil {
		m.HostBytes += e.plan.bytes
	}
	return m
}

// Info describes the engine. The first call reads the sgemm peak from the
// cache, or measures it (about a third of a second) when it is not there.
func (e *executor) Info() engine.Info {
	if !e.peakDone && !e.closed {
		e.peakDone = true
		if v, err := e.peak(context.Background(), e.threads); err == nil {
			e.peakVal = v
		}
	}
	return engine.Info{
		Device:     "cpu",
		Engine:     "gorgonia+" + e.c.lib.Name(),
		Detail:     e.c.lib.Description(),
		Threads:    e.threads,
		PeakGFLOPS: e.peakVal,
	}
}

// Close stops the workers and drops every buffer.
func (e *executor) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	e.plan = nil
	e.weights = nil
	e.c.pool.close()
	return nil
}
