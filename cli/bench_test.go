package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/report"
	"infertop/session"
)

// fakeDeps gives bench a fake CPU engine that refuses batches above 64;
// onOpen runs at every executor opening.
func fakeDeps(onOpen func(n int)) session.Machine {
	return session.Machine{
		Registry:   fake.SleepRegistry(64, onOpen),
		HostMemory: func() (hostinfo.Memory, error) { return hostinfo.Memory{Available: 1 << 30, Source: "test"}, nil },
		CPUInfo:    "testdata/cpuinfo",
		Window:     5 * time.Millisecond,
		CPUs:       fourCPUs,
	}
}

// fourCPUs is the test machines' CPUs, whatever the machine running the tests has.
func fourCPUs() hostinfo.CPUs { return hostinfo.CPUs{N: 4, Source: "affinity mask"} }

func runBenchTest(ctx context.Context, deps session.Machine, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := bench(ctx, Env{Stdout: &out, Stderr: &errb}, args, deps)
	return code, out.String(), errb.String()
}

var fast = []string{"--warmup", "5ms", "--duration", "60ms"}

func TestBenchJSONRows(t *testing.T) {
	code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--batch", "1,4,128", "--format", "json")...)
	if code != ExitFailure { // batch 128 does not fit the fake engine
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if len(res.Rows) != 3 || res.Meta.Engine != "fake" || res.Meta.Model != "mlp" || res.Meta.CPUModel != "Test CPU 9000" {
		t.Fatalf("rows %d meta %+v", len(res.Rows), res.Meta)
	}
	for i, r := range res.Rows[:2] {
		if r.Batch != []int{1, 4}[i] || r.Batches == 0 || r.Samples != r.Batches*int64(r.Batch) || r.LatencyMS.P50 < 0.1 || r.Error != "" {
			t.Errorf("row %d: %+v", i, r)
		}
		if r.SamplesPerSec <= 0 || r.SamplesPerSec > float64(r.Batch)*1e4 {
			t.Errorf("row %d: %v samples/s with batches of 100 µs", i, r.SamplesPerSec)
		}
	}
	if r := res.Rows[2]; !strings.Contains(r.Error, "out of memory") && !strings.Contains(r.Error, "needs") {
		t.Errorf("batch 128 row: %+v", r)
	}
	// The reader may miss a state's snapshot (the newest replaces it), so the
	// progress shows either measuring or stable for batch 1.
	if strings.Contains(out, "measuring") || !strings.Contains(stderr, "mlp cpu batch 1: ") ||
		!(strings.Contains(stderr, "batch 1: measuring") || strings.Contains(stderr, "batch 1: stable")) {
		t.Errorf("progress belongs on stderr only; stderr %q", stderr)
	}
}

func TestBenchTableAndTimes(t *testing.T) {
	times := filepath.Join(t.TempDir(), "times.json")
	outFile := filepath.Join(t.TempDir(), "out.txt")
	code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil),
		append(fast, "--preset", "linear", "--batch", "2", "--export-times", times, "--output", outFile)...)
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d stdout %q stderr %s", code, out, stderr)
	}
	table, _ := os.ReadFile(outFile)
	if !strings.Contains(string(table), "SAMPLES/S") || !strings.Contains(string(table), "linear") {
		t.Errorf("table:\n%s", table)
	}
	var ts []report.Times
	b, _ := os.ReadFile(times)
	if err := json.Unmarshal(b, &ts); err != nil || len(ts) != 1 || len(ts[0].LatencyMS) == 0 || ts[0].LatencyMS[0] < 0.1 {
		t.Errorf("times %v %s", err, b)
	}
}

func TestBenchInterruptedKeepsFinishedRows(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := fakeDeps(func(n int) {
		if n == 2 {
			cancel() // Ctrl-C while the second batch size starts
		}
	})
	code, out, stderr := runBenchTest(ctx, deps, append(fast, "--batch", "1,2,3", "--format", "csv")...)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "mlp,cpu,1,") {
		t.Errorf("csv after interrupt: %q", out)
	}
}

