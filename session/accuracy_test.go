package session

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/engine/cpu"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
)

// scaled is the CPU engine posing as a GPU in some precision whose
// outputs are all off by the factor: its relative error against the CPU
// is exactly |factor − 1|.
type scaled struct {
	engine.Executor
	factor float32
	prec   engine.Precision
}

func (s scaled) Run(in, out []*model.Tensor) (engine.Timing, error) {
	t, err := s.Executor.Run(in, out)
	for _, o := range out {
		for i := range o.F32 {
			o.F32[i] *= s.factor
		}
	}
	return t, err
}

func (s scaled) Info() engine.Info {
	i := s.Executor.Info()
	i.Device, i.Engine, i.Precision = "cuda:0", "fake-gpu", s.prec
	return i
}

// scaledMachine has the real CPU engine, and a "GPU" that is the CPU engine
// with its outputs scaled by factor, in the precision asked for.
func scaledMachine(factor float32) Machine {
	m := sleepMachine()
	m.Registry = NewRegistry()
	m.Registry.Register(engine.CUDA, func(_ engine.Device, mod *model.Model, o engine.Options) (engine.Executor, error) {
		ex, err := cpu.New(engine.Device{Kind: engine.CPU}, mod, engine.Options{Threads: 1})
		if err != nil {
			return nil, err
		}
		return scaled{Executor: ex, factor: factor, prec: o.Precision}, nil
	})
	return m
}

// checkOn runs the dashboard's check of one batch of mlp on device, its
// outputs from executor ex.
func checkOn(t *testing.T, reg *engine.Registry, device string, ex engine.Executor) runner.Accuracy {
	t.Helper()
	mod, err := presets.BuildModel("mlp", presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	in, err := seededInputs(mod, 3, presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runPrepared(ex, 3, in)
	if err != nil {
		t.Fatal(err)
	}
	return cpuCheck(reg)(context.Background(), runner.CheckInput{Model: mod, Device: device, Batch: 3, Info: ex.Info(), In: in, Out: out})
}

// The dashboard's check runs the batch again on the float32 CPU engine:
// outputs 1 % off read a relative error of 1e-2 against the precision's
// tolerance; the CPU engine against itself reads (about) 0 — two instances
// may pick different kernels by timing, which sum in another order; a run
// on the CPU is not checked.
func TestCPUCheck(t *testing.T) {
	m := scaledMachine(1.01)
	mod, _ := presets.BuildModel("mlp", presets.DefaultSeed)
	gpu, err := m.Registry.Open("cuda:0", mod, engine.Options{Precision: engine.BF16})
	if err != nil {
		t.Fatal(err)
	}
	a := checkOn(t, m.Registry, "cuda:0", gpu)
	if a.Base != "cpu fp32" || a.Err != "" || math.Abs(a.RelErr-0.01) > 1e-5 || a.Tolerance != engine.BF16.Tolerance() || !a.Within() {
		t.Errorf("outputs 1 %% off in bf16: %+v", a)
	}
	same := scaledMachine(1)
	gpu, _ = same.Registry.Open("cuda:0", mod, engine.Options{})
	if a := checkOn(t, same.Registry, "cuda:0", gpu); a.RelErr > 1e-5 || a.Err != "" || a.Tolerance != 1e-3 {
		t.Errorf("the CPU engine against itself: %+v", a)
	}
	c, _ := cpu.New(engine.Device{Kind: engine.CPU}, mod, engine.Options{Threads: 1})
	if a := checkOn(t, m.Registry, "cpu", c); a.Checked() {
		t.Errorf("a CPU run was checked: %+v", a)
	}
}

// On a GPU the dashboard's run carries the check's figure in its
// snapshots from the first one measured, and the precision that ran in
// Info, for the header.
func TestDashboardRunCarriesAccuracy(t *testing.T) {
	m := scaledMachine(1.02)
	d := testDashboard(m, DashboardSpec{Threads: 1, Warmup: time.Millisecond, Precision: engine.FP16}, gpus{}, nil, nil)
	r, err := d.newRunner("mlp", "cuda:0", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	deadline := time.Now().Add(20 * time.Second)
	s := r.Latest()
	for s.Info.Engine == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		s = r.Latest()
	}
	if s.Info.Precision != engine.FP16 || s.Accuracy.Base != "cpu fp32" || math.Abs(s.Accuracy.RelErr-0.02) > 1e-5 ||
		s.Accuracy.Tolerance != 1e-2 || !strings.HasPrefix(s.Accuracy.String(), "rel err 2.0e-2 vs cpu fp32 (over 1e-2") {
		t.Errorf("snapshot: precision %v, accuracy %+v (%q)", s.Info.Precision, s.Accuracy, s.Accuracy.String())
	}
}
