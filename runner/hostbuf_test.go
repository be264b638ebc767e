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
	"infertop/presets"
)

// hostExec offers its own host buffers (engine.HostBuffers), new ones at every
// Prepare, and checks in every Run that it was given exactly those, with the
// preset's input in them.
type hostExec struct {
	fakeExec
	p       *presets.Preset
	seed    uint64
	offer   bool
	in, out []float32
	want    []float32
	runs    atomic.Int64 // batches run
	batchAt atomic.Int64 // the batch of the last Run
	bad     atomic.Int64 // Runs that got other slices or other input
	first   atomic.Value // the first complaint, a string
}

func (h *hostExec) Prepare(batch int) error {
	if err := h.fakeExec.Prepare(batch); err != nil {
		return err
	}
	for i := range h.in {
		h.in[i] = float32(math.NaN()) // the old buffers are freed: poison them
	}
	h.in = make([]float32, batch*h.p.InputSize())
	h.out = make([]float32, batch*h.p.OutputSize())
	h.want = make([]float32, len(h.in))
	h.p.FillInput(h.want, h.seed)
	return nil
}

func (h *hostExec) HostBuffers() (in, out []float32) {
	if !h.offer || h.batch == 0 {
		return nil, nil
	}
	return h.in, h.out
}

func (h *hostExec) complain(format string, a ...any) {
	h.bad.Add(1)
	h.first.CompareAndSwap(nil, fmt.Sprintf(format, a...))
}

func (h *hostExec) Run(in, out []float32) (engine.Timing, error) {
	own := len(in) == len(h.in) && len(out) == len(h.out) && &in[0] == &h.in[0] && &out[0] == &h.out[0]
	switch {
	case len(in) != len(h.want) || len(out) != h.batch*h.p.OutputSize():
		h.complain("batch %d: Run got %d inputs and %d outputs", h.batch, len(in), len(out))
	case own != h.offer:
		h.complain("batch %d: Run got the executor's own buffers: %v, offered: %v", h.batch, own, h.offer)
	case !slices.Equal(in, h.want):
		h.complain("batch %d: the input is not the preset's FillInput", h.batch)
	}
	for i := range out {
		out[i] = 1
	}
	h.runs.Add(1)
	h.batchAt.Store(int64(h.batch))
	return h.fakeExec.Run(in, out)
}

// TestRunnerUsesExecutorHostBuffers: an executor offering its own host buffers
// gets them back in every Run, filled with the preset's input, through batch
// changes and an out-of-memory fallback (each Prepare makes new buffers); one
// that does not gets the runner's own buffers, filled alike.
func TestRunnerUsesExecutorHostBuffers(t *testing.T) {
	for _, offer := range []bool{true, false} {
		t.Run(fmt.Sprintf("offer=%v", offer), func(t *testing.T) {
			cat := presets.NewCatalog()
			p, err := cat.Get("mlp")
			if err != nil {
				t.Fatal(err)
			}
			clk := &fakeClock{}
			ex := &hostExec{fakeExec: fakeExec{clock: clk, lat: constLat(time.Millisecond), oomOver: 50}, p: p, seed: 7, offer: offer}
			reg := engine.NewRegistry()
			reg.Register(engine.CPU, func(engine.Device, *presets.Preset, engine.Options) (engine.Executor, error) { return ex, nil })
			r, err := New(Config{Registry: reg, Catalog: cat, Preset: "mlp", Device: "cpu", Batch: 2, Clock: clk,
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
