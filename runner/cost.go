package runner

import "infertop/model"

// FLOPsPerSample is the analytic floating-point operations of one sample of
// m (model.Model.Cost, computed once per model).
func FLOPsPerSample(m *model.Model) (int64, error) {
	c, err := m.Cost()
	return c.FLOPsPerSample, err
}

// MemoryEstimate is the memory a batch of m takes on an engine that reuses
// buffers by liveness, as both engines do: the weights, the inputs and the
// most node outputs alive at once (model.Cost.Bytes). It is what a batch is
// checked against before anything is allocated; the engine's own figure
// after Prepare is the measured one.
func MemoryEstimate(m *model.Model, batch int) (int64, error) {
	if err := m.CheckBatch(batch); err != nil {
		return 0, err
	}
	c, err := m.Cost()
	if err != nil {
		return 0, err
	}
	return c.Bytes(batch), nil
}
