package cpu

import (
	"fmt"
	"time"

	"infertop/engine"
	"infertop/model"
)

// Steps describes the prepared batch's steps in the order Run runs them
// (engine.StepProfiler); nil before Prepare.
func (e *executor) Steps() []engine.Step {
	if e.plan == nil {
		return nil
	}
	return e.plan.desc
}

// RunProfiled runs one batch as Run does, reading the monotonic clock
// between every two steps: times[i] is step i's time, and the steps' times
// tile the batch from the first step's start to the last one's end, so what
// is left of the batch's latency is the copies in and out around them.
func (e *executor) RunProfiled(in, out []*model.Tensor, times []time.Duration) (engine.Timing, error) {
	if e.plan != nil && len(times) != len(e.plan.steps) {
		return engine.Timing{}, fmt.Errorf("cpu engine: RunProfiled with %d step times, the plan has %d steps", len(times), len(e.plan.steps))
	}
	if times == nil { // an empty plan: nil would mean an unprofiled run
		times = []time.Duration{}
	}
	return engine.Timing{}, e.run(in, out, times)
}

// runSteps runs every step in order; with times non-nil it times each one.
func runSteps(steps []*step, times []time.Duration) error {
	if times == nil {
		for _, s := range steps {
			if err := runStep(s); err != nil {
				return err
			}
		}
		return nil
	}
	t0 := time.Now()
	for i, s := range steps {
		err := runStep(s)
		t1 := time.Now()
		times[i] = t1.Sub(t0)
		t0 = t1
		if err != nil {
			return err
		}
	}
	return nil
}

// describeSteps describes the plan's steps for Steps: what each covers of
// the graph as loaded, its analytic FLOPs and bytes, and how it runs. It is
// called once the products are tuned, so their way is known.
func describeSteps(g *model.Graph, steps []*step, c *compute) []engine.Step {
	nodes := make(map[string]*model.Node, len(g.Nodes))
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	out := make([]engine.Step, len(steps))
	for i, s := range steps {
		d := engine.Step{Name: s.name, Op: s.op}
		if n := nodes[s.name]; n != nil && s.op != "layout" {
			d.Covers = n.Covers
			d.FLOPs = model.NodeFLOPs(g, n)
		}
		for _, v := range s.ins {
			d.Bytes += valBytes(v)
		}
		for _, v := range s.outs {
			d.Bytes += valBytes(v)
		}
		d.Way, d.Threads = wayOf(s, c)
		out[i] = d
	}
	return out
}

// valBytes is the size of a value's data.
func valBytes(v *val) int64 {
	return int64(model.NumElems(v.t.Shape)) * int64(v.t.DType.Size())
}

// wayOf says how a step's kernel computes, and on how many threads.
func wayOf(s *step, c *compute) (string, int) {
	threads := c.pool.threads
	on := func(parts int) int { return min(max(parts, 1), threads) }
	switch k := s.k.(type) {
	case *linearKernel:
		switch k.g.way {
		case wayWhole:
			return "sgemm on " + c.lib.Name() + "'s threads", threads
		case wayPacked:
			return fmt.Sprintf("packed-%s, %s", k.g.isa, plural(k.g.packedParts, "part")), on(k.g.packedParts)
		case wayWide:
			return fmt.Sprintf("wide-%s, %s", k.g.wideISA, plural(k.g.wideParts, "part")), on(k.g.wideParts)
		}
		call := "sgemm"
		if k.g.gemv != nil {
			call = "sgemv"
		}
		if k.g.way == wayCoarse {
			return fmt.Sprintf("%s (%s), %s", call, c.lib.Name(), plural(k.g.parts, "block")), on(k.g.parts)
		}
		return fmt.Sprintf("%s (%s), %s", call, c.lib.Name(), plural(k.g.chunks, "chunk")), on(k.g.parts)
	case *convKernel:
		if k.tune.way == wayWide && k.implicit() {
			return fmt.Sprintf("implicit, wide-%s", k.tune.isa), on(k.parts)
		}
		if k.tune.way == wayWide {
			return fmt.Sprintf("%s, wide-%s", k.mode.wideName(), k.tune.isa), on(k.parts)
		}
		return k.mode.String(), on(k.parts)
	case *attentionKernel:
		return "attention kernel", on(k.parts)
	case *matmulKernel:
		return fmt.Sprintf("batched sgemm (%s)", c.lib.Name()), on(k.parts)
	case *refKernel:
		return "reference kernel", 1
	case *permKernel:
		if s.op == "layout" {
			return "layout change", on(k.split.parts)
		}
		return "transpose kernel", on(k.split.parts)
	case *mapKernel:
		return "element-wise kernel", on(k.split.parts)
	case *binaryKernel:
		return "broadcast kernel", on(k.split.parts)
	case *layerNormKernel:
		return "layer norm kernel", on(k.split.parts)
	case *softmaxKernel:
		return "softmax kernel", on(k.split.parts)
	case *affineKernel:
		return "affine kernel", on(k.split.parts)
	case *poolKernel:
		return "pool kernel", on(k.split.parts)
	case *globalPoolKernel:
		return "global pool kernel", on(k.split.parts)
	case *blockKernel:
		return "block copy", on(k.rows.parts)
	}
	return fmt.Sprintf("%T", s.k), threads
}
