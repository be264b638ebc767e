//go:build gpu

package cuda

import (
	"fmt"
	"time"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/model"
)

// The executor times its steps with CUDA events (engine.StepProfiler).
var _ engine.StepProfiler = (*Executor)(nil)

// Steps describes the prepared batch's steps in the order they run
// (engine.StepProfiler): one per graph node that runs something, on the
// first GPU (with several, the one with the largest share of the batch);
// nil before Prepare.
func (e *Executor) Steps() []engine.Step {
	if e.batch == 0 || e.closed {
		return nil
	}
	return e.prof.Steps
}

// RunProfiled runs one batch as Run does, with a CUDA event recorded on
// the first GPU's stream before each step and after the last: times[i] is
// the time between step i's event and the next, read once the batch is
// done. The copies in and out lie before the first event and after the
// last, outside every step.
func (e *Executor) RunProfiled(in, out []*model.Tensor, times []time.Duration) (engine.Timing, error) {
	if e.batch != 0 && len(times) != len(e.prof.Steps) {
		return engine.Timing{}, fmt.Errorf("cuda engine: RunProfiled with %d step times, the plan has %d steps", len(times), len(e.prof.Steps))
	}
	if times == nil { // a plan without steps: nil would mean an unprofiled run
		times = []time.Duration{}
	}
	return e.run(in, out, times)
}

// describeSteps makes the profile of the first GPU's prepared batch, whose
// compiled graph is cg, with the cuDNN algorithm of each convolution that
// calls cuDNN, and makes sure that GPU has an event for each of its marks.
// The caller made that GPU's context current.
func (e *Executor) describeSteps(cg *model.Graph) error {
	g := e.gpus[0]
	bs := &g.batch
	algos := make([]int, len(bs.steps))
	for i := range bs.steps {
		algos[i] = -1
		if bs.steps[i].src.Conv != nil {
			algos[i] = bs.steps[i].conv.algo()
		}
	}
	e.prof = Describe(cg, bs.plan, algos)
	return g.ensureMarkEvents(len(e.prof.Marks))
}

// ensureMarkEvents creates events until the device has n for the step
// profile; they are kept across batches and destroyed with the device.
func (g *gpu) ensureMarkEvents(n int) error {
	for len(g.markEvents) < n {
		ev, err := cu.MakeEvent(cu.DefaultEvent)
		if err != nil {
			return check("cuEventCreate (step profile)", err)
		}
		g.markEvents = append(g.markEvents, ev)
	}
	return nil
}

// destroyMarkEvents destroys the step profile's events; it reports the
// first failure.
func (g *gpu) destroyMarkEvents() error {
	var first error
	for i := range g.markEvents {
		if err := check("cuEventDestroy (step profile)", cu.DestroyEvent(&g.markEvents[i])); err != nil && first == nil {
			first = err
		}
	}
	g.markEvents = nil
	return first
}

// recordMark records the step profile's event i on the stream (stepIssuer).
func (g *gpu) recordMark(i int) error {
	return check("cuEventRecord (step profile)", g.markEvents[i].Record(g.stream))
}

// issueStep issues the batch's plan step i on the stream (stepIssuer).
func (g *gpu) issueStep(i int) error { return g.issue(&g.batch.steps[i]) }

// elapsedMS reads the milliseconds between two of the step profile's
// events of a finished batch (eventClock).
func (g *gpu) elapsedMS(from, to int) (float64, error) {
	ms, err := g.markEvents[from].Elapsed(g.markEvents[to])
	return ms, check("cuEventElapsedTime (step profile)", err)
}
