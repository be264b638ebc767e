package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// hostExec offers its own host buffers (engine.HostBuffers), new ones at every
// Prepare, and checks in every Run that it was given exactly those, with the
// model's input (model.FillInputs) in them.
type hostExec struct {
	fakeExec
	m       *model.Model
	seed    uint64
	offer   bool
	in, out []*model.Tensor
	want    []*model.Tensor
	runs    atomic.Int64 // batches run
	batchAt atomic.Int64 // the batch of the last Run
	bad     atomic.Int64 // Runs that got other tensors or other input
	first   atomic.Value // the first complaint, a string
}

func (h *hostExec) Prepare(batch int) error {
	if err := h.fakeExec.Prepare(batch); err != nil {
		return err
	}
	for _, t := range h.in {
		for i := range t.F32 {
			t.F32[i] = float32(math.NaN()) // the old buffers are freed: poison them
		}
	}
	sigIn, sigOut := h.Signature()
	h.in, h.out, h.want = model.NewTensors(sigIn), model.NewTensors(sigOut), model.NewTensors(sigIn)
	model.FillInputs(h.m.Graph, h.want, h.seed)
	return nil
}

func (h *hostExec) HostBuffers() (in, out []*model.Tensor) {
	if !h.offer || h.batch == 0 {
		return nil, nil
	}
	return h.in, h.out
}

func (h *hostExec) complain(format string, a ...any) {
	h.bad.Add(1)
	h.first.CompareAndSwap(nil, fmt.Sprintf(format, a...))
}

func (h *hostExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	own := len(in) == 1 && len(out) == 1 && in[0] == h.in[0] && out[0] == h.out[0]
	switch {
	case len(in) != 1 || len(out) != 1 || !slices.Equal(in[0].Shape, h.want[0].Shape) || !slices.Equal(out[0].Shape, h.out[0].Shape):
		h.complain("batch %d: Run got %d inputs and %d outputs, not one each of the signature's shapes", h.batch, len(in), len(out))
	case own != h.offer:
		h.complain("batch %d: Run got the executor's own buffers: %v, offered: %v", h.batch, own, h.offer)
	case !slices.Equal(in[0].F32, h.want[0].F32):
		h.complain("batch %d: the input is not the model's FillInputs", h.batch)
	}
	for i := range out[0].F32 {
		out[0].F32[i] = 1
	}
	h.runs.Add(1)
	h.batchAt.Store(int64(h.batch))
	return h.fakeExec.Run(in, out)
}

// TestRunnerUsesExecutorHostBuffers: an executor offering its own host buffers
// gets them back in every Run, filled with the model's input, through batch
// changes and an out-of-memory fallback (each Prepare makes new buffers); one
// that does not gets the runner's own buffers, filled alike.
func TestRunnerUsesExecutorHostBuffers(t *testing.T) {
	for _, offer := range []bool{true, false} {
		t.Run(fmt.Sprintf("offer=%v", offer), func(t *testing.T) {
			cat := presets.NewModels(presets.DefaultSeed)
			m, err := cat.Get("mlp")
			if err != nil {
				t.Fatal(err)
			}
			clk := &fakeClock{}
			ex := &hostExec{fakeExec: fakeExec{clock: clk, lat: constLat(time.Millisecond), oomOver: 50}, m: m, seed: 7, offer: offer}
			reg := engine.NewRegistry()
			reg.Register(engine.CPU, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) { return ex, nil })
			r, err := New(Config{Registry: reg, Catalog: cat, Model: "mlp", Device: "cpu", Batch: 2, Clock: clk,
				Options: engine.Options{Seed: 7}})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			ranAt := func(batch int64) {
				t.Helper()
				n := ex.runs.Load()
				deadline := time.Now().Add(10 * time.Second)
				for ex.runs.Load() < n+3 || ex.batchAt.Load() != batch {
					if time.Now().After(deadline) {
						t.Fatalf("no batch of %d ran", batch)
					}
					time.Sleep(time.Millisecond)
				}
			}
			ranAt(2)
			if err := r.SetBatch(5); err != nil {
				t.Fatal(err)
			}
			ranAt(5)
			if err := r.SetBatch(100); !errors.Is(err, engine.ErrOutOfMemory) {
				t.Fatalf("SetBatch(100): %v, want out of memory", err)
			}
			ranAt(5) // prepared again, with new buffers
			r.Stop()
			r.Wait()
			if n := ex.bad.Load(); n > 0 {
				t.Errorf("%d of %d batches got the wrong buffers; first: %v", n, ex.runs.Load(), ex.first.Load())
			}
		})
	}
}
