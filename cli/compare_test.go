package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"infertop/engine"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/report"
	"infertop/session"
	"infertop/sweep"
)

// compareTestDeps races on fake.Clock executors; onRun (nil: none) sees
// the count of batches run after each.
func compareTestDeps(onRun func(n int64)) session.Machine {
	reg, now := fake.ClockRegistry(onRun)
	return session.Machine{Registry: reg, CPUInfo: "testdata/cpuinfo", Now: now, CPUs: fourCPUs}
}

func runCompareArgs(t *testing.T, ctx context.Context, deps session.Machine, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := compareMain(ctx, Env{Stdout: &out, Stderr: &errb}, append(args, "--window", "20ms", "--warmup", "5ms"), deps)
	return code, out.String(), errb.String()
}

func TestCompareThreadsCrossover(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "c.png")
	code, out, errs := runCompareArgs(t, context.Background(), compareTestDeps(nil), "--preset", "linear", "--devices", "cpu,cpu",
		"--threads", "1,0", "--batches", "1,1024,4096", "--pairs", "2", "--format", "json", "--plot", plot)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.CompareDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Compare
	// Speed-up B/A = (1 ms + b µs) / (3 ms + b/4 µs).
	for i, b := range []float64{1, 1024, 4096} {
		want := (1000 + b) / (3000 + b/4)
		if got := c.Points[i].SpeedUp; math.Abs(got-want) > 1e-9 {
			t.Errorf("batch %v: ×%v, want ×%v", b, got, want)
		}
	}
	if c.Crossover != 4096 || !strings.Contains(c.CrossoverText, "cpu (all cores) overtakes cpu ×1 thread at batch 4096") {
		t.Errorf("crossover %d %q", c.Crossover, c.CrossoverText)
	}
	if c.Points[0].A.P50MS != 1.001 || c.Points[0].B.P99MS != 3.00025 {
		t.Errorf("percentiles %+v %+v", c.Points[0].A, c.Points[0].B)
	}
	if !strings.Contains(errs, "batch 1024: B/A ×") || !strings.Contains(errs, "plot written to") {
		t.Errorf("progress:\n%s", errs)
	}
	code, out, _ = runCompareArgs(t, context.Background(), compareTestDeps(nil), "--preset", "linear", "--devices", "cpu,cpu",
		"--threads", "1,0", "--batch", "8", "--pairs", "1")
	if code != ExitOK || !strings.Contains(out, "A = cpu ×1 thread, B = cpu (all cores)") || !strings.Contains(out, "SPEED-UP B/A") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
}

// --duration is each side's measuring time at a batch, as bench's is: with
// windows of 20 ms, 50 ms is three pairs (one window of each side per pair).
func TestCompareDuration(t *testing.T) {
	code, out, errs := runCompareArgs(t, context.Background(), compareTestDeps(nil), "--preset", "linear", "--devices", "cpu,cpu",
		"--threads", "1,0", "--batch", "8", "--duration", "50ms", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.CompareDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if p := doc.Compare.Points; len(p) != 1 || p[0].Pairs != 3 {
		t.Errorf("points %+v, want one batch of 3 pairs", p)
	}
}

func TestCompareInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := compareTestDeps(func(n int64) {
		if n == 60 {
			cancel()
		}
	})
	code, out, errs := runCompareArgs(t, ctx, deps, "--preset", "linear", "--devices", "cpu,cpu", "--threads", "1,0",
		"--batches", "1,2", "--pairs", "3", "--format", "csv")
	if code != ExitInterrupted || !strings.Contains(errs, "interrupted; wrote the") || !strings.HasPrefix(out, "batch,a,b,") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]string{
		"the two configurations are identical":                {"--devices", "cpu,cpu", "--threads", "2,2"},
		"identical (cpu (all cores))":                         {"--devices", "cpu,cpu"},
		"must name two devices":                               {"--devices", "cpu"},
		"cuda:0 is not available in this build":               {},
		"--devices cpu,cpu --threads 1,0":                     {"--devices", "cuda:0,cpu"},
		"is not a count":                                      {"--devices", "cpu,cpu", "--threads", "1,x"},
		"one count or two":                                    {"--devices", "cpu,cpu", "--threads", "1,2,3"},
		"not both":                                            {"--devices", "cpu,cpu", "--threads", "1,0", "--batch", "4", "--batches", "4,8"},
		"empty batch list":                                    {"--devices", "cpu,cpu", "--threads", "1,0", "--batches", ""},
		"must increase":                                       {"--devices", "cpu,cpu", "--threads", "1,0", "--batches", "8,1"},
		"--batch 0 is out of range (accepted: 1 to 16777216)": {"--devices", "cpu,cpu", "--threads", "1,0", "--batch", "0"},
		"--batch 9223372036854775808 is out of range":         {"--devices", "cpu,cpu", "--threads", "1,0", "--batch", "9223372036854775808"},
		"unknown image format":                                {"--devices", "cpu,cpu", "--threads", "1,0", "--plot", filepath.Join(dir, "c.gif")},
		"cannot be written":                                   {"--devices", "cpu,cpu", "--threads", "1,0", "--plot", filepath.Join(dir, "x", "c.svg")},
		"--window \"soon\" is not a duration":                 {"--devices", "cpu,cpu", "--threads", "1,0", "--window", "soon"},
		"--pairs 0":                                           {"--devices", "cpu,cpu", "--threads", "1,0", "--pairs", "0"},
		"--tf32 on applies to CUDA devices (cuda:N, cuda:all), not cpu: the CPU engine computes in float32 only":         {"--devices", "cpu,cpu", "--threads", "1,0", "--tf32", "on"},
		"--precision bf16 applies to CUDA devices (cuda:N, cuda:all), not cpu":                                           {"--devices", "cpu,cpu", "--threads", "1,0", "--precision", "fp32,bf16"},
		`--precision "fp32,fp8": "fp8" is not a precision (accepted: fp32|tf32|fp16|bf16, one for both or one per side)`: {"--devices", "cpu,cpu", "--threads", "1,0", "--precision", "fp32,fp8"},
		`--precision "fp32,fp16,bf16" must be one setting or two, e.g. fp32,fp16`:                                        {"--devices", "cpu,cpu", "--threads", "1,0", "--precision", "fp32,fp16,bf16"},
		"--tf32 off,on is --precision fp32,tf32 and cannot go with --precision fp32,fp16 (give one of them)":             {"--devices", "cuda:0,cuda:0", "--tf32", "off,on", "--precision", "fp32,fp16"},
		"is not a setting (accepted: on or off":                                                                          {"--devices", "cpu,cpu", "--threads", "1,0", "--tf32", "maybe"},
		"one setting or two":                                                                                             {"--devices", "cpu,cpu", "--threads", "1,0", "--tf32", "on,off,on"},
	}
	for want, args := range cases {
		var out, errb bytes.Buffer
		code := compareMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, args, compareTestDeps(nil))
		if code != ExitUsage || !strings.Contains(errb.String(), want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", args, code, errb.String(), want)
		}
	}
}

