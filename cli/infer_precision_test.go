package cli

import (
	"strings"
	"testing"

	"infertop/engine"
	"infertop/engine/cpu"
	"infertop/model"
	"infertop/session"
)

// skewedGPU is the CPU engine posing as a GPU in some precision, its
// outputs all off by factor: its relative error against the CPU engine is
// |factor − 1|.
type skewedGPU struct {
	engine.Executor
	factor float32
	prec   engine.Precision
}

func (s skewedGPU) Run(in, out []*model.Tensor) (engine.Timing, error) {
	t, err := s.Executor.Run(in, out)
	for _, o := range out {
		for i := range o.F32 {
			o.F32[i] *= s.factor
		}
	}
	return t, err
}

func (s skewedGPU) Info() engine.Info {
	i := s.Executor.Info()
	i.Device, i.Engine, i.Detail, i.Precision = "cuda:0", "fake-cuda", "", s.prec
	return i
}

// skewedMachine has this build's CPU engine and a skewedGPU as cuda:0.
func skewedMachine(t *testing.T, factor float32) session.Machine {
	m := cpuMachine(t)
	m.Registry.Register(engine.CUDA, func(_ engine.Device, mod *model.Model, o engine.Options) (engine.Executor, error) {
		ex, err := cpu.New(engine.Device{Kind: engine.CPU}, mod, engine.Options{Threads: 1})
		if err != nil {
			return nil, err
		}
		return skewedGPU{Executor: ex, factor: factor, prec: o.Precision}, nil
	})
	return m
}

// On a GPU, infer runs the batch on the float32 CPU engine too and prints
// each output's relative error against it and the precision's tolerance:
// 5e-3 passes in fp16 (1e-2) and fails in fp32 (1e-3, exit 1). On the CPU a
// reduced precision is a usage error.
func TestInferPrecisionAgainstCPU(t *testing.T) {
	m := skewedMachine(t, 1.005)
	code, out, errs := runInferArgs(m, "--preset", "mlp", "--batch", "4", "--device", "cuda:0", "--precision", "fp16", "--output", t.TempDir())
	for _, want := range []string{"mlp on cuda:0 in fp16 (fake-cuda), batch 4",
		"against the CPU engine in float32 (the same inputs; relative = max |diff| / max |cpu|, fp16's tolerance 1e-02):\n  output  max abs diff ",
		"max rel diff 0.005  ok\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("fp16: stdout lacks %q:\n%s", want, out)
		}
	}
	if code != ExitOK || errs != "" {
		t.Errorf("fp16 within its tolerance: exit %d: %s", code, errs)
	}
	code, out, errs = runInferArgs(m, "--preset", "mlp", "--batch", "4", "--device", "cuda:0", "--output", t.TempDir())
	if code != ExitFailure || !strings.Contains(out, "fp32's tolerance 1e-03") || !strings.Contains(out, "DIFFERS\n") ||
		errs != "infertop infer: mlp on cuda:0 in fp32 differs from the CPU engine's float32 by more than 1e-03 (see above)\n" {
		t.Errorf("fp32 beyond its tolerance: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runInferArgs(cpuMachine(t), "--preset", "mlp", "--output", t.TempDir())
	if code != ExitOK || strings.Contains(out, "CPU engine in float32") || strings.Contains(out, " in fp32") {
		t.Errorf("on the CPU: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = runInferArgs(cpuMachine(t), "--preset", "mlp", "--precision", "bf16", "--output", t.TempDir())
	if code != ExitUsage || errs != "infertop infer: --precision bf16 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only\n" {
		t.Errorf("bf16 on the CPU: exit %d: %q", code, errs)
	}
}
