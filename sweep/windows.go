package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/runner"
)

// Defaults of ExecWindower.
const (
	DefaultCompareWindow = time.Second
	DefaultCompareWarmup = time.Second
	// MinWindowBatches is the least number of batches in one compare window.
	MinWindowBatches = 5
)

// ExecWindower races two executors of one model: it is the Windower the
// program uses. Open it with NewExecWindower and Close it when done.
type ExecWindower struct {
	model *model.Model
	seed  uint64
	// Warmup is run on each side after every Prepare; WindowLen is the least
	// length of one window (defaults above).
	Warmup, WindowLen time.Duration
	// Now reads the clock (default time.Now).
	Now func() time.Time
	// Energy, when set, reads the energy counters of what each side's
	// device runs on (its GPUs, or the CPU packages) where each measured
	// window starts and ends (nil: none).
	Energy runner.EnergyMeter

	sides [2]Side
	ex    [2]engine.Executor
	in    [2][]*model.Tensor
	out   [2][]*model.Tensor
	lat   []time.Duration
	prep  int
}

// NewExecWindower opens the model on both sides.
func NewExecWindower(reg *engine.Registry, m *model.Model, a, b Side, seed uint64) (*ExecWindower, error) {
	w := &ExecWindower{model: m, seed: seed, Warmup: DefaultCompareWarmup, WindowLen: DefaultCompareWindow, Now: time.Now,
		sides: [2]Side{a, b}}
	for i, s := range [2]Side{a, b} {
		ex, err := reg.Open(s.Device, m, engine.Options{Seed: seed, Threads: s.Threads, Precision: s.Precision})
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("opening %s on %s: %w", m.Name, s, err)
		}
		w.ex[i] = ex
		if s.Device != "cpu" {
			w.sides[i].Precision = ex.Info().Precision // what the engine says it runs in
		}
	}
	return w, nil
}

// Sides are the two sides as their executors describe them: a GPU side's
// precision is the one its engine reports running in.
func (w *ExecWindower) Sides() (a, b Side) { return w.sides[0], w.sides[1] }

// Prepare readies both sides at batch, each with the input and output
// tensors its signature asks for (the same input data on both), and warms
// each up.
func (w *ExecWindower) Prepare(ctx context.Context, batch int) error {
	if err := w.model.CheckBatch(batch); err != nil {
		return err
	}
	for i, ex := range w.ex {
		if err := safeCall(func() error { return ex.Prepare(batch) }); err != nil {
			return err
		}
		in, out := ex.Signature()
		w.in[i], w.out[i] = model.NewTensors(in), model.NewTensors(out)
		model.FillInputs(w.model.Graph, w.in[i], w.seed)
	}
	w.prep = batch
	for i := range w.ex {
		if _, err := w.run(ctx, i, w.Warmup, 3); err != nil {
			return err
		}
	}
	return nil
}

// Window runs side i for at least WindowLen and MinWindowBatches batches,
// with its device's energy over them when Energy reads a counter for it.
func (w *ExecWindower) Window(ctx context.Context, side int) (WindowResult, error) {
	dev := w.sides[side].Device
	start, startOK, serr := runner.ReadMeter(w.Energy, dev)
	res, err := w.run(ctx, side, w.WindowLen, MinWindowBatches)
	if err != nil || w.Energy == nil {
		return res, err
	}
	end, endOK, eerr := runner.ReadMeter(w.Energy, dev)
	// A failed read leaves the window's figure unknown, and says why.
	res.Energy = runner.EnergyOver(start, startOK && serr == nil, end, endOK && eerr == nil, res.Samples)
	res.EnergyErr = cmp.Or(serr, eerr)
	return res, nil
}

func (w *ExecWindower) run(ctx context.Context, side int, least time.Duration, minBatches int) (WindowResult, error) {
	if w.prep == 0 {
		return WindowResult{}, errors.New("compare: no batch prepared")
	}
	w.lat = w.lat[:0]
	ex, in, out := w.ex[side], w.in[side], w.out[side]
	start := w.Now()
	var n int
	for ctx.Err() == nil {
		t0 := w.Now()
		err := safeCall(func() error { _, err := ex.Run(in, out); return err })
		t1 := w.Now()
		if err != nil {
			return WindowResult{}, err
		}
		w.lat = append(w.lat, t1.Sub(t0))
		n++
		if t1.Sub(start) >= least && n >= minBatches {
			break
		}
	}
	return WindowResult{Samples: int64(n * w.prep), Duration: w.Now().Sub(start), Latencies: w.lat}, nil
}

// Close closes both executors.
func (w *ExecWindower) Close() {
	for i, ex := range w.ex {
		if ex != nil {
			_ = ex.Close()
			w.ex[i] = nil
		}
	}
}

// safeCall turns an executor panic into an error.
func safeCall(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("executor panicked: %v", p)
		}
	}()
	return f()
}
