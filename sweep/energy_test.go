package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
)

// energyExec advances a shared energy counter by mjPerBatch at every batch
// it runs, so that the energy over any run of batches is known exactly.
type energyExec struct {
	stepExec
	counter    *atomic.Uint64
	mjPerBatch uint64
	device     string
}

func (e *energyExec) Run(in, out []*model.Tensor) (engine.Timing, error) {
	e.counter.Add(e.mjPerBatch)
	if e.clock == nil { // the runner's wall clock: batches take some time
		time.Sleep(20 * time.Microsecond)
	}
	return e.stepExec.Run(in, out)
}

func (e *energyExec) Info() engine.Info { return engine.Info{Device: e.device, Engine: "fake"} }

// counterMeter reads counter for the devices in gpus and answers ok false
// for the others (the CPU).
func counterMeter(counter *atomic.Uint64, gpus ...string) runner.EnergyMeter {
	return runner.EnergyMeterFunc(func(device string) (uint64, bool, error) {
		for _, g := range gpus {
			if g == device {
				return counter.Load(), true, nil
			}
		}
		return 0, false, nil
	})
}

// A sweep on a GPU whose counter advances 2 J per batch: each point's energy
// per sample is exactly 2 J over its batch size, over the samples of its
// measured windows.
func TestRunnerProberEnergyPerSample(t *testing.T) {
	var counter atomic.Uint64
	reg := engine.NewRegistry()
	reg.Register(engine.CUDA, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		return &energyExec{counter: &counter, mjPerBatch: 2000, device: "cuda:0"}, nil
	})
	p := &RunnerProber{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "linear", Device: "cuda:0",
		Warmup: time.Millisecond, Window: 2 * time.Millisecond, MaxTime: 30 * time.Millisecond, Energy: counterMeter(&counter, "cuda:0")}
	res, err := Run(context.Background(), Config{Batches: []int{1, 2, 4, 8}}, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 4 {
		t.Fatalf("%d points", len(res.Points))
	}
	for _, pt := range res.Points {
		e, want := pt.Energy, 2/float64(pt.Batch)
		if !e.Valid || e.JoulesPerSample != want || e.Samples <= 0 || e.Samples > pt.Batches*int64(pt.Batch) ||
			e.Samples%int64(pt.Batch) != 0 || e.Joules != 2*float64(e.Samples/int64(pt.Batch)) {
			t.Errorf("batch %d (%d batches measured): energy %+v, want %v J/sample", pt.Batch, pt.Batches, e, want)
		}
	}
	if !AnyEnergy(res.Points) {
		t.Error("AnyEnergy false with known figures")
	}
	b, err := json.Marshal(res.Points[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"joules_per_sample":2`) {
		t.Errorf("JSON %s", b)
	}
}

// On the CPU the meter answers no counter: the points carry no energy and
// their JSON is what it was before energy existed.
func TestRunnerProberNoEnergyOnCPU(t *testing.T) {
	var counter atomic.Uint64
	reg := registryOf(func(engine.Options) *stepExec { return &stepExec{} })
	p := &RunnerProber{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "linear", Device: "cpu",
		Warmup: time.Millisecond, Window: time.Millisecond, MaxTime: 10 * time.Millisecond, Energy: counterMeter(&counter, "cuda:0")}
	pt, err := p.Measure(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Energy != (runner.Energy{}) || AnyEnergy([]Point{pt}) {
		t.Errorf("CPU point energy %+v", pt.Energy)
	}
	b, err := json.Marshal(pt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "energy") || strings.Contains(string(b), "joules") {
		t.Errorf("CPU point JSON %s", b)
	}
}

// cpuGPUWindower races the CPU against a cuda:0 whose batches advance
// counter by 3 J each, on a fake clock; the windower closes with the test.
func cpuGPUWindower(t *testing.T, counter *atomic.Uint64) (*ExecWindower, Side) {
	t.Helper()
	clk := &fakeClock{}
	reg := registryOf(func(engine.Options) *stepExec { return &stepExec{clock: clk, perSample: 2 * time.Microsecond} })
	reg.Register(engine.CUDA, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		return &energyExec{stepExec: stepExec{clock: clk, perSample: time.Microsecond}, counter: counter, mjPerBatch: 3000, device: "cuda:0"}, nil
	})
	lin, err := presets.NewModels(presets.DefaultSeed).Get("linear")
	if err != nil {
		t.Fatal(err)
	}
	gpu := Side{Device: "cuda:0"}
	w, err := NewExecWindower(reg, lin, cpuAll, gpu, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	w.Now, w.Warmup, w.WindowLen = clk.now, time.Millisecond, time.Millisecond
	return w, gpu
}

// A race of the CPU against a GPU whose counter advances 3 J per batch: the
// GPU side's energy per sample at each batch is exactly 3 J over the batch
// size, the CPU side's is unknown, and the JSON carries only the GPU's.
func TestExecWindowerEnergyPerSide(t *testing.T) {
	var counter atomic.Uint64
	w, gpu := cpuGPUWindower(t, &counter)
	w.Energy = counterMeter(&counter, "cuda:0")
	res, err := Compare(context.Background(), CompareConfig{A: cpuAll, B: gpu, Batches: []int{10, 100}, Pairs: 2}, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Points {
		e, want := p.B.Energy, 3/float64(p.Batch)
		// Every window of B is measured with its energy: 4 windows of
		// Count/4 batches each at this batch size.
		if samples := int64(p.B.Count * p.Batch); !e.Valid || e.JoulesPerSample != want || e.Samples != samples || e.Joules != 3*float64(p.B.Count) {
			t.Errorf("batch %d: GPU side energy %+v over %d batches, want %v J/sample", p.Batch, e, p.B.Count, want)
		}
		if p.A.Energy != (runner.Energy{}) {
			t.Errorf("batch %d: CPU side energy %+v", p.Batch, p.A.Energy)
		}
	}
	if !AnyCompareEnergy(res.Points) {
		t.Error("AnyCompareEnergy false with a known figure")
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q with every counter read", res.Notes)
	}
	b, err := json.Marshal(res.Points[0])
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Count(s, `"energy"`) != 1 || !strings.Contains(s, `"joules_per_sample":0.3`) {
		t.Errorf("JSON %s", s)
	}
}

// A GPU side whose counter fails at every third read: the windows whose
// reads failed drop out of its energy per sample, which stays exact over the
// others, and the result says once why.
func TestExecWindowerEnergyReadFailure(t *testing.T) {
	var counter atomic.Uint64
	w, gpu := cpuGPUWindower(t, &counter)
	reads := 0
	w.Energy = runner.EnergyMeterFunc(func(device string) (uint64, bool, error) {
		if device != "cuda:0" {
			return 0, false, nil
		}
		if reads++; reads%3 == 0 {
			return 0, false, errors.New("GPU is lost")
		}
		return counter.Load(), true, nil
	})
	res, err := Compare(context.Background(), CompareConfig{A: cpuAll, B: gpu, Batches: []int{10}, Pairs: 4}, w)
	if err != nil {
		t.Fatal(err)
	}
	want := "B (cuda:0): reading its energy counter failed (GPU is lost); its J/sample counts only the windows where it was read"
	if len(res.Notes) != 1 || res.Notes[0] != want {
		t.Errorf("notes %q, want [%q]", res.Notes, want)
	}
	// 4 windows of B read 8 times: reads 3 and 6 fail, which leaves
	// windows 1 and 4 with both reads.
	p := res.Points[0]
	if e := p.B.Energy; !e.Valid || e.JoulesPerSample != 0.3 || e.Joules != 3*float64(e.Samples)/10 || e.Samples >= int64(p.B.Count*10) {
		t.Errorf("GPU side energy %+v over %d batches, want 0.3 J/sample over fewer than all of them", e, p.B.Count)
	}
}

// precisionExec reports running in a precision of its own, whatever it was
// opened with.
type precisionExec struct {
	*stepExec
	runs engine.Precision
}

func (e precisionExec) Info() engine.Info {
	return engine.Info{Device: "cuda:0", Engine: "fake", Precision: e.runs}
}

// A GPU side reads the precision its engine reports running in, not the
// one it asked for; a CPU side keeps its own.
func TestExecWindowerSidesReportPrecision(t *testing.T) {
	clk := &fakeClock{}
	reg := registryOf(func(engine.Options) *stepExec { return &stepExec{clock: clk, perSample: time.Microsecond} })
	reg.Register(engine.CUDA, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		return precisionExec{&stepExec{clock: clk, perSample: time.Microsecond}, engine.TF32}, nil
	})
	lin, err := presets.NewModels(presets.DefaultSeed).Get("linear")
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewExecWindower(reg, lin, cpuAll, Side{Device: "cuda:0", Precision: engine.FP16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a, b := w.Sides()
	if a != cpuAll || b != (Side{Device: "cuda:0", Precision: engine.TF32}) {
		t.Errorf("sides %+v, %+v; want %+v and cuda:0 in tf32", a, b, cpuAll)
	}
}
