package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/session"
)

// stepClock is a clock that moves only when told.
type stepClock struct{ t time.Time }

func (c *stepClock) now() time.Time { return c.t }

// The estimate of the time left, after the cases given ran in the times
// given: the average per case until a case's time above the shortest
// reaches minWorkTime, then the shortest plus a time per FLOP read from the
// largest case.
func TestSelftestEstimateOfTimeLeft(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		work []float64       // every case's FLOPs
		took []time.Duration // the times of those run
		want string          // the line that starts the next case
	}{
		{"none ended", []float64{1, 2}, nil, "[1/2] m batch 1: checking · 0.0s elapsed\n"},
		{"average while no rate", []float64{1e3, 1e6, 1e9, 1e9}, []time.Duration{10 * ms, 30 * ms},
			"[3/4] m batch 1: checking · 0.0s elapsed · about 0.0s left\n"},
		// 200 ms above the shortest is below minWorkTime: no rate yet.
		{"average of whole seconds", []float64{1e3, 1e6, 1e9, 1e9}, []time.Duration{time.Second, 1200 * ms},
			"[3/4] m batch 1: checking · 2.2s elapsed · about 2.2s left\n"},
		// 2 s above 10 ms for 1e9 FLOPs: each case of 1e9 takes 10 ms + 2 s.
		{"rate from the largest case", []float64{1e3, 1e9, 1e9, 2e9}, []time.Duration{10 * ms, 2010 * ms},
			"[3/4] m batch 1: checking · 2.0s elapsed · about 6.0s left\n"},
		{"no work known", []float64{0, 0, 0, 0}, []time.Duration{time.Second, 3 * time.Second},
			"[3/4] m batch 1: checking · 4.0s elapsed · about 4.0s left\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			clk := &stepClock{t: time.Unix(0, 0)}
			p := &caseProgress{w: &out, now: clk.now, start: clk.t, work: tc.work, total: len(tc.work)}
			for _, d := range tc.took {
				p.begin("m", 1)
				clk.t = clk.t.Add(d)
				p.end("m", 1, true)
			}
			out.Reset()
			p.begin("m", 1)
			if got := out.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// selftest says on stderr which case starts, with [i/n] and the time
// elapsed, and how each ended; stdout carries the results alone.
func TestSelftestProgressOnStderr(t *testing.T) {
	code, out, errs := runSTDeps(session.Machine{Registry: fakeRegistry(""), OpenNVML: noNVML},
		"--device", "cpu", "--presets", "linear,mlp", "--batches", "1,3")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
	var want []string
	for i, c := range []string{"linear batch 1", "linear batch 3", "mlp batch 1", "mlp batch 3"} {
		n := regexp.QuoteMeta("[" + string(rune('1'+i)) + "/4] " + c)
		left := ` · about \d+\.\ds left`
		if i == 0 {
			left = ""
		}
		want = append(want, n+`: checking · \d+\.\ds elapsed`+left, n+`: passed in \d+\.\ds`)
	}
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), errs)
	}
	for i, re := range want {
		if !regexp.MustCompile("^" + re + "$").MatchString(lines[i]) {
			t.Errorf("stderr line %d %q, want /%s/", i, lines[i], re)
		}
	}
	if strings.Contains(out, "/4]") || strings.Count(out, "PASS ") != 4 {
		t.Errorf("stdout is not the results alone:\n%s", out)
	}
}

// A model the device refuses ends all its cases at once; its refusal's time
// says nothing of a case's, so the estimate waits for a case that ran.
func TestSelftestProgressOfARefusedModel(t *testing.T) {
	r := engine.NewRegistry()
	r.Register(engine.CPU, func(_ engine.Device, m *model.Model, o engine.Options) (engine.Executor, error) {
		if m.Name == "linear" {
			return nil, &model.UnsupportedError{Graph: m.Name, List: []model.Unsupported{{Op: "Gemm", Opset: 13, Node: "fc", Count: 1, Reason: "no plan"}}}
		}
		return &refExec{m: m}, nil
	})
	_, out, errs := runSTDeps(session.Machine{Registry: r, OpenNVML: noNVML}, "--device", "cpu", "--presets", "linear,mlp", "--batches", "1,3")
	for _, re := range []string{
		`(?m)^\[1/4\] linear batch 1: checking · \d+\.\ds elapsed$`,
		`(?m)^\[1/4\] linear refused at every batch in \d+\.\ds$`,
		`(?m)^\[3/4\] mlp batch 1: checking · \d+\.\ds elapsed$`,
		`(?m)^\[4/4\] mlp batch 3: checking · \d+\.\ds elapsed · about \d+\.\ds left$`,
		`(?m)^\[4/4\] mlp batch 3: passed in \d+\.\ds$`,
	} {
		if !regexp.MustCompile(re).MatchString(errs) {
			t.Errorf("stderr lacks /%s/:\n%s\nstdout:\n%s", re, errs, out)
		}
	}
}
