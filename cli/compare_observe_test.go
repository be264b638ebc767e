package cli

import (
	"bytes"
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"infertop/record"
)

// scrapeValue finds the sample of metric name whose labels include every
// k="v" of labels in a Prometheus text exposition.
func scrapeValue(t *testing.T, body, name string, labels ...string) float64 {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(l, name+"{") {
			continue
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			ok = ok && strings.Contains(l, labels[i]+`="`+labels[i+1]+`"`)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		return v
	}
	t.Errorf("no %s%v in the scrape", name, labels)
	return math.NaN()
}

// With --window 20ms and --warmup 5ms the fake race at batch 1 runs A's
// warm-up (5 batches of 1.001 ms), B's (3 of 3.00025 ms), A's window (20
// batches, 20.02 ms) and B's (7 batches, 21.00175 ms): batch 4's warm-up
// starts at the 36th run, when the endpoint is scraped.
func TestCompareMetricsEndpointShowsBothSides(t *testing.T) {
	var out, errb bytes.Buffer
	var body string
	var scrapeErr error
	deps := compareTestDeps(func(n int64) {
		if n != 36 {
			return
		}
		m := regexp.MustCompile(`metrics on (http://\S+)`).FindStringSubmatch(errb.String())
		if m == nil {
			scrapeErr = io.ErrUnexpectedEOF
			return
		}
		resp, err := http.Get(m[1])
		if err != nil {
			scrapeErr = err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body, scrapeErr = string(b), err
	})
	code := compareMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"--preset", "linear", "--devices", "cpu,cpu",
		"--threads", "1,0", "--batches", "1,4", "--pairs", "1", "--window", "20ms", "--warmup", "5ms", "--metrics-addr", "127.0.0.1:0"}, deps)
	if code != ExitOK || scrapeErr != nil {
		t.Fatalf("exit %d, scrape %v: %s", code, scrapeErr, errb.String())
	}
	if !regexp.MustCompile(`infertop compare: metrics on http://127\.0\.0\.1:\d+/metrics \(listening on 127\.0\.0\.1:\d+\)`).MatchString(errb.String()) {
		t.Errorf("start-up line:\n%s", errb.String())
	}
	near := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	b1 := []string{"model", "linear", "device", "cpu", "batch", "1"}
	near("A samples/s", scrapeValue(t, body, "infertop_samples_per_second", append(b1, "side", "a")...), 1/1.001e-3)
	near("B samples/s", scrapeValue(t, body, "infertop_samples_per_second", append(b1, "side", "b")...), 1/3.00025e-3)
	near("A samples", scrapeValue(t, body, "infertop_samples_total", append(b1, "side", "a")...), 20)
	near("B samples", scrapeValue(t, body, "infertop_samples_total", append(b1, "side", "b")...), 7)
	near("A p99", scrapeValue(t, body, "infertop_batch_latency_p99_seconds", append(b1, "side", "a")...), 1.001e-3)
	near("B p50", scrapeValue(t, body, "infertop_batch_latency_p50_seconds", append(b1, "side", "b")...), 3.00025e-3)
	near("B latency count", scrapeValue(t, body, "infertop_batch_latency_seconds_count", append(b1, "side", "b")...), 7)
	near("speed-up", scrapeValue(t, body, "infertop_compare_speed_up_ratio", "batch", "1"), 1.001/3.00025)
	near("pairs", scrapeValue(t, body, "infertop_compare_window_pairs", "batch", "1"), 1)
	near("A info", scrapeValue(t, body, "infertop_compare_side_info", "side", "a", "threads", "1", "config", "cpu ×1 thread"), 1)
	near("B info", scrapeValue(t, body, "infertop_compare_side_info", "side", "b", "threads", "0", "config", "cpu (all cores)"), 1)
	if strings.Contains(body, "infertop_run_info") {
		t.Error("a compare serves run series")
	}
}

