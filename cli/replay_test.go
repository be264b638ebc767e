package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"infertop/record"
	"infertop/runner"
	"infertop/ui"
)

func TestParseSpeed(t *testing.T) {
	for in, want := range map[string]float64{"1x": 1, "2x": 2, "0.5x": 0.5, "4": 4, "2×": 2, " 10X ": 10} {
		if got, err := parseSpeed(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "fast", "0x", "-2x", "1000x", "0.01x", "NaNx", "nan", "Infx", "-inf"} {
		if _, err := parseSpeed(in); err == nil || !strings.Contains(err.Error(), "0.1x to 100x") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestParsePosition(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "2:05": 125 * time.Second, "1:30:00": 90 * time.Minute,
		"0:07": 7 * time.Second, "90m": 90 * time.Minute, " 125s ": 125 * time.Second, "75:00": 75 * time.Minute} {
		if got, err := parsePosition(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "1:5", "1:60", "1:00:00:00", "-1:00", "a:00"} {
		if _, err := parsePosition(in); err == nil || !strings.Contains(err.Error(), "h:mm:ss or m:ss") {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, err := parsePosition("-5s"); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("-5s: %v", err)
	}
}

// --from starts the replay there; past the end, or malformed, it is a usage error.
func TestReplayFrom(t *testing.T) {
	path := benchRecording(t)
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	half := rec.Duration() / 2
	code, errs, m := replayTest(path, "--from", half.String())
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if rp := m.(*ui.Replay); rp.Position() != half {
		t.Errorf("started at %v, want %v", rp.Position(), half)
	}
	code, errs, _ = replayTest(path, "--from", "1:00:00")
	if code != ExitUsage || !strings.Contains(errs, "--from 1:00:00 is past the end of the recording (0:00 long)") {
		t.Errorf("past the end: exit %d: %s", code, errs)
	}
	code, errs, _ = replayTest(path, "--from", "soon")
	if code != ExitUsage || !strings.Contains(errs, `--from "soon" is not a position`) {
		t.Errorf("malformed: exit %d: %s", code, errs)
	}
}

// replayTest runs replay with a fake terminal; the program's model is kept.
func replayTest(args ...string) (code int, stderr string, m tea.Model) {
	var out, errb bytes.Buffer
	deps := replayDeps{
		isTerminal: func(io.Writer) bool { return true },
		run:        func(_ context.Context, _ Env, model tea.Model) error { m = model; return nil },
	}
	code = replayMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, args, deps)
	return code, errb.String(), m
}

// benchRecording records a short fake bench run of two batch sizes.
func benchRecording(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.jsonl")
	code, _, stderr := runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--batch", "1,4", "--record", path)...)
	if code != ExitOK {
		t.Fatalf("bench --record: exit %d: %s", code, stderr)
	}
	return path
}

func TestBenchRecordsEveryBatchSize(t *testing.T) {
	rec, err := record.ReadFile(benchRecording(t))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Stopped != nil || rec.Header.Command != "bench" || rec.Header.Format != record.FormatVersion ||
		rec.Header.Build.Version != Version || rec.Header.Machine.CPUModel == "" {
		t.Fatalf("header %+v, stopped %v", rec.Header, rec.Stopped)
	}
	done := map[int]bool{}
	var events int
	for _, e := range rec.Entries {
		switch e.Kind {
		case record.KindSnapshot:
			if e.Snapshot.State == runner.Done {
				done[e.Snapshot.Batch] = e.Snapshot.Overall.Samples > 0
			}
		case record.KindEvent:
			events++
		}
	}
	if !done[1] || !done[4] || events == 0 {
		t.Errorf("final snapshots with samples %v, %d events", done, events)
	}
}

func TestReplayPlaysARecording(t *testing.T) {
	path := benchRecording(t)
	code, stderr, m := replayTest(path, "--speed", "2x")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, ok := m.(*ui.Replay); !ok {
		t.Fatalf("the program ran %T", m)
	}
	// Flags before the file work too.
	if code, stderr, _ := replayTest("--speed", "0.5x", path); code != ExitOK {
		t.Fatalf("flags first: exit %d: %s", code, stderr)
	}
}

func TestReplayOfTruncatedFileSaysWhereItStopped(t *testing.T) {
	path := benchRecording(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.jsonl")
	if err := os.WriteFile(cut, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr, m := replayTest(cut)
	if code != ExitOK || m == nil || !strings.Contains(stderr, "cut.jsonl is damaged: stopped at line") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestReplayRefusals(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.jsonl")
	if err := os.WriteFile(newer, []byte(`{"type":"header","format":99,"build":{"version":"9.9.9"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage, empty := filepath.Join(dir, "garbage.jsonl"), filepath.Join(dir, "empty.jsonl")
	if err := errors.Join(os.WriteFile(garbage, []byte("garbage\n"), 0o644), os.WriteFile(empty, nil, 0o644)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, ExitUsage, "which recording?"},
		{[]string{"a.jsonl", "b.jsonl"}, ExitUsage, `unexpected argument "b.jsonl"`},
		{[]string{newer, "--speed", "fast"}, ExitUsage, "--speed"},
		{[]string{filepath.Join(dir, "missing.jsonl")}, ExitUsage, "no such file"},
		{[]string{newer}, ExitUsage, "format version 99"},
		{[]string{garbage}, ExitUsage, "not an infertop recording"},
		{[]string{empty}, ExitUsage, "the file is empty"},
	} {
		code, stderr, m := replayTest(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || m != nil {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, stderr, c.want)
		}
	}
	var errb bytes.Buffer
	deps := replayDeps{isTerminal: func(io.Writer) bool { return false }}
	if code := replayMain(context.Background(), Env{Stdout: io.Discard, Stderr: &errb}, []string{benchRecording(t)}, deps); code != ExitUsage ||
		!strings.Contains(errb.String(), "needs a terminal") {
		t.Errorf("no terminal: exit %d: %s", code, errb.String())
	}
}

func TestBenchMetricsAddress(t *testing.T) {
	code, _, stderr := runBenchTest(context.Background(), fakeDeps(nil), append(fast, "--batch", "1", "--metrics-addr", "127.0.0.1:0")...)
	if code != ExitOK || !strings.Contains(stderr, "metrics on http://127.0.0.1:") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	opened := false
	code, _, stderr = runBenchTest(context.Background(), fakeDeps(func(int) { opened = true }),
		append(fast, "--metrics-addr", ln.Addr().String())...)
	if code != ExitUsage || !strings.Contains(stderr, "already in use") || !strings.Contains(stderr, ln.Addr().String()) || opened {
		t.Fatalf("address in use: exit %d (want 2), engine opened %v: %s", code, opened, stderr)
	}
}

func TestRecordPathThatCannotBeWritten(t *testing.T) {
	code, _, stderr := runBenchTest(context.Background(), fakeDeps(nil),
		append(fast, "--record", filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"))...)
	if code != ExitUsage || !strings.Contains(stderr, "--record") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
