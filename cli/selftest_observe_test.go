package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"infertop/engine"
	"infertop/gpuinfo"
	"infertop/model"
	"infertop/record"
	"infertop/runner"
	"infertop/session"
)

// caseRegistry is fakeRegistry with a fault per model, and optionally a
// CUDA family computed the same way; gate, when set, holds every run of a
// model until the test lets it go.
func caseRegistry(faults map[string]string, cuda bool, gate func(model string)) *engine.Registry {
	r := engine.NewRegistry()
	open := func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		if gate != nil {
			gate(m.Name)
		}
		return &refExec{m: m, fault: faults[m.Name]}, nil
	}
	r.Register(engine.CPU, open)
	if cuda {
		r.Register(engine.CUDA, open)
	} else {
		r.Unavailable(engine.CUDA, "built without CUDA")
	}
	return r
}

// noNVML is a machine without a driver.
func noNVML() (*gpuinfo.Monitor, error) { return nil, gpuinfo.ErrNoDriver }

func runSTDeps(deps session.Machine, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := selftest(context.Background(), Env{Stdout: &out, Stderr: &errb}, args, deps)
	return code, out.String(), errb.String()
}

// caseEvents are a recording's events that carry a case, and the others.
func caseEvents(t *testing.T, rec *record.Recording) (cases []record.Case, other []runner.Event, samples int) {
	t.Helper()
	for _, e := range rec.Entries {
		switch e.Kind {
		case record.KindEvent:
			if e.Case != nil {
				cases = append(cases, *e.Case)
			} else {
				other = append(other, *e.Event)
			}
		case record.KindSample:
			samples++
		default:
			t.Errorf("line %d: a selftest recorded a %v entry", e.Line, e.Kind)
		}
	}
	return cases, other, samples
}

// --record writes the header and one event per case with its verdict, then
// the summary; every line reads back with the record package's reader.
func TestSelftestRecordsOneEventPerCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "selftest.jsonl")
	deps := session.Machine{Registry: caseRegistry(map[string]string{"mlp": "skew", "lenet5": "skip"}, false, nil), OpenNVML: noNVML}
	code, out, errs := runSTDeps(deps, "--device", "cpu", "--presets", "linear,mlp,lenet5", "--batches", "1,3", "--record", path)
	if code != ExitFailure || !strings.Contains(out, "FAIL: 4 of 6 cases") {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
	rec, err := record.ReadFile(path)
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	h := rec.Header
	if h.Command != "selftest" || h.Format != record.FormatVersion || h.Build.Version != Version || h.Machine.CPUs == 0 ||
		h.Options["device"] != "cpu" || h.Options["baseline"] != "reference" || h.Machine.NVMLError == "" {
		t.Errorf("header %+v", h)
	}
	cases, other, samples := caseEvents(t, rec)
	if len(cases) != 6 || samples != 0 {
		t.Fatalf("%d cases and %d GPU samples, want 6 and none on the CPU", len(cases), samples)
	}
	i := 0
	for _, p := range []string{"linear", "mlp", "lenet5"} {
		for _, b := range []int{1, 3} {
			c := cases[i]
			i++
			if c.Model != p || c.Batch != b || c.Device != "cpu" || c.Baseline != "reference" || c.Tolerance != engine.FP32.Tolerance() {
				t.Errorf("case %d: %+v, want %s batch %d", i, c, p, b)
				continue
			}
			switch p {
			case "linear":
				if !c.Pass || !c.Compared || c.MaxRelErr > engine.FP32.Tolerance() || c.Error != "" {
					t.Errorf("linear %d: %+v, want a pass", b, c)
				}
			case "mlp":
				if c.Pass || !c.Compared || c.MaxRelErr <= engine.FP32.Tolerance() || !strings.Contains(c.Error, "exceeds") {
					t.Errorf("mlp %d: %+v, want a failure over the tolerance", b, c)
				}
			case "lenet5":
				if c.Pass || c.Compared || !strings.Contains(c.Error, "not written") {
					t.Errorf("lenet5 %d: %+v, want a failure without a comparison", b, c)
				}
			}
		}
	}
	if len(other) != 1 || other[0].Text != "FAIL: 4 of 6 cases" || other[0].Kind != runner.EventError {
		t.Errorf("summary events %+v", other)
	}
}

// On a GPU the recording also carries the GPUs' telemetry (here simulated),
// and the header names them.
func TestSelftestOnAGPURecordsGPUSamples(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gpu.jsonl")
	deps := session.Machine{Registry: caseRegistry(nil, true, nil), OpenNVML: func() (*gpuinfo.Monitor, error) {
		return gpuinfo.OpenFake(2, gpuinfo.FakeOptions{Seed: 3})
	}}
	code, out, errs := runSTDeps(deps, "--device", "cuda:0", "--presets", "linear", "--batches", "2", "--record", path)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases, other, samples := caseEvents(t, rec)
	if len(cases) != 1 || !cases[0].Pass || cases[0].Baseline != "cpu" || cases[0].Device != "cuda:0" || len(other) != 1 {
		t.Errorf("cases %+v, other events %+v", cases, other)
	}
	if samples == 0 {
		t.Error("no GPU sample recorded on a GPU")
	}
	for _, e := range rec.Entries {
		if e.Kind == record.KindSample && (!e.Sample.Fake || len(e.Sample.GPUs) != 2) {
			t.Errorf("sample %+v: want the two simulated GPUs, marked fake", e.Sample)
		}
	}
	if g := rec.Header.Machine.GPUs; len(g) != 2 || g[0].Name != gpuinfo.FakeName {
		t.Errorf("header GPUs %+v", g)
	}
	// The replay lists the case and says the GPUs were simulated.
	if code, out, _ := replayText(t, path); code != ExitOK || !strings.Contains(out, "PASS linear batch 2 on cuda:0") ||
		!strings.Contains(out, "GPU samples: ") || !strings.Contains(out, "(FAKE: simulated GPUs)") ||
		!strings.Contains(out, "2 GPUs: "+gpuinfo.FakeName) {
		t.Errorf("replay: exit %d:\n%s", code, out)
	}
}

