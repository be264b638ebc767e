package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/presets"
	"infertop/runner"
	"infertop/sweep"
	"infertop/ui"
)

func testDashboardDeps(tty bool) dashboardDeps {
	return dashboardDeps{
		isTerminal: func(io.Writer) bool { return tty },
		openNVML:   func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver },
	}
}

func TestDashboardBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--preset", "nope"}, "unknown preset"},
		{[]string{"--device", "tpu"}, "unknown device"},
		{[]string{"--batch", "-1"}, "--batch -1 is out of range"},
		{[]string{"--threads", "-2"}, "--threads -2 is negative"},
		{[]string{"--fake-gpus", "100"}, "--fake-gpus 100 is out of range"},
		{[]string{"--interval", "10ms"}, "--interval 10ms is too short"},
		{[]string{"--warmup", "-1s"}, "--warmup -1s is negative"},
		{[]string{"--slo-p99", "-5ms"}, "--slo-p99 -5ms is negative (accepted: a positive duration such as 20ms)"},
		{[]string{"--slo-p99", "fast"}, "invalid value \"fast\" for flag -slo-p99"},
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"--device", "cpu", "--tf32"}, "--tf32 applies to CUDA devices (cuda:N, cuda:all), not cpu"},
		{[]string{"--tf32"}, "--tf32 needs a GPU, and none can run here"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		code := dashboardMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, tc.args, testDashboardDeps(true))
		if code != ExitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

func TestDashboardNeedsATerminal(t *testing.T) {
	var out, errb bytes.Buffer
	code := dashboardMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, nil, testDashboardDeps(false))
	if code != ExitUsage || !strings.Contains(errb.String(), "not") || !strings.Contains(errb.String(), "infertop bench") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestDashboardIsTheDefaultCommand(t *testing.T) {
	for _, args := range [][]string{nil, {"--preset", "linear"}} {
		var out, errb bytes.Buffer
		// Output is a buffer, not a terminal: the dashboard says so and exits 2.
		code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != ExitUsage || !strings.Contains(errb.String(), "infertop bench") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestDashboardDevicesWithoutNVML(t *testing.T) {
	reg := engine.NewRegistry()
	reg.Unavailable(engine.CUDA, "built without CUDA")
	devs := dashboardDevices(reg, nil, gpuinfo.ErrNoDriver, "")
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
	devs := dashboardDevices(newRegistry(), mon, nil, "")
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

func TestDashboardResultFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	s := runner.Snapshot{Preset: "linear", Device: "cpu", Batch: 1000, State: runner.Done,
		Overall: runner.Throughput{Samples: 5000, SamplesPerSec: 1234.5}}
	if err := writeDashboardResult(path, s); err != nil {
		t.Fatal(err)
	}
	var got dashboardResult
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &got)
	}
	if err != nil || got.SamplesPerSec != 1234.5 || got.Batch != 1000 || got.State != "done" {
		t.Fatalf("result %+v, %v", got, err)
	}
	if err := writeDashboardResult(filepath.Join(t.TempDir(), "no", "r.json"), s); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// The dashboard's --slo-p99 reaches the s sweep, which then recommends against it.
func TestDashboardSweepUsesTheSLO(t *testing.T) {
	deps := sweepTestDeps(nil)
	tuning := dashboardTuning(tuningSetup{reg: deps.registry, cat: presets.NewCatalog(), threads: 1, slo: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the configuration is what is under test, not the measuring
	res, _ := tuning.Sweep(ctx, "linear", "cpu", func(sweep.Result, string) {})
	if res.SLOMS != 20 {
		t.Errorf("sweep SLO %v ms, want 20", res.SLOMS)
	}
}

// The dashboard's race puts the GPU side in the dashboard's TF32 setting;
// without a GPU it races CPU threads, which TF32 does not concern.
func TestRaceSides(t *testing.T) {
	gpu := []ui.DeviceChoice{{Name: "cpu", Available: true}, {Name: "cuda:0", Available: true}}
	for _, c := range []struct {
		devices []ui.DeviceChoice
		tf32    bool
		a, b    string
	}{
		{gpu, false, "cpu (all cores)", "cuda:0"},
		{gpu, true, "cpu (all cores)", "cuda:0 (TF32)"},
		{gpu[:1], true, "cpu ×1 thread", "cpu (all cores)"},
	} {
		a, b := raceSides(c.devices, c.tf32)
		if a.String() != c.a || b.String() != c.b {
			t.Errorf("%d devices, tf32 %v: %s against %s, want %s against %s", len(c.devices), c.tf32, a, b, c.a, c.b)
		}
	}
}
