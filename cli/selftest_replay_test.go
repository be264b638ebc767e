package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"infertop/session"
)

// replayText replays a recording with no terminal and fails the test if the
// dashboard would have been started.
func replayText(t *testing.T, path string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	deps := replayDeps{
		isTerminal: func(io.Writer) bool { return false },
		run: func(context.Context, Env, tea.Model) error {
			t.Error("the dashboard was started for a recording without snapshots")
			return nil
		},
	}
	code := replayMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{path}, deps)
	return code, out.String(), errb.String()
}

// A selftest recording has nothing for the dashboard's panels: replay says
// so and prints its verdicts in order, without needing a terminal.
func TestReplayOfASelftestPrintsItsVerdicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "selftest.jsonl")
	deps := session.Machine{Registry: caseRegistry(map[string]string{"mlp": "skew"}, false, nil), OpenNVML: noNVML}
	if code, out, errs := runSTDeps(deps, "--device", "cpu", "--presets", "linear,mlp", "--batches", "2", "--record", path); code != ExitFailure {
		t.Fatalf("selftest: exit %d:\n%s%s", code, out, errs)
	}
	code, out, errs := replayText(t, path)
	if code != ExitOK || errs != "" {
		t.Fatalf("replay: exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"selftest.jsonl: infertop selftest recorded ",
		"options: baseline=reference batches=[2] device=cpu models=[linear mlp] precision=fp32 tolerance=0.001",
		"It has no snapshots to play in the dashboard (a selftest checks outputs",
		"PASS linear batch 2 on cpu: max rel err ",
		"FAIL mlp batch 2 on cpu: max rel err ",
		"FAIL: 1 of 2 cases",
		"GPU samples: none (NVML not available",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q lacks %q", i+1, lines[i], w)
		}
	}
	if !strings.Contains(lines[4], "exceeds 1e-03") {
		t.Errorf("the failure does not say why: %q", lines[4])
	}
}

// A recording cut before its first snapshot says so rather than showing an
// empty dashboard; the damage is reported on stderr.
func TestReplayWithoutSnapshotsSaysSo(t *testing.T) {
	b, err := os.ReadFile(benchRecording(t))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := bytes.Cut(b, []byte("\n"))
	path := filepath.Join(t.TempDir(), "cut.jsonl")
	if err := os.WriteFile(path, append(header, "\n{\"type\":\"snap"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := replayText(t, path)
	if code != ExitOK || !strings.Contains(out, "no snapshots to play in the dashboard (the run recorded none before it stopped)") ||
		!strings.Contains(out, "  (none)") || !strings.Contains(errs, "is damaged") {
		t.Errorf("exit %d:\n%s%s", code, out, errs)
	}
}