func TestBenchBadInput(t *testing.T) {
	dir := t.TempDir()
	tight := fakeDeps(nil)
	tight.HostMemory = func() (hostinfo.Memory, error) {
		return hostinfo.Memory{Available: 100 << 20, Source: "cgroup memory limit"}, nil
	}
	twoCPUs := fakeDeps(nil)
	twoCPUs.CPUs = func() hostinfo.CPUs { return hostinfo.CPUs{N: 2, Source: "cgroup CPU quota"} }
	cases := []struct {
		args []string
		deps session.Machine
		want []string
	}{
		{[]string{"--batch", "0"}, fakeDeps(nil), []string{"batch 0 is out of range", "accepted: comma-separated integers"}},
		{[]string{"--batch", "-3"}, fakeDeps(nil), []string{"batch -3 is out of range", "1 to 16777216"}},
		{[]string{"--batch", "abc"}, fakeDeps(nil), []string{`batch "abc" is not an integer`, "e.g. 1,32,256"}},
		{[]string{"--batch", "9223372036854775808"}, fakeDeps(nil), []string{"batch 9223372036854775808 is out of range", "1 to 16777216"}},
		{[]string{"--batch", "1,,2"}, fakeDeps(nil), []string{"empty entry at position 2"}},
		{[]string{"--batch", "100000"}, tight, []string{"batch 100000 of mlp needs an estimated", "more than the 100.0 MiB available (cgroup memory limit)"}},
		{[]string{"--preset", "vgg"}, fakeDeps(nil), []string{`unknown preset "vgg"`, "valid: lenet5, linear, mlp, resnet, transformer"}},
		{[]string{"--device", "tpu"}, fakeDeps(nil), []string{`unknown device "tpu"`, "valid: cpu, cuda:N"}},
		{[]string{"--device", "cuda:0"}, fakeDeps(nil), []string{"device cuda:0 is not available in this build: built without CUDA"}},
		{[]string{"--format", "xml"}, fakeDeps(nil), []string{`unknown format "xml"`, "valid: table, json, csv"}},
		{[]string{"--duration", "0s"}, fakeDeps(nil), []string{"--duration 0s must be greater than zero"}},
		{[]string{"--duration", "-2s"}, fakeDeps(nil), []string{"--duration -2s is negative"}},
		{[]string{"--duration", "5"}, fakeDeps(nil), []string{`--duration "5" is not a duration`, "e.g. 5s"}},
		{[]string{"--warmup", "-1s"}, fakeDeps(nil), []string{"--warmup -1s is negative"}},
		{[]string{"--threads", "-1"}, fakeDeps(nil), []string{"--threads -1 is negative"}},
		{[]string{"--threads", "3"}, twoCPUs, []string{"--threads 3 is more than the 2 CPUs this process may use (cgroup CPU quota)", "accepted: 0 for all cores, or 1 to 2"}},
		{[]string{"--threads", "100000"}, twoCPUs, []string{"--threads 100000 is more than the 2 CPUs"}},
		{[]string{"--tf32"}, fakeDeps(nil), []string{"--tf32 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only"}},
		{[]string{"--precision", "fp16"}, fakeDeps(nil), []string{"--precision fp16 applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only"}},
		{[]string{"--precision", "fp8"}, fakeDeps(nil), []string{`--precision "fp8" is not a precision (accepted: fp32|tf32|fp16|bf16)`}},
		{[]string{"--precision", "bf16", "--tf32"}, fakeDeps(nil), []string{"--tf32 is --precision tf32 and cannot go with --precision bf16 (give one of them)"}},
		{[]string{"--output", filepath.Join(dir, "missing", "out.json")}, fakeDeps(nil), []string{"--output", "cannot be written: no such file or directory"}},
	}
	for _, c := range cases {
		code, out, stderr := runBenchTest(context.Background(), c.deps, c.args...)
		if code != ExitUsage || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "infertop bench: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line", c.args, code, out, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, stderr, w)
			}
		}
	}
}

// A duration shorter than three windows still measures three: otherwise no row
// could ever pass the window rule.
func TestBenchShortDurationCoversThreeWindows(t *testing.T) {
	code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil), "--warmup", "5ms", "--duration", "6ms", "--batch", "1", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Rows) != 1 {
		t.Fatalf("%v in %q", err, out)
	}
	// A window holds at least runner.DefaultMinWindowBatches (5) batches.
	if r := res.Rows[0]; r.Batches < 3*5 {
		t.Errorf("%d batches measured; three windows hold at least 15", r.Batches)
	}
	// The table and the JSON say what was really measured.
	r := res.Rows[0]
	note := fmt.Sprintf("measured %.2f s, not the 6ms asked for: a run ends on a window boundary, after at least the 3 windows the stability rule compares", r.MeasuredS)
	if r.MeasuredS < 0.015 || !slices.Contains(r.Warnings, note) {
		t.Errorf("measured %v s, warnings %q; want %q", r.MeasuredS, r.Warnings, note)
	}
}

// --precision (and --tf32, its alias for tf32) reaches the GPU engine's
// options and the report's, so a reader of the JSON knows what the
// products were computed in; fp32 is the default and may be given on the
// CPU.
func TestBenchPrecision(t *testing.T) {
	for _, c := range []struct {
		args   []string
		device string
		want   engine.Precision
	}{
		{[]string{"--tf32"}, "cuda:0", engine.TF32},
		{[]string{"--precision", "tf32", "--tf32"}, "cuda:0", engine.TF32},
		{[]string{"--precision", "BF16"}, "cuda:0", engine.BF16},
		{[]string{"--precision", "fp16"}, "cuda:all", engine.FP16},
		{nil, "cuda:0", engine.FP32},
		{[]string{"--precision", "fp32"}, "cpu", engine.FP32},
	} {
		deps := fakeDeps(nil)
		got := engine.Options{Precision: -1}
		deps.Registry.Register(engine.CUDA, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
			got = o
			return fake.NewSleep(m, 0), nil
		})
		args := append(append([]string{"--device", c.device, "--batch", "2", "--format", "json"}, c.args...), fast...)
		code, out, stderr := runBenchTest(context.Background(), deps, args...)
		if code != ExitOK || (c.device != "cpu" && got.Precision != c.want) {
			t.Errorf("%v on %s: exit %d, options %+v: %s", c.args, c.device, code, got, stderr)
			continue
		}
		var res struct {
			Meta struct {
				Precision string         `json:"precision"`
				Options   map[string]any `json:"options"`
			} `json:"meta"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Meta.Options["precision"] != c.want.String() {
			t.Errorf("%v: meta options %v (%v)", c.args, res.Meta.Options, err)
		}
	}
}
