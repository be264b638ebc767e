package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infertop/report"
	"infertop/session"
)

// runServeSweepArgs runs sweep with points long enough for a capacity run
// of the fake engine to answer requests even under the race detector.
func runServeSweepArgs(t *testing.T, ctx context.Context, deps session.Machine, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := sweepMain(ctx, Env{Stdout: &out, Stderr: &errb}, append(args, "--warmup", "1ms", "--window", "20ms", "--max-time", "100ms"), deps)
	return code, out.String(), errb.String()
}

// A serving search through the fake engine (100 µs a batch): the JSON
// document, its Triton fragment, the progress on stderr, the plot.
func TestSweepServingSearchJSONAndPlot(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "serve.svg")
	code, out, errs := runServeSweepArgs(t, context.Background(), sweepTestDeps(nil), "--preset", "linear", "--arrival", "poisson",
		"--slo-p99", "1s", "--max-batch", "1,4", "--max-delay", "0,1ms", "--max-points", "2", "--preferred-batch", "2",
		"--format", "json", "--plot", plot)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.ServeSweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	s := doc.Search
	if len(s.Configs) != 3 || s.Arrival != "poisson" || s.SLOMS != 1000 || s.Interrupted {
		t.Fatalf("search %+v", s)
	}
	for _, c := range s.Configs {
		if !(c.CapacityRPS > 0) || len(c.Points) == 0 || len(c.Points) > 2 || !c.Done {
			t.Errorf("%s: capacity %.0f, %d points, done %v", c.ServeSetting, c.CapacityRPS, len(c.Points), c.Done)
		}
	}
	r := s.Recommended()
	if r == nil || !strings.Contains(doc.Triton, "max_batch_size: ") || !strings.Contains(doc.Triton, "kind: KIND_CPU") {
		t.Fatalf("recommendation %+v, Triton fragment:\n%s", s.Rec, doc.Triton)
	}
	if r.MaxBatch >= 2 && !strings.Contains(doc.Triton, "preferred_batch_size: [ 2 ]") {
		t.Errorf("max batch %d with --preferred-batch 2:\n%s", r.MaxBatch, doc.Triton)
	}
	if doc.Meta.Model != "linear" || doc.Meta.Options["grid"] != "max batch 1,4 × max delay 0s,1ms × instances 1" || doc.Meta.Options["slo_p99"] != "1s" ||
		doc.Meta.Options["arrival"] != "poisson" {
		t.Errorf("meta %+v", doc.Meta)
	}
	for _, want := range []string{"serving search of linear on cpu: 3 configurations (max batch 1,4 × max delay 0s,1ms × instances 1), at most 9 runs",
		"max batch 1, max delay 0s, 1 instance: capacity ", "req/s → p99 ", "plot written to"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	b, err := os.ReadFile(plot)
	if err != nil || !strings.Contains(string(b), "SLO p99 1000 ms") {
		t.Errorf("plot: %v, %d bytes", err, len(b))
	}
}

