//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"math"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/presets"
)

// Timing both ways of a convolution in Prepare: rounds alternate the two
// ways, each round issues the layer's steps convTuneReps times between two
// events, and the quicker round of each way counts.
const (
	convTuneRounds = 3
	convTuneReps   = 3
)

// convTiming is what Prepare measured for one convolution.
type convTiming struct {
	Layer            string
	Im2col, Implicit float64 // milliseconds per run of the layer
	Way              ConvWay
}

// prepare allocates the buffers of a batch share. With the auto choice and
// room for the im2col workspace it first times both ways of every
// convolution on this device at this batch (as cuDNN's benchmark mode does)
// and keeps the quicker one per layer; without that room every convolution
// takes the implicit way, which needs no workspace. Out of memory returns an
// *engine.OOMError and leaves nothing allocated. The caller made the context
// current.
func (g *gpu) prepare(p *presets.Preset, batch int, choice convChoice) error {
	if err := g.freeBatch(); err != nil {
		return err
	}
	g.convTimes = nil
	if !choice.auto || p.WorkspacePerSample() == 0 {
		plan, err := BuildWith(p, batch, Options{Default: choice.way})
		if err != nil {
			return err
		}
		return g.allocPlan(plan)
	}
	full, err := BuildWith(p, batch, Options{fullWorkspace: true})
	if err != nil {
		return err
	}
	opts := Options{Default: ConvImplicit}
	ok, err := g.fits(full)
	if err != nil {
		return err
	}
	if ok {
		times, err := g.tuneConv(p, full)
		var oom *engine.OOMError
		switch {
		case errors.As(err, &oom):
			// Room for the workspace ran out after all: the implicit way needs none.
		case err != nil:
			return err
		default:
			g.convTimes = times
			opts = Options{Conv: map[string]ConvWay{}}
			for _, t := range times {
				opts.Conv[t.Layer] = t.Way
			}
		}
	}
	plan, err := BuildWith(p, batch, opts)
	if err != nil {
		return err
	}
	return g.allocPlan(plan)
}

// tuneConv allocates full (every convolution the im2col way, the workspace
// for all of them), times each convolution both ways on it and frees it again.
func (g *gpu) tuneConv(p *presets.Preset, full *Plan) ([]convTiming, error) {
	if err := g.allocPlan(full); err != nil {
		return nil, err
	}
	times, err := g.timeConvWays(p, full)
	if ferr := g.freeBatch(); err == nil {
		err = ferr
	}
	return times, err
}

// timeConvWays times both ways of each convolution of full, which is allocated
// as the current batch, and picks the quicker.
func (g *gpu) timeConvWays(p *presets.Preset, full *Plan) ([]convTiming, error) {
	alt, err := BuildWith(p, full.Batch, Options{Default: ConvImplicit, fullWorkspace: true})
	if err != nil {
		return nil, err
	}
	if !full.SameBuffers(alt) {
		return nil, fmt.Errorf("%s: the two convolution ways of %s allocate different buffers", g.devName(), p.Name)
	}
	bs := &g.batch
	steps := [2][]devStep{bs.steps, g.resolve(alt)}
	plans := [2]*Plan{full, alt}
	// One pass of the whole plan from a zero input, so that every layer reads
	// finite values while it is timed.
	if err := check("cuMemsetD32Async(input)", cu.MemsetD32Async(bs.ptrs[full.Input.Buf], 0, full.InputFloats, g.stream)); err != nil {
		return nil, err
	}
	if _, err := g.timeSteps(steps[0], 1); err != nil {
		return nil, err
	}
	var out []convTiming
	for _, st := range full.Steps {
		name := st.Layer
		if _, conv := full.Conv[name]; !conv || len(out) > 0 && out[len(out)-1].Layer == name {
			continue
		}
		t := convTiming{Layer: name, Way: ConvIm2col}
		if alt.Conv[name] != ConvImplicit {
			out = append(out, t) // beyond the implicit kernel's limits
			continue
		}
		best := [2]float64{math.Inf(1), math.Inf(1)}
		for range convTuneRounds {
			for w := range steps {
				lo, hi, ok := plans[w].LayerSteps(name)
				if !ok {
					return nil, fmt.Errorf("%s: layer %s has no consecutive steps in the %s plan", g.devName(), name, ConvWay(w))
				}
				ms, err := g.timeSteps(steps[w][lo:hi], convTuneReps)
				if err != nil {
					return nil, err
				}
				best[w] = min(best[w], ms)
			}
		}
		t.Im2col, t.Implicit = best[ConvIm2col], best[ConvImplicit]
		if t.Implicit < t.Im2col {
			t.Way = ConvImplicit
		}
		out = append(out, t)
	}
	return out, nil
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
