package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// old writes OLD into each of names in dir and returns their paths.
func old(t *testing.T, dir string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("OLD\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// stillOld fails unless every path still holds OLD and no temporary file
// is left beside it.
func stillOld(t *testing.T, what string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if b, err := os.ReadFile(p); err != nil || string(b) != "OLD\n" {
			t.Errorf("%s: %s holds %q (%v), want the old content", what, filepath.Base(p), b, err)
		}
		if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*.tmp")); len(tmp) > 0 {
			t.Errorf("%s: temporary files left: %v", what, tmp)
		}
	}
}

// A run refused after its result files were named (a bad metrics address)
// leaves every one of them as it was: --output, --export-times, --record,
// --plot.
func TestRefusedRunLeavesResultFiles(t *testing.T) {
	dir := t.TempDir()
	p := old(t, dir, "o.txt", "t.json", "r.jsonl", "p.svg")
	for _, c := range []struct {
		run  func(args ...string) int
		args []string
	}{
		{func(a ...string) int {
			code, _, _ := runBenchTest(context.Background(), fakeDeps(nil), a...)
			return code
		},
			[]string{"--output", p[0], "--export-times", p[1], "--record", p[2], "--metrics-addr", "bad::addr"}},
		{func(a ...string) int {
			code, _, _ := runSweepArgs(t, context.Background(), sweepTestDeps(nil), a...)
			return code
		},
			[]string{"--output", p[0], "--plot", p[3], "--record", p[2], "--metrics-addr", "bad::addr"}},
		{func(a ...string) int {
			var out, errb bytes.Buffer
			return compareMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, a, compareTestDeps(nil))
		}, []string{"--devices", "cpu,cpu", "--threads", "1,0", "--output", p[0], "--plot", p[3], "--record", p[2], "--metrics-addr", "bad::addr"}},
	} {
		if code := c.run(c.args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		stillOld(t, strings.Join(c.args, " "), p...)
	}
}

// One file named for two outputs is refused before anything runs.
func TestOneFileForTwoOutputs(t *testing.T) {
	dir := t.TempDir()
	o := filepath.Join(dir, "o.json")
	if err := os.Symlink(o, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o, []byte("OLD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--output", o, "--export-times", o},
		{"--output", o, "--record", filepath.Join(dir, ".", "o.json")},
		{"--export-times", o, "--record", filepath.Join(dir, "link.json")},
	} {
		code, _, stderr := runBenchTest(context.Background(), fakeDeps(nil), args...)
		if code != ExitUsage || !strings.Contains(stderr, "name the same file") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
	code, _, stderr := runSweepArgs(t, context.Background(), sweepTestDeps(nil), "--output", o, "--plot", o)
	if code != ExitUsage || !strings.Contains(stderr, "--output and --plot name the same file") {
		t.Errorf("sweep: exit %d, %q", code, stderr)
	}
	stillOld(t, "refused", o)
}

// A process killed in the middle of a run (SIGKILL: nothing of infertop
// runs after it) leaves the result file it was to write as it was.
func TestKilledRunLeavesResultFile(t *testing.T) {
	dir := t.TempDir()
	p := old(t, dir, "o.txt")
	cmd := child(t, dir, nil, "bench", "--preset", "linear", "--batch", "1", "--warmup", "0s", "--duration", "1h", "--output", p[0])
	var errb syncBuffer // the command's copying goroutine writes while the test reads
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it measures: the result file has long been started.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(errb.String(), "measuring"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("no measurement in a minute: %s", errb.String())
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if b, err := os.ReadFile(p[0]); err != nil || string(b) != "OLD\n" {
		t.Errorf("after SIGKILL o.txt holds %q (%v)", b, err)
	}
}

// A recording that fails mid-run (ulimit -f: "file too large") is lost
// output: the command exits 1, says so, and the old file stays.
func TestFailedRecordingExitsNonZero(t *testing.T) {
	dir := t.TempDir()
	p := old(t, dir, "r.jsonl")
	cmd := child(t, dir, []string{childFileLimit + "=40960"}, "bench", "--preset", "linear", "--batch", "1,2", "--warmup", "0s", "--duration", "1s", "--record", p[0])
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitFailure {
		t.Fatalf("exit %v, want 1:\n%s", err, out)
	}
	if !strings.Contains(string(out), "infertop bench: --record: recording:") || !strings.Contains(string(out), "file too large") {
		t.Errorf("output lacks the recording's failure:\n%s", out)
	}
	stillOld(t, "failed recording", p...)
}