// Two rates per configuration: the first, at 90 % of the capacity, can
// saturate a loaded machine, and the second is then at 45 %, which meets a
// 1 s SLO.
func TestSweepServingSearchTableAndCSV(t *testing.T) {
	args := []string{"--preset", "linear", "--arrival", "constant", "--slo-p99", "1s", "--max-batch", "2", "--max-delay", "0",
		"--instances", "1,2", "--max-points", "2"}
	code, out, errs := runServeSweepArgs(t, context.Background(), sweepTestDeps(nil), args...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"serving search of linear on cpu · constant arrivals, 1 sample per request · SLO p99 1000 ms",
		"MAX BATCH", "CAPACITY REQ/S", "recommendation: max batch 2, max delay 0s", "Triton config.pbtxt for it:\n  # linear on cpu: p99 "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runServeSweepArgs(t, context.Background(), sweepTestDeps(nil), append(args, "--format", "csv")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 5 || !strings.HasPrefix(lines[0], "max_batch,max_delay_us,instances,capacity_rps,rate_rps") ||
		!strings.HasPrefix(lines[1], "2,0,1,") || !strings.HasPrefix(lines[2], "2,0,1,") || !strings.HasPrefix(lines[4], "2,0,2,") {
		t.Errorf("exit %d, csv:\n%s", code, out)
	}
}

func TestSweepServingUsageErrors(t *testing.T) {
	serving := []string{"--arrival", "poisson", "--slo-p99", "20ms"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--arrival", "poisson"}, "--arrival poisson searches the highest request rate that meets a p99 objective: give --slo-p99, e.g. --slo-p99 20ms"},
		{[]string{"--arrival", "poisson:2000", "--slo-p99", "20ms"}, "--arrival poisson:2000: the serving search finds the rate; give poisson without one (poisson:2000 is for bench and the dashboard)"},
		{[]string{"--arrival", "clients:4", "--slo-p99", "20ms"}, `--arrival "clients:4": accepted in sweep: closed (a batch sweep), poisson or constant (a serving search, without a rate)`},
		{append(serving, "--max-batch", "8,x"), `--max-batch: batch sizes "8,x": whole numbers above 0 separated by commas, e.g. 8,16,32`},
		{append(serving, "--max-delay", "0,soon"), `--max-delay "soon" is not a duration (accepted: a number with a unit, e.g. 5s, 500ms, 2m); a list such as 0,1ms,5ms`},
		{append(serving, "--max-delay", "1ms,-2ms"), "--max-delay -2ms is negative"},
		{append(serving, "--max-delay", "11s"), "--max-delay 11s: at most 10s"},
		{append(serving, "--instances", "1,0"), `--instances "1,0": whole numbers from 1 to 64 separated by commas, e.g. 1,2`},
		{append(serving, "--request-size", "4", "--max-batch", "2,8"), "request size 4: from 1 to the max batch (2) samples"},
		{append(serving, "--preferred-batch", "4,x"), `--preferred-batch: batch sizes "4,x": whole numbers above 0`},
		{append(serving, "--max-points", "0"), "--max-points 0: from 1 to 30 rates per configuration"},
		{append(serving, "--batches", "1,8"), "--batches applies to a batch sweep, not a serving search (--arrival poisson)"},
		{append(serving, "--mem-limit", "1GiB"), "--mem-limit applies to a batch sweep, not a serving search (--arrival poisson)"},
		{[]string{"--max-delay", "1ms"}, "--max-delay is a serving search setting: give --arrival poisson and --slo-p99 with it"},
		{[]string{"--instances", "2"}, "--instances is a serving search setting: give --arrival poisson and --slo-p99 with it"},
		{[]string{"--max-batch", "8,16"}, "--max-batch 8,16: a whole number from 1 to 16777216 in a batch sweep (a list such as 8,16,32 with --arrival poisson)"},
	}
	for _, c := range cases {
		code, out, errs := runSweepArgs(t, context.Background(), sweepTestDeps(nil), c.args...)
		if code != ExitUsage || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "infertop sweep: "+c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// Ctrl-C during a search writes what was measured and exits 130.
func TestSweepServingSearchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The capacity run and each point open an executor: the run of the
	// second point is cancelled (one point never ends a bisection).
	deps := sweepTestDeps(func(n int) {
		if n == 3 {
			cancel()
		}
	})
	code, out, errs := runServeSweepArgs(t, ctx, deps, "--preset", "linear", "--arrival", "poisson", "--slo-p99", "1s",
		"--max-batch", "1,4", "--max-delay", "0", "--format", "json")
	if code != ExitInterrupted || !strings.Contains(errs, "infertop sweep: interrupted; wrote the 1 measured rate(s)") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.ServeSweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if s := doc.Search; !s.Interrupted || len(s.Configs) != 1 || len(s.Configs[0].Points) != 1 || s.Configs[0].Done ||
		!strings.HasPrefix(s.Configs[0].Text, "interrupted at ") {
		t.Errorf("search %+v", s)
	}
}
