package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infertop/report"
	"infertop/sweep"
)

// The fake executors (fake.Clock) take 1 ms + 1 µs per sample on one thread
// (A) and 3 ms + 0.25 µs per sample on all cores (B): at batch b A runs
// b / (1 ms + b µs) samples/s, B b / (3 ms + b/4 µs), and B/A is
// (1 ms + b µs) / (3 ms + b/4 µs).
func fakeRates(b float64) (a, bRate float64) {
	return b / (1e-3 + b*1e-6), b / (3e-3 + b*0.25e-6)
}

// writeOldCompare writes a hand-made earlier race of linear at batches 1,
// 64 and 4096: at 1, B/A ×0.30 with pairs ×0.29–×0.31 (noise 1/30), A 25 %
// faster than the fake with a 5 % window spread, B as fast with none; at
// 4096 both as the fake, with a pair noise of 2 % and B's window spread 1 %.
func writeOldCompare(t *testing.T, dir, preset string) string {
	t.Helper()
	a1, b1 := fakeRates(1)
	a4k, b4k := fakeRates(4096)
	su4k := b4k / a4k
	old := report.CompareDoc{Meta: report.Meta{Version: "v0.9", Model: preset},
		Compare: sweep.CompareResult{Model: preset, A: sweep.Side{Device: "cpu", Threads: 1}, B: sweep.Side{Device: "cpu"},
			Points: []sweep.ComparePoint{
				{Batch: 1, SpeedUp: 0.30, Lo: 0.29, Hi: 0.31, Pairs: 2,
					A: sweep.SideStats{SamplesPerSec: a1 * 1.25, WindowSpread: 0.05}, B: sweep.SideStats{SamplesPerSec: b1}},
				{Batch: 64, SpeedUp: 0.5, Pairs: 1, A: sweep.SideStats{SamplesPerSec: 1}, B: sweep.SideStats{SamplesPerSec: 0.5}},
				{Batch: 4096, SpeedUp: su4k, Lo: su4k * 0.98, Hi: su4k * 1.02, Pairs: 3,
					A: sweep.SideStats{SamplesPerSec: a4k}, B: sweep.SideStats{SamplesPerSec: b4k, WindowSpread: 0.01}},
			}}}
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "old-"+preset+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareBaselineJSONTableCSVAndPlot(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeOldCompare(t, dir, "linear")
	plot := filepath.Join(dir, "race.svg")
	base := []string{"--preset", "linear", "--devices", "cpu,cpu", "--threads", "1,0", "--pairs", "2", "--baseline", oldPath}
	code, out, errs := runCompareArgs(t, context.Background(), compareTestDeps(nil), append(base, "--batches", "1,1024,4096",
		"--format", "json", "--plot", plot)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc report.CompareDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Baseline) != 2 || doc.Baseline[0].Batch != 1 || doc.Baseline[1].Batch != 4096 {
		t.Fatalf("baseline rows %+v", doc.Baseline)
	}
	near := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	r := doc.Baseline[0]
	near("batch 1 speed-up ratio", r.SpeedUp.Ratio, (1.001/3.00025)/0.30)
	near("batch 1 speed-up noise", r.SpeedUp.Noise, 1.0/30)
	near("batch 1 A ratio", r.A.Ratio, 0.8)
	near("batch 1 A noise", r.A.Noise, 0.05)
	near("batch 1 B ratio", r.B.Ratio, 1)
	near("batch 1 B noise", r.B.Noise, 0.10) // neither run measured a spread
	if !r.SpeedUp.Flagged || !r.A.Flagged || r.B.Flagged {
		t.Errorf("batch 1 flags: speed-up %v, A %v, B %v; want true, true, false", r.SpeedUp.Flagged, r.A.Flagged, r.B.Flagged)
	}
	r = doc.Baseline[1]
	near("batch 4096 speed-up ratio", r.SpeedUp.Ratio, 1)
	near("batch 4096 speed-up noise", r.SpeedUp.Noise, 0.02)
	near("batch 4096 B noise", r.B.Noise, 0.01)
	if r.SpeedUp.Flagged || r.A.Flagged || r.B.Flagged {
		t.Errorf("batch 4096 flagged: %+v", r)
	}
	svg, err := os.ReadFile(plot)
	if err != nil || !bytes.Contains(svg, []byte(report.SeriesBaselineSpeedUp)) || !bytes.Contains(svg, []byte("baseline cpu ×1 thread (samples/s)")) {
		t.Errorf("the plot lacks the baseline series (%v)", err)
	}

	code, out, errs = runCompareArgs(t, context.Background(), compareTestDeps(nil), append(base, "--batch", "1")...)
	if code != ExitOK {
		t.Fatalf("table: exit %d: %s", code, errs)
	}
	for _, want := range []string{"Against the baseline of", "infertop v0.9", "×0.300  ×0.334  ×1.112  3.3       higher",
		"A cpu ×1 thread samples/s    1249    999     ×0.800  5.0       SLOWER"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}

	code, out, errs = runCompareArgs(t, context.Background(), compareTestDeps(nil), append(base, "--batches", "1,2", "--format", "csv")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 3 {
		t.Fatalf("csv: exit %d: %s\n%s", code, errs, out)
	}
	if !strings.HasSuffix(lines[0], ",pairs,a_p50_ms,a_p99_ms,b_p50_ms,b_p99_ms,old_speed_up,speed_up_ratio,speed_up_noise,speed_up_flagged,"+
		"old_a_samples_per_sec,a_ratio,a_noise,a_flagged,old_b_samples_per_sec,b_ratio,b_noise,b_flagged") {
		t.Errorf("csv header %q", lines[0])
	}
	if !strings.Contains(lines[1], ",0.3,1.11213,0.0333333,true,1248.75,0.8,0.05,true,333.306,1,0.1,false") {
		t.Errorf("csv batch 1: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "2,") || !strings.HasSuffix(lines[2], ",,,,,,,,,,,,") {
		t.Errorf("csv batch 2 (not in the baseline): %q", lines[2])
	}
}

func TestCompareBadBaselines(t *testing.T) {
	dir := t.TempDir()
	oldPath := writeOldCompare(t, dir, "linear")
	sweepPath := filepath.Join(dir, "sweep.json")
	b, _ := json.Marshal(report.SweepDoc{Sweep: sweep.Result{Points: []sweep.Point{{Batch: 1, SamplesPerSec: 5}}}})
	if err := os.WriteFile(sweepPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	race := []string{"--devices", "cpu,cpu", "--threads", "1,0"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--preset", "linear", "--baseline", filepath.Join(dir, "none.json")},
			"infertop compare: --baseline: cannot read " + filepath.Join(dir, "none.json") + ": no such file or directory"},
		{[]string{"--preset", "linear", "--baseline", sweepPath}, "is a sweep's JSON, not a compare's (write one with `infertop compare --format json`"},
		{[]string{"--preset", "mlp", "--baseline", oldPath}, "the baseline raced the model linear, this run races mlp (a baseline must race the same model)"},
		{[]string{"--preset", "linear", "--batch", "8", "--baseline", oldPath},
			"the baseline raced batch 1,64,4096, this run races 8: no batch size in common"},
		{[]string{"--preset", "linear", "--batch", "1", "--threads", "2,0", "--baseline", oldPath},
			"this run races A = cpu ×2 threads, B = cpu (all cores) (a baseline must race the same two configurations)"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := compareMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, append(append([]string(nil), race...), c.args...), compareTestDeps(nil))
		if code != ExitUsage || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
		if n := strings.Count(errb.String(), "\n"); n != 1 {
			t.Errorf("%v: the message is not one line: %q", c.args, errb.String())
		}
	}
}
