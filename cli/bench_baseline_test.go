package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infertop/report"
)

// writeJSON writes v to a file in dir and returns its path.
func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// bench --baseline sets each row beside the earlier bench's, as sweep's and
// compare's do: rows both measured, their ratio and whether it is beyond the
// noise; --batches is bench's --batch, as the other commands name it.
func TestBenchBaseline(t *testing.T) {
	dir := t.TempDir()
	old := report.Result{Rows: []report.Row{
		{Model: "mlp", Device: "cpu", Batch: 1, SamplesPerSec: 1, Stability: report.Stability{WindowSpread: 0.02}},
		{Model: "mlp", Device: "cpu", Batch: 64, SamplesPerSec: 5},
	}}
	base := writeJSON(t, dir, "old.json", old)
	code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--batches", "1,4", "--baseline", base, "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Baseline) != 1 {
		t.Fatalf("baseline rows %+v, want batch 1 only", res.Baseline)
	}
	b := res.Baseline[0]
	if c := b.SamplesPerSec; b.Batch != 1 || c.Old != 1 || c.New != res.Rows[0].SamplesPerSec || c.Ratio != c.New || !c.Flagged {
		t.Errorf("baseline row %+v against %v samples/s", b, res.Rows[0].SamplesPerSec)
	}
	if res.Meta.Options["baseline"] != base {
		t.Errorf("options %v", res.Meta.Options)
	}
	code, out, _ = runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--batch", "1", "--baseline", base)...)
	if code != ExitOK || !strings.Contains(out, "Against the baseline") || !strings.Contains(out, "faster") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
	code, out, _ = runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--batch", "1,4", "--baseline", base, "--format", "csv")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 3 || !strings.HasSuffix(lines[0], ",old_samples_per_sec,samples_per_sec_ratio,samples_per_sec_noise,samples_per_sec_flagged") ||
		!strings.HasSuffix(lines[1], ",true") || !strings.HasSuffix(lines[2], ",,,,") {
		t.Errorf("csv (exit %d):\n%s", code, out)
	}
	sweepDoc := writeJSON(t, dir, "sweep.json", map[string]any{"sweep": map[string]any{}})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch", "8", "--baseline", base}, "no model, device and batch size in common with this bench (the baseline measured mlp on cpu at batch 1, mlp on cpu at batch 64)"},
		{[]string{"--baseline", sweepDoc}, "is a sweep's JSON, not a bench's"},
		{[]string{"--baseline", filepath.Join(dir, "none.json")}, "cannot read"},
		{[]string{"--batch", "1", "--batches", "2"}, "give --batch or --batches, not both"},
	} {
		code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil), c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// A BLAS library the person chose (INFERTOP_BLAS) that does not load is an
// error with the loader's message, before anything runs, in every command
// that computes on the CPU: never a quiet fall back to the pure-Go BLAS.
func TestChosenBLASThatDoesNotLoad(t *testing.T) {
	const msg = "INFERTOP_BLAS=/opt/missing.so cannot be loaded: /opt/missing.so: cannot open shared object file: No such file or directory"
	m := fakeDeps(nil)
	m.BLASError = func() error { return errors.New(msg) }
	for _, c := range []struct {
		cmd string
		run func() (int, string)
	}{
		{"bench", func() (int, string) { code, _, e := runBenchTest(context.Background(), m); return code, e }},
		{"sweep", func() (int, string) {
			sm := sweepTestDeps(nil)
			sm.BLASError = m.BLASError
			code, _, e := runSweepArgs(t, context.Background(), sm)
			return code, e
		}},
		{"compare", func() (int, string) {
			cm := compareTestDeps(nil)
			cm.BLASError = m.BLASError
			code, _, e := runCompareArgs(t, context.Background(), cm, "--devices", "cpu,cpu", "--threads", "1,0")
			return code, e
		}},
		{"dashboard", func() (int, string) {
			var out, errb bytes.Buffer
			d := testDashboardDeps(true)
			d.machine.BLASError = m.BLASError
			return dashboardMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, nil, d), errb.String()
		}},
	} {
		code, stderr := c.run()
		if code != ExitUsage || stderr != "infertop "+c.cmd+": "+msg+"\n" {
			t.Errorf("%s: exit %d, stderr %q", c.cmd, code, stderr)
		}
	}
}
