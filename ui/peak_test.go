package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"infertop/runner"
)

// A share of a stale peak is never drawn bare: the panel says "(stale)".
func TestThroughputSaysAStalePeak(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 100, 30)
	st := *m.st
	m.thr.SetSize(60, 12, st, m.hist)
	for _, c := range []struct {
		pct   float64
		stale bool
		want  string
	}{
		{62, false, "62% of peak  "},
		{62, true, "62% of peak (stale)"},
		{138, false, "138% of peak (stale)"}, // a recording made before the flag
	} {
		s := m.snap
		s.PctPeak, s.PeakStale = c.pct, c.stale
		if v := ansi.Strip(m.thr.View(st, s)); !strings.Contains(v, c.want) {
			t.Errorf("%v %% (stale %v): want %q in\n%s", c.pct, c.stale, c.want, v)
		}
	}
}

// While warming up the panel shows the warm-up's live rate, marked as
// warming and not measured.
func TestThroughputWhileWarming(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 100, 30)
	st := *m.st
	m.thr.SetSize(60, 12, st, m.hist)
	s := m.snap
	s.State = stateWarming
	if v := ansi.Strip(m.thr.View(st, s)); !strings.Contains(v, "warming up — not measured yet") {
		t.Errorf("before a warm-up window:\n%s", v)
	}
	s.WarmupWindow = runner.Throughput{Duration: 500 * time.Millisecond, Batches: 6000, Samples: 192000, SamplesPerSec: 384000, BatchesPerSec: 12000}
	if v := ansi.Strip(m.thr.View(st, s)); !strings.Contains(v, "warming up  384k samples/s  12k batches/s, not measured") {
		t.Errorf("with a warm-up window:\n%s", v)
	}
}
