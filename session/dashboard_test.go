package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/hostinfo"
	"infertop/presets"
	"infertop/record"
	"infertop/runner"
	"infertop/sweep"
)

func TestDashboardDevicesWithoutNVML(t *testing.T) {
	reg := engine.NewRegistry()
	reg.Unavailable(engine.CUDA, "built without CUDA")
	devs := Machine{Registry: reg}.deviceList(gpus{err: gpuinfo.ErrNoDriver})
	if len(devs) != 2 || devs[0].Name != "cpu" || devs[1].Available || devs[1].Why != "built without CUDA" {
		t.Fatalf("devices %+v", devs)
	}
	if d := defaultDevice(devs); d != "cpu" {
		t.Fatalf("default %q, want cpu", d)
	}
}

func TestDashboardDevicesFake(t *testing.T) {
	mon, err := gpuinfo.OpenFake(2, gpuinfo.FakeOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	devs := Machine{Registry: NewRegistry()}.deviceList(gpus{mon: mon})
	var names []string
	for _, d := range devs {
		names = append(names, d.Name)
		if strings.HasPrefix(d.Name, "cuda") && (d.Available || !strings.Contains(d.Why, "simulated")) {
			t.Errorf("%s on fake GPUs: available %v, why %q", d.Name, d.Available, d.Why)
		}
	}
	if got := strings.Join(names, " "); got != "cpu cuda:0 cuda:1 cuda:all" {
		t.Fatalf("devices %q", got)
	}
	if devs[1].BusID == "" || len(devs[3].GPUIndexes) != 2 {
		t.Fatalf("bus id or indexes missing: %+v", devs)
	}
	if d := defaultDevice(devs); d != "cpu" {
		t.Fatalf("default on fake GPUs %q, want cpu", d)
	}
}

// The dashboard's --slo-p99 reaches the s sweep, which then recommends against it.
func TestDashboardSweepUsesTheSLO(t *testing.T) {
	tuning := testDashboard(sleepMachine(), DashboardSpec{Threads: 1, SLOP99: 20 * time.Millisecond}, gpus{err: errNoNVML}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the configuration is what is under test, not the measuring
	res, _ := tuning.Sweep(ctx, "linear", "cpu", func(sweep.Result, string) {})
	if res.SLOMS != 20 {
		t.Errorf("sweep SLO %v ms, want 20", res.SLOMS)
	}
}

// The dashboard's race puts the GPU side in the dashboard's precision;
// without a GPU it races CPU threads, which the precision does not concern.
func TestRaceSides(t *testing.T) {
	gpu := []record.Device{{Name: "cpu", Available: true}, {Name: "cuda:0", Available: true}}
	for _, c := range []struct {
		devices []record.Device
		prec    engine.Precision
		a, b    string
	}{
		{gpu, engine.FP32, "cpu (all cores)", "cuda:0"},
		{gpu, engine.TF32, "cpu (all cores)", "cuda:0 (tf32)"},
		{gpu, engine.BF16, "cpu (all cores)", "cuda:0 (bf16)"},
		{gpu[:1], engine.FP16, "cpu ×1 thread", "cpu (all cores)"},
	} {
		a, b := raceSides(c.devices, c.prec)
		if a.String() != c.a || b.String() != c.b {
			t.Errorf("%d devices, %v: %s against %s, want %s against %s", len(c.devices), c.prec, a, b, c.a, c.b)
		}
	}
}

// A batch the CPU's free memory cannot hold is refused with the estimate;
// on a GPU the latest sample's free memory counts, plus what the run holds
// there; without a reading the engine has the last word.
func TestCheckBatch(t *testing.T) {
	host := func() (hostinfo.Memory, error) { return hostinfo.Memory{Available: 8 << 30}, nil }
	cat := presets.NewModels(presets.DefaultSeed)
	cpu := runner.Snapshot{Model: "mlp", Device: "cpu", Memory: engine.Memory{HostBytes: 10 << 20}}
	if err := checkBatch(cat, cpu, 1000, nil, nil, host); err != nil {
		t.Errorf("batch 1000: %v", err)
	}
	if err := checkBatch(cat, cpu, 1_000_000, nil, nil, host); err == nil || !strings.Contains(err.Error(), "needs about") ||
		!strings.Contains(err.Error(), "free in host memory") {
		t.Errorf("a million samples of mlp in 8 GiB: %v", err)
	}
	devices := []record.Device{{Name: "cpu"}, {Name: "cuda:0", GPUIndexes: []int{0}}, {Name: "cuda:1", GPUIndexes: []int{1}},
		{Name: "cuda:all", GPUIndexes: []int{0, 1}}}
	mlp, _ := cat.Get("mlp")
	need, err := runner.MemoryEstimate(mlp, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	free := func(b ...int64) *gpuinfo.Sample {
		s := &gpuinfo.Sample{}
		for i, v := range b {
			s.GPUs = append(s.GPUs, gpuinfo.GPU{Index: i, MemoryFreeBytes: gpuinfo.Some(uint64(v))})
		}
		return s
	}
	gpu := runner.Snapshot{Model: "mlp", Device: "cuda:1"}
	if err := checkBatch(cat, gpu, 1<<16, devices, free(need, need/2), host); err == nil || !strings.Contains(err.Error(), "GPU 1") {
		t.Errorf("cuda:1 with half the room: %v", err)
	}
	gpu.Memory.DeviceBytes = map[string]int64{"cuda:1": need}
	if err := checkBatch(cat, gpu, 1<<16, devices, free(need, need/2), host); err != nil {
		t.Errorf("what the run holds on cuda:1 counts as free: %v", err)
	}
	all := runner.Snapshot{Model: "mlp", Device: "cuda:all"}
	if err := checkBatch(cat, all, 1<<17, devices, free(need, need), host); err != nil {
		t.Errorf("cuda:all splits the batch: %v", err)
	}
	if err := checkBatch(cat, gpu, 1<<30, devices, nil, host); err != nil {
		t.Errorf("without a sample: %v", err)
	}
}

// A dashboard opens its run, telemetry and outputs, publishes where the
// metrics are served, and Close stops and waits for all of it; a reduced
// precision with no GPU to start on is the person's to fix.
func TestOpenDashboard(t *testing.T) {
	m := sleepMachine()
	m.OpenNVML = func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }
	spec := DashboardSpec{Model: "linear", Interval: time.Second, Outputs: Outputs{MetricsAddr: "127.0.0.1:0"}}
	d, err := m.OpenDashboard(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if d.runs.cur.Load() == nil || d.Devices[0].Name != "cpu" || d.Latest().Device != "cpu" || d.Samples != nil ||
		!strings.Contains(d.NVMLError, "no NVIDIA driver") || !strings.HasPrefix(d.Serving, "metrics http://127.0.0.1:") {
		t.Errorf("dashboard %+v", d)
	}
	select {
	case <-d.Snapshots:
	case <-time.After(10 * time.Second):
		t.Error("no snapshot from the run")
	}
	if err := d.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	spec.Precision = engine.FP16
	var ue *UsageError
	want := "--precision fp16 needs a GPU, and none can run here, so the dashboard would start on the CPU; give --device cuda:N or leave --precision fp16 out (the CPU computes in fp32)"
	if _, err := m.OpenDashboard(context.Background(), spec); !errors.As(err, &ue) || err.Error() != want {
		t.Errorf("fp16 on the CPU: %v", err)
	}
}
