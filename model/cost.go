package model

import "fmt"

// Cost is what running a model costs, read from its compiled graphs: the
// figures every display and check needs without compiling for each batch.
type Cost struct {
	// FLOPsPerSample is the analytic floating-point operations of one sample
	// (Graph.FLOPs over the batch).
	FLOPsPerSample int64
	// ConstBytes are the compiled graph's constants (weights, fused and folded).
	ConstBytes int64
	// BaseBytes and SampleBytes size the inputs and the live node outputs
	// (Footprint.Inputs + Footprint.Peak) as BaseBytes + batch·SampleBytes,
	// fitted through two batch sizes (the one batch of a fixed-batch model).
	BaseBytes, SampleBytes int64
}

// Bytes is the memory a batch needs on an engine that reuses buffers by
// liveness: the constants, the inputs and the most node outputs alive at once.
func (c Cost) Bytes(batch int) int64 {
	return c.ConstBytes + max(0, c.BaseBytes+int64(batch)*c.SampleBytes)
}

// costCache holds a model's Cost once computed.
type costCache struct {
	c   Cost
	err error
}

// Cost returns the model's cost, compiling it once or twice the first time
// (at batch 1 and 2, or at its fixed batch) and remembering the answer.
func (m *Model) Cost() (Cost, error) {
	m.costOnce.Do(func() { m.cost.c, m.cost.err = m.measureCost() })
	return m.cost.c, m.cost.err
}

func (m *Model) measureCost() (Cost, error) {
	footprint := func(batch int) (Footprint, int64, error) {
		g, err := m.Bind(batch)
		if err != nil {
			return Footprint{}, 0, err
		}
		f, err := g.Footprint()
		if err != nil {
			return Footprint{}, 0, fmt.Errorf("%s: %w", m.Name, err)
		}
		return f, g.FLOPs(), nil
	}
	if fb := m.FixedBatch(); fb > 0 {
		f, flops, err := footprint(fb)
		if err != nil {
			return Cost{}, err
		}
		return Cost{FLOPsPerSample: flops / int64(fb), ConstBytes: f.Constants,
			SampleBytes: (f.Inputs + f.Peak + int64(fb) - 1) / int64(fb)}, nil
	}
	f1, flops, err := footprint(1)
	if err != nil {
		return Cost{}, err
	}
	f2, _, err := footprint(2)
	if err != nil {
		return Cost{}, err
	}
	per := (f2.Inputs + f2.Peak) - (f1.Inputs + f1.Peak)
	return Cost{FLOPsPerSample: flops, ConstBytes: max(f1.Constants, f2.Constants),
		BaseBytes: f1.Inputs + f1.Peak - per, SampleBytes: per}, nil
}
