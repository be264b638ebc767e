package session

import (
	"context"
	"fmt"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
)

// cpuBase names the baseline every precision is judged against: the CPU
// engine, which computes in float32.
const cpuBase = "cpu fp32"

// cpuCheck is the dashboard's runner.Checker: a batch on a GPU, whatever
// its precision, is run again on the float32 CPU engine on the same
// inputs, and the worst output's max|out − cpu| / max|cpu| is the figure,
// against the tolerance of the precision that ran. A batch on the CPU, or
// a build without the CPU engine, is not checked.
func cpuCheck(reg *engine.Registry) runner.Checker {
	return func(_ context.Context, c runner.CheckInput) runner.Accuracy {
		dev, err := engine.ParseDevice(c.Device)
		if err != nil || dev.Kind == engine.CPU || !reg.Has(engine.CPU) {
			return runner.Accuracy{}
		}
		a := runner.Accuracy{Base: cpuBase, Tolerance: c.Info.Precision.Tolerance()}
		want, err := runCPU(reg, c.Model, c.Batch, c.In)
		if err == nil {
			a.RelErr, err = relErrs(c.Model.Graph.Outputs, c.Out, want)
		}
		if err != nil {
			a.Err = err.Error()
		}
		return a
	}
}

// runCPU runs one batch of m on the float32 CPU engine on in and returns
// its outputs, in the graph's output order.
func runCPU(reg *engine.Registry, m *model.Model, batch int, in []*model.Tensor) ([]*model.Tensor, error) {
	ex, err := reg.Open(cpuDevice, m, engine.Options{Seed: presets.DefaultSeed})
	if err != nil {
		return nil, fmt.Errorf("the CPU engine: %w", err)
	}
	defer ex.Close()
	if err := ex.Prepare(batch); err != nil {
		return nil, fmt.Errorf("the CPU engine at batch %d: %w", batch, err)
	}
	_, specs := ex.Signature()
	out := model.NewTensors(specs)
	if _, err := ex.Run(in, out); err != nil {
		return nil, fmt.Errorf("the CPU engine: %w", err)
	}
	return out, nil
}