// syncBuffer is a buffer a command writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// While a selftest runs, its endpoint shows what runs and the verdicts of
// the cases finished so far.
func TestSelftestMetricsEndpointShowsTheCases(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	reached := make(chan struct{})
	gate := func(preset string) {
		if preset == "mlp" {
			once.Do(func() { close(reached) })
			<-release
		}
	}
	deps := session.Machine{Registry: caseRegistry(map[string]string{"lenet5": "skew"}, false, gate), OpenNVML: noNVML}
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- selftest(context.Background(), Env{Stdout: io.Discard, Stderr: &stderr},
			[]string{"--device", "cpu", "--presets", "linear,lenet5,mlp", "--batches", "4", "--metrics-addr", "127.0.0.1:0"}, deps)
	}()
	select {
	case <-reached:
	case code := <-done:
		t.Fatalf("selftest ended (exit %d) before its last case: %s", code, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the last case never started")
	}
	m := regexp.MustCompile(`metrics on (http://127\.0\.0\.1:\d+/metrics) \(listening on `).FindStringSubmatch(stderr.String())
	if m == nil {
		close(release)
		t.Fatalf("no metrics address printed: %q", stderr.String())
	}
	const want = `
# HELP infertop_selftest_case_passed 1 when the case passed, 0 when it failed; present once the case has finished.
# TYPE infertop_selftest_case_passed gauge
infertop_selftest_case_passed{batch="4",device="cpu",model="lenet5"} 0
infertop_selftest_case_passed{batch="4",device="cpu",model="linear"} 1
# HELP infertop_selftest_cases_total Cases finished, by result ("pass", "fail", or "refused": every batch of a model the device's engine cannot run).
# TYPE infertop_selftest_cases_total counter
infertop_selftest_cases_total{device="cpu",result="fail"} 1
infertop_selftest_cases_total{device="cpu",result="pass"} 1
infertop_selftest_cases_total{device="cpu",result="refused"} 0
# HELP infertop_selftest_planned_cases Cases (model × batch) the selftest runs in all.
# TYPE infertop_selftest_planned_cases gauge
infertop_selftest_planned_cases{device="cpu"} 3
# HELP infertop_selftest_info The selftest running: always 1; baseline is what the device's outputs are compared with ("reference": the plain-Go evaluation of the model's graph, "cpu": the CPU engine); precision is what the device computes in (fp32, tf32, fp16 or bf16; the baseline is float32).
# TYPE infertop_selftest_info gauge
infertop_selftest_info{baseline="reference",device="cpu",precision="fp32"} 1
`
	err := testutil.ScrapeAndCompare(m[1], strings.NewReader(want), "infertop_selftest_case_passed",
		"infertop_selftest_cases_total", "infertop_selftest_planned_cases", "infertop_selftest_info", "infertop_samples_total")
	close(release)
	if err != nil {
		t.Error(err)
	}
	if code := <-done; code != ExitFailure {
		t.Errorf("exit %d, want 1 (lenet5 fails): %s", code, stderr.String())
	}
}

// Bad observer flags are refused with their reason and exit 2 before any case runs.
func TestSelftestBadObserverFlags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics-addr", ln.Addr().String()}, "already in use"},
		{[]string{"--metrics-addr", "127.0.0.1:notaport"}, "--metrics-addr"},
		{[]string{"--record", filepath.Join(t.TempDir(), "no", "such", "dir.jsonl")}, "--record"},
		{[]string{"--record"}, "flag needs an argument"},
	} {
		opened := false
		deps := session.Machine{Registry: caseRegistry(nil, false, func(string) { opened = true }), OpenNVML: noNVML}
		code, out, errs := runSTDeps(deps, append([]string{"--device", "cpu", "--presets", "linear", "--batches", "1"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) || opened || out != "" {
			t.Errorf("%v: exit %d (want 2), engine opened %v, stdout %q, stderr %q (want %q)", tc.args, code, opened, out, errs, tc.want)
		}
	}
}

// --help names the flags selftest shares with bench and sweep.
func TestSelftestHelpNamesTheObserverFlags(t *testing.T) {
	code, out, errs := runSTDeps(session.Machine{Registry: caseRegistry(nil, false, nil), OpenNVML: noNVML}, "--help")
	if code != ExitOK || !strings.Contains(errs, "--metrics-addr") || !strings.Contains(errs, "-record FILE") {
		t.Errorf("exit %d: %s%s", code, out, errs)
	}
}

// An interrupted selftest says in its recording that it is incomplete.
func TestSelftestInterruptedRecordsThatItIsIncomplete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	deps := session.Machine{Registry: caseRegistry(nil, false, nil), OpenNVML: noNVML}
	code := selftest(ctx, Env{Stdout: &out, Stderr: &errb}, []string{"--device", "cpu", "--presets", "linear", "--batches", "1,2", "--record", path}, deps)
	if code != ExitInterrupted {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases, other, _ := caseEvents(t, rec)
	if len(cases) != 0 || len(other) != 1 || other[0].Kind != runner.EventWarning ||
		other[0].Text != "interrupted after 0 of 2 cases: the selftest is incomplete" {
		t.Errorf("cases %+v, events %+v", cases, other)
	}
}
