//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/model"
)

// prepare plans compiled graph cg (a batch share of batch samples) and
// allocates its buffers. With the auto choice and room for the im2col
// workspace it first times every way of every convolution on this device at
// this batch (as cuDNN's benchmark mode does) and keeps the quickest per
// node, another than im2col only where its output agrees with im2col's
// (tuneConvs); without that room every convolution takes the implicit way,
// which needs no workspace. The timing runs the plan from inputs drawn
// from seed (model.FillInputs). Out of memory returns an *engine.OOMError
// and leaves no batch allocated. The caller made the context current.
func (g *gpu) prepare(cg *model.Graph, batch int, choice convChoice, seed uint64) error {
	if err := g.freeBatch(); err != nil {
		return err
	}
	g.convTimes, g.dnnSkipped = nil, ""
	if !choice.auto || !hasConv(cg) {
		plan, err := BuildWith(cg, batch, Options{Default: choice.way, Precision: g.precision})
		if err != nil {
			return err
		}
		return g.allocPlan(plan)
	}
	full, err := BuildWith(cg, batch, Options{fullWorkspace: true, Precision: g.precision})
	if err != nil {
		return err
	}
	opts := Options{Default: ConvImplicit, Precision: g.precision}
	ok, err := g.fits(full)
	if err != nil {
		return err
	}
	if ok {
		times, err := g.tuneConv(cg, full, seed)
		var oom *engine.OOMError
		switch {
		case errors.As(err, &oom):
			// Room for the workspace ran out after all: the implicit way needs none.
		case err != nil:
			return err
		default:
			g.convTimes = times
			opts = Options{Conv: map[string]ConvWay{}, Precision: g.precision}
			for _, t := range times {
				opts.Conv[t.Layer] = t.Way
			}
		}
	}
	plan, err := BuildWith(cg, batch, opts)
	if err != nil {
		return err
	}
	return g.allocPlan(plan)
}

// tuneConv allocates full (every convolution the im2col way, the workspace
// for all of them), times each convolution every way on it and frees it again.
func (g *gpu) tuneConv(cg *model.Graph, full *Plan, seed uint64) ([]convTiming, error) {
	if err := g.allocPlan(full); err != nil {
		return nil, err
	}
	times, err := g.timeConvWays(cg, full, seed)
	if ferr := g.freeBatch(); err == nil {
		err = ferr
	}
	return times, err
}

// timeConvWays checks and times every way of each convolution of full,
// which is allocated as the current batch, from the graph's deterministic
// inputs. cuDNN takes part when the device has it; when cuDNN refuses to
// describe a node (no algorithm, an unsupported shape) it sits the batch
// out and dnnSkipped says why.
func (g *gpu) timeConvWays(cg *model.Graph, full *Plan, seed uint64) ([]convTiming, error) {
	bs := &g.batch
	var plans [numConvWays]*Plan
	var steps [numConvWays][]devStep
	plans[ConvIm2col], steps[ConvIm2col] = full, bs.steps
	for _, w := range []ConvWay{ConvImplicit, ConvCudnn} {
		if w == ConvCudnn && g.dnn == nil {
			continue
		}
		alt, err := BuildWith(cg, full.Batch, Options{Default: w, fullWorkspace: true, Precision: g.precision})
		if err != nil {
			return nil, err
		}
		st, err := g.resolve(alt)
		var oom *engine.OOMError
		switch {
		case err == nil:
			plans[w], steps[w] = alt, st
		case w == ConvCudnn && !errors.Is(err, errOOM) && !errors.As(err, &oom):
			g.dnnSkipped = err.Error()
		default:
			return nil, err
		}
	}
	dev := gpuConvs{g: g, steps: steps}
	// Real inputs, so that every convolution reads values like those it
	// will see when its ways are compared (tuneConvs runs the plan up to it).
	model.FillInputs(cg, bs.hostIn, seed)
	if err := g.copyInputs("tuning input"); err != nil {
		return nil, err
	}
	tol := convCheckTol(g.precision)
	times, err := tuneConvs(dev, plans, tol)
	if errors.Is(err, errCudnnCall) && g.stream.Synchronize() == nil {
		// cuDNN refused a call, and the stream is still usable: time
		// without it.
		g.dnnSkipped = err.Error()
		plans[ConvCudnn] = nil
		times, err = tuneConvs(dev, plans, tol)
	}
	if err != nil {
		return nil, fmt.Errorf("timing the convolutions: %w", err) // device errors name the device already
	}
	return times, nil
}

// gpuConvs is the convDevice of one GPU: the timing plans' steps resolved
// over its current batch.
type gpuConvs struct {
	g     *gpu
	steps [numConvWays][]devStep
}

func (d gpuConvs) run(way ConvWay, lo, hi int) error {
	for i := lo; i < hi; i++ {
		if err := d.g.issue(&d.steps[way][i]); err != nil {
			return err
		}
	}
	return nil
}

func (d gpuConvs) time(way ConvWay, lo, hi, reps int) (float64, error) {
	return d.g.timeSteps(d.steps[way][lo:hi], reps)
}

func (d gpuConvs) read(r Ref, dst []float32) error {
	if len(dst) == 0 {
		return nil
	}
	if err := d.g.stream.Synchronize(); err != nil {
		return check("cuStreamSynchronize (checking a convolution)", err)
	}
	return check("cuMemcpyDtoH(convolution check)",
		cu.MemcpyDtoH(unsafe.Pointer(&dst[0]), d.g.batch.addrPtr(r), 4*int64(len(dst))))
}

// timeSteps issues steps reps times between two events on the stream and
// returns the mean time of one pass in milliseconds.
func (g *gpu) timeSteps(steps []devStep, reps int) (float64, error) {
	if err := g.events[0].Record(g.stream); err != nil {
		return 0, check("cuEventRecord(tuning start)", err)
	}
	for range reps {
		for i := range steps {
			if err := g.issue(&steps[i]); err != nil {
				return 0, err
			}
		}
	}
	if err := g.events[1].Record(g.stream); err != nil {
		return 0, check("cuEventRecord(tuning end)", err)
	}
	if err := g.events[1].Synchronize(); err != nil {
		return 0, fmt.Errorf("%s: %w", g.devName(), check("cuEventSynchronize (timing a convolution)", err))
	}
	ms, err := g.events[0].Elapsed(g.events[1])
	if err != nil {
		return 0, check("cuEventElapsedTime", err)
	}
	return ms / float64(reps), nil
}
