package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/report"
	"infertop/session"
)

// profSleep is a fake.Sleep that times two steps of its batch: "gemm", three
// quarters of it, and "relu".
type profSleep struct{ *fake.Sleep }

var profSteps = []engine.Step{
	{Name: "gemm", Op: "Linear", Covers: []string{"fc1", "relu1"}, FLOPs: 1e6, Bytes: 1e5, Way: "sgemm", Threads: 1},
	{Name: "relu", Op: "Relu", Covers: []string{"relu2"}, Bytes: 1e4, Way: "element-wise kernel", Threads: 1},
}

func (p profSleep) Steps() []engine.Step { return profSteps }

func (p profSleep) RunProfiled(in, out []*model.Tensor, times []time.Duration) (engine.Timing, error) {
	t0 := time.Now()
	tm, err := p.Run(in, out)
	d := time.Since(t0)
	times[0], times[1] = d*3/4, d/4
	return tm, err
}

// profDeps is fakeDeps with an engine that times its steps.
func profDeps() session.Machine {
	deps := fakeDeps(nil)
	deps.Registry = engine.NewRegistry()
	deps.Registry.Register(engine.CPU, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return profSleep{fake.NewSleep(m, 0)}, nil
	})
	deps.Registry.Unavailable(engine.CUDA, "built without CUDA")
	return deps
}

// bench --profile prints where a batch's time goes under the table, the JSON
// carries it, and --export-profile writes one record per step per batch size.
func TestBenchProfile(t *testing.T) {
	code, out, stderr := runBenchTest(context.Background(), profDeps(), append(fast, "--preset", "linear", "--batch", "2,4", "--profile", "--profile-every", "3")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"linear batch 2: where a batch's", "linear batch 4: where a batch's", "one in 3", "STEP", "gemm", "fc1, relu1", "relu", "outside steps"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "gemm") > strings.Index(out, "  relu ") {
		t.Errorf("the slower step is not first:\n%s", out)
	}

	path := filepath.Join(t.TempDir(), "profile.json")
	code, out, stderr = runBenchTest(context.Background(), profDeps(), append(fast, "--preset", "linear", "--batch", "2,4", "--format", "json", "--export-profile", path)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		if p := r.Profile; p == nil || p.Every != 10 || p.Batches == 0 || len(p.Steps) != 2 || p.Steps[0].Step != "gemm" || p.BatchMS <= 0 {
			t.Errorf("batch %d: profile %+v", r.Batch, p)
		}
	}
	if res.Meta.Options["profile_every"] != 10.0 {
		t.Errorf("options %v", res.Meta.Options)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc report.ProfileExport
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Records) != 6 || doc.Meta.Engine != "fake" {
		t.Fatalf("%d records, meta %+v", len(doc.Records), doc.Meta)
	}
	for i, want := range []struct {
		batch int
		step  string
	}{{2, "gemm"}, {2, "relu"}, {2, report.OutsideSteps}, {4, "gemm"}, {4, "relu"}, {4, report.OutsideSteps}} {
		if r := doc.Records[i]; r.Batch != want.batch || r.Step != want.step || r.Model != "linear" || r.ProfiledBatches == 0 {
			t.Errorf("record %d: %+v, want batch %d step %s", i, r, want.batch, want.step)
		}
	}
	// Without --profile there is none.
	_, out, _ = runBenchTest(context.Background(), profDeps(), append(fast, "--preset", "linear", "--batch", "2", "--format", "json")...)
	if strings.Contains(out, `"profile"`) {
		t.Errorf("a profile without --profile:\n%s", out)
	}
}

func TestBenchProfileBadInput(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "p.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile-every", "5"}, "--profile-every needs --profile or --export-profile"},
		{[]string{"--profile", "--profile-every", "1"}, "--profile-every 1: must be at least 2 (one batch in N is a profiling batch, the others are measured)"},
		{[]string{"--profile", "--format", "csv"}, "--profile with --format csv: a CSV line per batch size has no room for a profile (use --format table or json, or --export-profile FILE.json)"},
		{[]string{"--export-profile", filepath.Join(dir, "missing", "p.json")}, "--export-profile " + filepath.Join(dir, "missing", "p.json") + " cannot be written: no such file or directory"},
		{[]string{"--export-profile", same, "--output", same}, "--output and --export-profile name the same file"},
	} {
		code, out, stderr := runBenchTest(context.Background(), profDeps(), c.args...)
		if code != ExitUsage || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, stderr, c.want)
		}
	}
	if _, err := os.Stat(same); err == nil {
		t.Errorf("a refused bench left %s", same)
	}
}

// Every preset and imported model profiles on the CPU engine through the
// runner: each row's profile holds the engine's steps, slowest first, each
// saying how it ran, and its shares add up to its closure.
func TestBenchProfileEveryModelOnTheCPU(t *testing.T) {
	deps := session.NewMachine()
	deps.Window, deps.CPUInfo = 5*time.Millisecond, "testdata/cpuinfo"
	common := []string{"--warmup", "5ms", "--duration", "30ms", "--threads", "1", "--batch", "2", "--format", "json", "--profile", "--profile-every", "2"}
	runs := [][]string{
		{"--preset", "linear"}, {"--preset", "mlp"}, {"--preset", "lenet5"}, {"--preset", "resnet"}, {"--preset", "transformer"},
		{"--model", "../testdata/models/bert_tiny.onnx", "--dim", "seq=16"},
	}
	for _, f := range []string{"resnet_narrow", "mobilenet_tiny", "squeeze_tiny", "efficient_se", "mlp_gemm"} {
		runs = append(runs, []string{"--model", "../testdata/models/" + f + ".onnx"})
	}
	for _, run := range runs {
		code, out, stderr := runBenchTest(context.Background(), deps, append(run, common...)...)
		if code != ExitOK {
			t.Errorf("%v: exit %d: %s", run, code, stderr)
			continue
		}
		var res report.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Rows) != 1 {
			t.Fatalf("%v: %v in %q", run, err, out)
		}
		p := res.Rows[0].Profile
		if p == nil || p.Batches == 0 || len(p.Steps) == 0 || p.Note != "" {
			t.Errorf("%v: profile %+v", run, p)
			continue
		}
		sum := p.OutsideShare
		for i, s := range p.Steps {
			sum += s.Share
			if s.Step == "" || s.Op == "" || s.Way == "" || s.Threads != 1 || (i > 0 && s.P50MS > p.Steps[i-1].P50MS) {
				t.Errorf("%v: step %d: %+v", run, i, s)
			}
		}
		if d := sum - p.Closure; d > 1e-9 || d < -1e-9 {
			t.Errorf("%v: shares add up to %v, closure %v", run, sum, p.Closure)
		}
	}
}
