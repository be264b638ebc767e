package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/presets"
	"infertop/report"
	"infertop/runner"
	"infertop/session"
	"infertop/sweep"
)

// sweepFast are measurement flags that keep a fake sweep short.
var sweepFast = []string{"--warmup", "1ms", "--window", "2ms", "--max-time", "10ms"}

// sweepTestDeps gives sweep a fake CPU engine without a memory limit of its
// own (the estimate is the edge); onOpen runs at every executor opening.
func sweepTestDeps(onOpen func(n int)) session.Machine {
	m := fakeDeps(nil)
	m.Registry, m.Window, m.RSS = fake.SleepRegistry(0, onOpen), 0, func() int64 { return 42 << 20 }
	return m
}

func runSweepArgs(t *testing.T, ctx context.Context, deps session.Machine, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := sweepMain(ctx, Env{Stdout: &out, Stderr: &errb}, append(args, sweepFast...), deps)
	return code, out.String(), errb.String()
}

func TestSweepEstimateEdgeJSONAndPlot(t *testing.T) {
	dir := t.TempDir()
	lin, _ := presets.BuildModel("linear", presets.DefaultSeed)
	limit, err := runner.MemoryEstimate(lin, 100)
	if err != nil {
		t.Fatal(err)
	}
	plot := filepath.Join(dir, "s.svg")
	code, out, errs := runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--preset", "linear", "--format", "json",
		"--mem-limit", itoa(limit), "--plot", plot)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.SweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	s := doc.Sweep
	var got []int
	for _, p := range s.Points {
		got = append(got, p.Batch)
		if p.RSSBytes != 42<<20 || p.EngineBytes != int64(p.Batch)*1000 {
			t.Errorf("batch %d memory: engine %d rss %d", p.Batch, p.EngineBytes, p.RSSBytes)
		}
	}
	if want := []int{1, 2, 4, 8, 16, 32, 64, 100}; !slices.Equal(got, want) {
		t.Errorf("batches %v, want %v", got, want)
	}
	if s.Stop != sweep.StopOOM || s.Edge == nil || s.Edge.Largest != 100 || s.Edge.Failed != 128 || !s.Edge.ByEstimate {
		t.Errorf("stop %q edge %+v", s.Stop, s.Edge)
	}
	// The memory model fits what the edge is judged by, the estimate, and
	// says what the bisection found: batch 101 is the first out of memory.
	e1, _ := runner.MemoryEstimate(lin, 1)
	e2, _ := runner.MemoryEstimate(lin, 2)
	if f := s.Fit; f == nil || f.Of != sweep.OfEstimate || math.Abs(f.B-float64(e2-e1)) > 1e-6 || f.PredictedOOM != 101 || !f.FromEdge ||
		!slices.Contains(s.Notes, sweep.CPUEdgeNote) {
		t.Errorf("fit %+v notes %v", s.Fit, s.Notes)
	}
	if doc.Meta.Model != "linear" || doc.Meta.Engine != "fake" {
		t.Errorf("meta %+v", doc.Meta)
	}
	b, err := os.ReadFile(plot)
	if err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("out-of-memory edge 100")) {
		t.Errorf("plot: %v, %d bytes", err, len(b))
	}
	if !strings.Contains(errs, "batch 64:") || !strings.Contains(errs, "plot written to") {
		t.Errorf("progress:\n%s", errs)
	}
}

func TestSweepTableCSVAndBaseline(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	code, _, errs := runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--preset", "linear", "--batches", "1,4,16",
		"--format", "json", "--output", old)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, out, errs := runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--preset", "linear", "--batches", "4,16,64",
		"--slo-p99", "1s", "--baseline", old)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"sweep of linear on cpu · SLO p99 1000 ms", "BATCH", "← recommended", "stopped: every listed batch was measured",
		"recommendation: batch ", "why: batch ", "memory model: memory estimate ≈", "note: on the CPU", "Against the baseline", "RATIO"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--preset", "linear", "--batches", "2,3", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "batch,samples_per_sec,p50_ms,p99_ms") || !strings.HasPrefix(lines[2], "3,") {
		t.Errorf("csv (exit %d):\n%s", code, out)
	}
}

func TestSweepInterruptWritesWhatWasMeasured(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The third executor opened is batch 4's: interrupt there.
	deps := sweepTestDeps(func(n int) {
		if n == 3 {
			cancel()
		}
	})
	code, out, errs := runSweepArgs(t, ctx, deps, "--preset", "linear", "--format", "json")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130: %s", code, errs)
	}
	var doc report.SweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Sweep.Points) != 2 || doc.Sweep.Stop != sweep.StopInterrupted || !strings.Contains(errs, "wrote the 2 measured") {
		t.Errorf("points %d stop %q\n%s", len(doc.Sweep.Points), doc.Sweep.Stop, errs)
	}
}

func TestSweepBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]string{
		"empty batch list":                   {"--batches", ""},
		"batch list must increase":           {"--batches", "8,4"},
		"8 follows 8":                        {"--batches", "1,8,8"},
		`--slo-p99 "fast" is not a duration`: {"--slo-p99", "fast"},
		"must be greater than zero":          {"--slo-p99", "0s"},
		"unknown image format \".jpg\"":      {"--plot", filepath.Join(dir, "p.jpg")},
		"cannot be written":                  {"--plot", filepath.Join(dir, "no", "such", "p.svg")},
		"has no extension":                   {"--plot", filepath.Join(dir, "plot")},
		"unknown format":                     {"--format", "xml"},
		"not available in this build":        {"--device", "cuda:0"},
		"--tf32 applies to CUDA devices":     {"--tf32"},
		"--precision fp16 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only": {"--precision", "fp16"},
		"--tf32 is --precision tf32 and cannot go with --precision bf16":                                                {"--precision", "bf16", "--tf32"},
		"not a positive size": {"--mem-limit", "lots"},
		"--max-batch 0":       {"--max-batch", "0"},
		"no sweep points":     {"--baseline", writeFile(t, dir, "b.json", `{"rows":[]}`)},
	}
	for want, args := range cases {
		code, _, errs := runSweepArgs(t, context.Background(), sweepTestDeps(nil), args...)
		if code != ExitUsage || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", args, code, errs, want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"512MiB": 512 << 20, "2GiB": 2 << 30, "1.5G": 3 << 29, "1048576": 1 << 20, "10 kb": 10000} {
		if got, err := parseBytes(s); err != nil || got != want {
			t.Errorf("%q = %d %v, want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1MiB", "12XB", "MiB", "0"} {
		if _, err := parseBytes(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// On a GPU, one NVML session gives every point the used memory and the
// energy of the run's GPU (cuda:1 is the second in PCI bus order), and the
// GPU's total memory is the limit the fit and the headroom are measured
// against.
func TestSweepGPUPointsCarryNVMLMemory(t *testing.T) {
	var counter atomic.Uint64
	deps := sweepTestDeps(nil)
	deps.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return onCUDA1{&fake.Watt{Executor: fake.NewSleep(m, 0), Counter: &counter, MJPerBatch: 1000}}, nil
	})
	srv, err := gpuinfo.FakeServer(2, gpuinfo.FakeOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d1 := srv.Devices[1].(*server.Device)
	d1.GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) {
		return nvml.Memory_v2{Total: 80 << 30, Used: 3 << 30, Free: 77 << 30}, nvml.SUCCESS
	}
	d1.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return counter.Load(), nvml.SUCCESS }
	var opened atomic.Int32
	deps.OpenNVML = func() (*gpuinfo.Monitor, error) {
		opened.Add(1)
		return gpuinfo.OpenLibrary(srv, gpuinfo.Options{SelfPID: 1})
	}
	code, out, errs := runSweepArgs(t, context.Background(), deps, "--preset", "linear", "--device", "cuda:1", "--batches", "1,2", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.SweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if opened.Load() != 1 {
		t.Errorf("NVML opened %d times for one sweep", opened.Load())
	}
	if doc.Sweep.MemLimit != 80<<30 || len(doc.Sweep.Points) != 2 {
		t.Fatalf("limit %d, %d points", doc.Sweep.MemLimit, len(doc.Sweep.Points))
	}
	for _, p := range doc.Sweep.Points {
		if p.DeviceUsedBytes != 3<<30 || p.RSSBytes != 0 {
			t.Errorf("point %+v: want 3 GiB used from NVML and no RSS", p)
		}
		if want := 1 / float64(p.Batch); !p.Energy.Valid || p.Energy.JoulesPerSample != want {
			t.Errorf("batch %d: energy %+v, want %v J/sample", p.Batch, p.Energy, want)
		}
	}
	// Without NVML the sweep still runs, and says what it lacks.
	deps.OpenNVML = func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }
	code, _, errs = runSweepArgs(t, context.Background(), deps, "--preset", "linear", "--device", "cuda:1", "--batches", "1")
	if code != ExitOK || !strings.Contains(errs, "infertop sweep: no NVML memory or energy figures: ") {
		t.Errorf("without NVML: exit %d: %s", code, errs)
	}
}

// A batch sweep and a serving search on a GPU open its engine in
// --precision, and their JSON says which: the options asked for it, the
// meta what the engine ran.
func TestSweepPrecision(t *testing.T) {
	for _, mode := range [][]string{{"--batches", "1,2"}, {"--arrival", "poisson", "--slo-p99", "50ms", "--max-batch", "2", "--max-points", "1"}} {
		deps := sweepTestDeps(nil)
		deps.OpenNVML = func() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }
		var opened atomic.Int32
		var wrong atomic.Int32
		deps.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
			opened.Add(1)
			if o.Precision != engine.BF16 {
				wrong.Add(1)
			}
			return inPrecision{fake.NewSleep(m, 0), o.Precision}, nil
		})
		args := append([]string{"--preset", "linear", "--device", "cuda:0", "--precision", "bf16", "--format", "json"}, mode...)
		code, out, errs := runSweepArgs(t, context.Background(), deps, args...)
		if code != ExitOK || opened.Load() == 0 || wrong.Load() != 0 {
			t.Errorf("%v: exit %d, %d opened, %d not in bf16: %s", mode, code, opened.Load(), wrong.Load(), errs)
			continue
		}
		var doc struct {
			Meta report.Meta `json:"meta"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Meta.Options["precision"] != "bf16" || doc.Meta.Precision != "bf16" {
			t.Errorf("%v: meta %+v (%v)", mode, doc.Meta, err)
		}
	}
}

// inPrecision is a fake GPU executor that says it ran in its precision.
type inPrecision struct {
	*fake.Sleep
	p engine.Precision
}

func (e inPrecision) Info() engine.Info {
	return engine.Info{Device: "cuda:0", Engine: "fake-cuda", Precision: e.p}
}

// onCUDA1 is a fake executor moved to cuda:1.
type onCUDA1 struct{ *fake.Watt }

func (onCUDA1) Info() engine.Info { return engine.Info{Device: "cuda:1", Engine: "fake-cuda"} }