func TestCompareRecordingHasWindowsAndEventsAndReplaysAsText(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "race.jsonl")
	code, _, errs := runCompareArgs(t, context.Background(), compareTestDeps(nil), "--preset", "linear", "--devices", "cpu,cpu",
		"--threads", "1,0", "--batches", "1,4096", "--pairs", "2", "--record", path)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rec, err := record.ReadFile(path)
	if err != nil || rec.Stopped != nil {
		t.Fatalf("read: %v %v", err, rec.Stopped)
	}
	h := rec.Header
	if h.Command != "compare" || h.Options["a"] != "cpu ×1 thread" || h.Options["b"] != "cpu (all cores)" || h.Build.Version != Version {
		t.Errorf("header %+v", h)
	}
	var windows []record.CompareWindow
	var kinds []string
	for _, e := range rec.Entries {
		switch e.Kind {
		case record.KindCompareWindow:
			windows = append(windows, *e.CompareWindow)
		case record.KindCompareEvent:
			kinds = append(kinds, e.CompareEvent.Kind)
		}
	}
	// 2 batches × 2 pairs × 2 sides, in the order A B B A.
	if len(windows) != 8 {
		t.Fatalf("%d windows", len(windows))
	}
	for i, side := range []string{"a", "b", "b", "a", "a", "b", "b", "a"} {
		if windows[i].Side != side {
			t.Errorf("window %d is side %s, want %s", i, windows[i].Side, side)
		}
	}
	w := windows[0]
	if w.Batch != 1 || w.Device != "cpu" || w.Threads != 1 || w.Config != "cpu ×1 thread" || w.Pair != 1 || w.Samples != 20 ||
		w.Batches != 20 || math.Abs(w.SamplesPerSec-1/1.001e-3) > 1e-9 || w.P50MS != 1.001 || w.SpeedUp != 0 {
		t.Errorf("first window %+v", w)
	}
	if w := windows[7]; w.Batch != 4096 || w.Pair != 2 || w.Pairs != 1 || math.Abs(w.SpeedUp-5.096/4.024) > 1e-9 {
		t.Errorf("last window %+v", w)
	}
	want := []string{"batch_started"}
	for range 4 {
		want = append(want, "window")
	}
	want = append(want, "batch_done", "batch_started")
	for range 4 {
		want = append(want, "window")
	}
	want = append(want, "batch_done", "crossover", "ended")
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("events %v\nwant %v", kinds, want)
	}

	// Replay prints the race's events as text: the dashboard shows one run.
	var rout, rerr bytes.Buffer
	rcode := replayMain(context.Background(), Env{Stdout: &rout, Stderr: &rerr}, []string{path}, replayDeps{
		isTerminal: func(io.Writer) bool { return true },
		run: func(context.Context, Env, tea.Model) error {
			t.Error("a compare recording was played in the dashboard")
			return nil
		},
	})
	text := rout.String()
	if rcode != ExitOK || !strings.HasPrefix(text, "race.jsonl: infertop compare recorded ") {
		t.Fatalf("replay: exit %d, %q\n%s", rcode, rerr.String(), text)
	}
	for _, want := range []string{"a compare alternates two configurations window by window, which the one-run dashboard cannot show",
		"batch 1: warming up cpu ×1 thread and cpu (all cores)", "batch 1, pair 1: cpu ×1 thread ran 999 samples/s in 20.02ms",
		"batch 4096: B/A ×1.266 (pairs ×1.266–×1.266, 2 pairs)",
		"crossover: cpu (all cores) overtakes cpu ×1 thread at batch 4096", "done: 2 batch size(s) compared"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replay lacks %q:\n%s", want, text)
		}
	}
}

func TestCompareObserveFlagsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken, unwritable := ln.Addr().String(), filepath.Join(t.TempDir(), "no", "r.jsonl")
	race := []string{"--preset", "linear", "--devices", "cpu,cpu", "--threads", "1,0", "--batch", "1", "--pairs", "1"}
	for _, c := range []struct {
		flag, value, want string
	}{
		{"--metrics-addr", taken, "infertop compare: --metrics-addr: metrics address " + taken + ": address already in use"},
		{"--record", unwritable, "infertop compare: --record " + unwritable + " cannot be written"},
	} {
		runs := 0
		deps := compareTestDeps(func(int64) { runs++ })
		code, out, errs := runCompareArgs(t, context.Background(), deps, append(append([]string(nil), race...), c.flag, c.value)...)
		if code != ExitUsage || !strings.Contains(errs, c.want) || out != "" || runs != 0 {
			t.Errorf("%s: exit %d after %d runs, stderr %q; want 2 before any run and %q", c.flag, code, runs, errs, c.want)
		}
	}
}