// Racing two precisions on one GPU: each side opens the engine in its
// own, the output names the reduced side, and the JSON carries each side's
// precision. --tf32 off,on is --precision fp32,tf32.
func TestComparePrecisions(t *testing.T) {
	for _, c := range []struct {
		args []string
		a, b engine.Precision
	}{
		{[]string{"--tf32", "off,on"}, engine.FP32, engine.TF32},
		{[]string{"--precision", "fp32,fp16"}, engine.FP32, engine.FP16},
		{[]string{"--precision", "bf16,tf32"}, engine.BF16, engine.TF32},
		{[]string{"--precision", "fp32,tf32", "--tf32", "off,on"}, engine.FP32, engine.TF32},
	} {
		deps := compareTestDeps(nil)
		clock, runs := &atomic.Int64{}, &atomic.Int64{}
		deps.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		var opened []engine.Precision
		deps.Registry.Register(engine.CUDA, func(_ engine.Device, _ *model.Model, o engine.Options) (engine.Executor, error) {
			opened = append(opened, o.Precision)
			threads := 0
			if len(opened) == 2 {
				threads = 1 // the quicker side at small batches
			}
			return &fake.Clock{Now: clock, Threads: threads, Runs: runs, Precision: o.Precision}, nil
		})
		args := append([]string{"--preset", "linear", "--devices", "cuda:0,cuda:0", "--batch", "8", "--pairs", "1", "--format", "json"}, c.args...)
		code, out, errs := runCompareArgs(t, context.Background(), deps, args...)
		if code != ExitOK || !slices.Equal(opened, []engine.Precision{c.a, c.b}) {
			t.Errorf("%v: exit %d, opened in %v: %s", c.args, code, opened, errs)
			continue
		}
		var doc struct {
			Compare struct{ A, B sweep.Side } `json:"compare"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Compare.A.Precision != c.a || doc.Compare.B.Precision != c.b {
			t.Errorf("%v: JSON sides %+v (%v)", c.args, doc.Compare, err)
		}
		if !strings.Contains(out, `"precision": "`+c.b.String()+`"`) {
			t.Errorf("%v: the JSON does not name %v:\n%s", c.args, c.b, out)
		}
	}
	deps := compareTestDeps(nil)
	clock, runs := &atomic.Int64{}, &atomic.Int64{}
	deps.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	deps.Registry.Register(engine.CUDA, func(_ engine.Device, _ *model.Model, o engine.Options) (engine.Executor, error) {
		return &fake.Clock{Now: clock, Runs: runs, Precision: o.Precision}, nil
	})
	code, out, errs := runCompareArgs(t, context.Background(), deps, "--preset", "linear", "--devices", "cuda:0,cuda:0",
		"--precision", "fp32,fp16", "--batch", "8", "--pairs", "1")
	if code != ExitOK || !strings.Contains(out, "A = cuda:0, B = cuda:0 (fp16)") {
		t.Errorf("table: exit %d:\n%s%s", code, out, errs)
	}
	code, _, errs = runCompareArgs(t, context.Background(), deps, "--preset", "linear", "--devices", "cuda:0,cuda:0", "--tf32", "on")
	if code != ExitUsage || !strings.Contains(errs, "identical (cuda:0 (tf32))") {
		t.Errorf("the same setting twice: exit %d: %s", code, errs)
	}
}
