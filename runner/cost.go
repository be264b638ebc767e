package runner

import (
	"fmt"

	"infertop/model"
)

// FLOPsPerSample is the analytic floating-point operations of one sample of
// m at batch: model.Graph.FLOPs of the graph compiled for that batch, over
// the batch. It compiles the graph (milliseconds), so callers take it once
// per batch, never per run.
func FLOPsPerSample(m *model.Model, batch int) (int64, error) {
	g, err := m.Bind(batch)
	if err != nil {
		return 0, err
	}
	return g.FLOPs() / int64(batch), nil
}

// MemoryEstimate is the memory a batch of m takes on an engine that keeps
// every value in a buffer of its own: the weights, the inputs and every
// node's output of the graph compiled for that batch (model.Graph.Footprint).
// Engines that share buffers between values hold less; it is the bound that
// a batch is checked against before anything is allocated.
func MemoryEstimate(m *model.Model, batch int) (int64, error) {
	g, err := m.Bind(batch)
	if err != nil {
		return 0, err
	}
	f, err := g.Footprint()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", m.Name, err)
	}
	return f.Total(), nil
}
