package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/report"
	"infertop/session"
)

// counterNVML is an NVML mock of one GPU, not labelled simulated, whose
// energy counter reads counter; opened counts the sessions opened.
func counterNVML(t *testing.T, counter *atomic.Uint64, opened *atomic.Int32) func() (*gpuinfo.Monitor, error) {
	t.Helper()
	open, err := fake.NVML(1, func(int) uint64 { return counter.Load() }, opened)
	if err != nil {
		t.Fatal(err)
	}
	return open
}

// A sweep on a GPU whose counter advances 1 J per batch writes exactly
// 1 J / batch size per sample at each point, in every format.
func TestSweepOnGPUWritesEnergyPerSample(t *testing.T) {
	var counter atomic.Uint64
	var opened atomic.Int32
	deps := sweepTestDeps(nil)
	deps.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return &fake.Watt{Executor: fake.NewSleep(m, 0), Counter: &counter, MJPerBatch: 1000}, nil
	})
	deps.OpenNVML = counterNVML(t, &counter, &opened)
	args := []string{"--preset", "linear", "--device", "cuda:0", "--batches", "1,4"}
	code, out, errs := runSweepArgs(t, context.Background(), deps, append(args, "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.SweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if len(doc.Sweep.Points) != 2 {
		t.Fatalf("points %+v", doc.Sweep.Points)
	}
	for _, p := range doc.Sweep.Points {
		e := p.Energy
		if want := 1 / float64(p.Batch); !e.Valid || e.JoulesPerSample != want || e.Samples <= 0 || e.Joules != float64(e.Samples)*want {
			t.Errorf("batch %d: energy %+v, want %v J/sample", p.Batch, e, want)
		}
	}
	if !strings.Contains(errs, "batch 4: ") || !strings.Contains(errs, " · 0.25 J/sample") {
		t.Errorf("progress lines without energy:\n%s", errs)
	}

	_, out, _ = runSweepArgs(t, context.Background(), deps, append(args, "--format", "csv")...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV %v %v", recs, err)
	}
	last := len(recs[0]) - 1
	if recs[0][last] != "joules_per_sample" || recs[1][last] != "1" || recs[2][last] != "0.25" {
		t.Errorf("CSV %v", recs)
	}

	_, out, _ = runSweepArgs(t, context.Background(), deps, append(args, "--format", "table")...)
	lines := strings.Split(out, "\n")
	// The J/SAMPLE column follows RSS / GPU USED (NVML's used memory, from the same session).
	if !regexp.MustCompile(`RSS / GPU USED +J/SAMPLE +STABLE`).MatchString(lines[3]) ||
		!regexp.MustCompile(`^ +1 .* GiB \(NVML\) +1 +(yes|no)`).MatchString(lines[4]) ||
		!regexp.MustCompile(`^ +4 .* GiB \(NVML\) +0\.25 +(yes|no)`).MatchString(lines[5]) {
		t.Errorf("table:\n%s", out)
	}
	if n := opened.Load(); n != 3 {
		t.Errorf("NVML opened %d times for 3 sweeps", n)
	}
}

// A CPU sweep opens no NVML and its outputs have no energy column.
func TestSweepOnCPUWritesNoEnergy(t *testing.T) {
	var counter atomic.Uint64
	var opened atomic.Int32
	deps := sweepTestDeps(nil)
	deps.OpenNVML = counterNVML(t, &counter, &opened)
	for _, format := range []string{"json", "csv", "table"} {
		code, out, errs := runSweepArgs(t, context.Background(), deps, "--preset", "linear", "--batches", "1,2", "--format", format)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if strings.Contains(out, "joules") || strings.Contains(out, "J/SAMPLE") || strings.Contains(errs, "J/sample") {
			t.Errorf("%s:\n%s", format, out)
		}
	}
	if opened.Load() != 0 {
		t.Error("NVML opened for a CPU sweep")
	}
}

// compareGPUDeps races the CPU against a cuda:0 whose counter advances
// 2 J per batch (fake.GPURace), with an NVML that reads it.
func compareGPUDeps(t *testing.T, counter *atomic.Uint64, opened *atomic.Int32) session.Machine {
	reg, now := fake.GPURace(counter)
	return session.Machine{Registry: reg, CPUInfo: "testdata/cpuinfo", Now: now, OpenNVML: counterNVML(t, counter, opened)}
}

