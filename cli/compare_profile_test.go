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
)

// writeProfile writes an --export-profile document of resnet at batch 32
// whose conv1 takes p50 ms, to a file in dir.
func writeProfile(t *testing.T, dir, name string, threads int, p50 float64) string {
	t.Helper()
	doc := report.ProfileExport{Meta: report.Meta{Device: "cpu", Engine: "cpu+openblas", Threads: threads}, Records: []report.ProfileRecord{
		{Model: "resnet", Device: "cpu", Batch: 32, BatchMS: p50 + 1, ProfiledBatches: 9, ProfileStep: report.ProfileStep{Rank: 1, Step: "conv1", Op: "FusedConv", P50MS: p50}},
		{Model: "resnet", Device: "cpu", Batch: 32, BatchMS: p50 + 1, ProfiledBatches: 9, ProfileStep: report.ProfileStep{Rank: 2, Index: -1, Step: report.OutsideSteps, P50MS: 1}},
	}}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := report.WriteProfileExport(f, doc); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCompareProfile(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := compareMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, append([]string{"--profile"}, args...), compareTestDeps(nil))
	return code, out.String(), errb.String()
}

func TestCompareProfiles(t *testing.T) {
	dir := t.TempDir()
	a, b := writeProfile(t, dir, "a.json", 1, 6), writeProfile(t, dir, "b.json", 2, 2)
	code, out, stderr := runCompareProfile(a, b)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"(cpu, cpu+openblas, 1 threads)", "(cpu, cpu+openblas, 2 threads)", "conv1", "×3.00", "outside steps"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, stderr = runCompareProfile("--format", "json", a, b)
	var d report.ProfileDiff
	if err := json.Unmarshal([]byte(out), &d); code != ExitOK || err != nil || len(d.Rows) != 3 || *d.Rows[1].SpeedUp != 3 || d.B.Threads != 2 {
		t.Errorf("json: exit %d, %v, %+v (%s)", code, err, d, stderr)
	}
}

func TestCompareProfilesBadInput(t *testing.T) {
	dir := t.TempDir()
	a := writeProfile(t, dir, "a.json", 1, 6)
	empty := filepath.Join(dir, "bench.json")
	if err := os.WriteFile(empty, []byte(`{"meta":{},"rows":[{"model":"mlp","batch":1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{a}, "--profile needs two profiles, A.json B.json (from bench --export-profile, or bench --format json --profile); got 1"},
		{[]string{"--devices", "cpu,cpu", a, a}, "--profile diffs two profiles and races nothing: --devices do not apply"},
		{[]string{"--format", "csv", a, a}, `--profile: unknown format "csv" (valid: table, json)`},
		{[]string{a, filepath.Join(dir, "missing.json")}, "--profile: cannot read " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{[]string{a, empty}, "holds no step profile: its bench ran without --profile"},
	} {
		code, out, stderr := runCompareProfile(c.args...)
		if code != ExitUsage || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, stderr, c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := compareMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{a, a}, compareTestDeps(nil)); code != ExitUsage ||
		!strings.Contains(errb.String(), "unexpected argument") || !strings.Contains(errb.String(), "need --profile") {
		t.Errorf("files without --profile: exit %d, %q", code, errb.String())
	}
}