// A race of the CPU against a GPU: the GPU side's energy per sample is
// exactly 2 J over the batch size; the CPU side has none, in every format.
func TestCompareCPUAgainstGPUWritesGPUEnergy(t *testing.T) {
	var counter atomic.Uint64
	var opened atomic.Int32
	deps := compareGPUDeps(t, &counter, &opened)
	args := []string{"--preset", "linear", "--devices", "cpu,cuda:0", "--batches", "2,8", "--pairs", "2"}
	code, out, errs := runCompareArgs(t, context.Background(), deps, append(args, "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.CompareDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Compare.Points) != 2 {
		t.Fatalf("points %+v", doc.Compare.Points)
	}
	for _, p := range doc.Compare.Points {
		e, want := p.B.Energy, 2/float64(p.Batch)
		if !e.Valid || e.JoulesPerSample != want || e.Samples != int64(p.B.Count*p.Batch) || e.Joules != 2*float64(p.B.Count) {
			t.Errorf("batch %d: GPU side energy %+v over %d batches, want %v J/sample", p.Batch, e, p.B.Count, want)
		}
		if p.A.Energy.Valid {
			t.Errorf("batch %d: CPU side energy %+v", p.Batch, p.A.Energy)
		}
	}
	if strings.Count(out, `"energy"`) != 2 {
		t.Errorf("JSON carries %d energy objects, want the GPU side's 2:\n%s", strings.Count(out, `"energy"`), out)
	}

	_, out, _ = runCompareArgs(t, context.Background(), deps, append(args, "--format", "csv")...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV %v %v", recs, err)
	}
	n := slices.Index(recs[0], "b_p99_ms") + 1 // the last column of the race itself
	if got := recs[0][n:]; len(got) != 2 || got[0] != "a_joules_per_sample" || got[1] != "b_joules_per_sample" ||
		recs[1][n] != "" || recs[1][n+1] != "1" || recs[2][n] != "" || recs[2][n+1] != "0.25" {
		t.Errorf("CSV %v", recs)
	}

	_, out, _ = runCompareArgs(t, context.Background(), deps, append(args, "--format", "table")...)
	if !regexp.MustCompile(`B P99 ms +A J/SAMPLE +B J/SAMPLE +PAIRS`).MatchString(out) || !regexp.MustCompile(`\n +8 .* - +0\.25 +2\n`).MatchString(out) {
		t.Errorf("table:\n%s", out)
	}
}

// A race whose GPU energy counter cannot be read: the GPU side's energy is
// unknown, the run still succeeds, and stderr and the table say why once.
func TestCompareEnergyReadFailureIsNoted(t *testing.T) {
	var counter atomic.Uint64
	var opened atomic.Int32
	deps := compareGPUDeps(t, &counter, &opened)
	srv, err := gpuinfo.FakeServer(1, gpuinfo.FakeOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	srv.Devices[0].(*server.Device).GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	deps.OpenNVML = func() (*gpuinfo.Monitor, error) { return gpuinfo.OpenLibrary(srv, gpuinfo.Options{SelfPID: 1}) }
	code, out, errs := runCompareArgs(t, context.Background(), deps, "--preset", "linear", "--devices", "cpu,cuda:0", "--batches", "2,8", "--pairs", "2")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	note := regexp.MustCompile(`note: B \(cuda:0\): reading its energy counter failed \(.*(?i:lost).*\); its J/sample counts only the windows where it was read`)
	if n := len(note.FindAllString(errs, -1)); n != 1 {
		t.Errorf("stderr has the note %d times, want once:\n%s", n, errs)
	}
	if !note.MatchString(out) || strings.Contains(out, "J/SAMPLE") {
		t.Errorf("table without the note, or with an energy column:\n%s", out)
	}
}

// A bench on a GPU whose counter advances 1 J per batch writes exactly
// 1 J / batch size per sample in its row.
func TestBenchOnGPUWritesEnergyPerSample(t *testing.T) {
	var counter atomic.Uint64
	var opened atomic.Int32
	deps := fakeDeps(nil)
	deps.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return &fake.Watt{Executor: fake.NewSleep(m, 0), Counter: &counter, MJPerBatch: 1000}, nil
	})
	deps.OpenNVML = counterNVML(t, &counter, &opened)
	code, out, stderr := runBenchTest(context.Background(), deps, append(fast, "--device", "cuda:0", "--batch", "1,4", "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows %+v", res.Rows)
	}
	for _, r := range res.Rows {
		e := r.Energy
		if want := 1 / float64(r.Batch); !e.Valid || e.JoulesPerSample != want || e.Samples <= 0 || e.Samples > r.Samples {
			t.Errorf("batch %d: energy %+v of %d samples, want %v J/sample", r.Batch, e, r.Samples, want)
		}
	}
}
