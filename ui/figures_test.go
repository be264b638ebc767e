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

// A run whose energy cannot be measured says why where the figure would
// be: the Host panel for the CPU, the GPUs panel for a GPU.
func TestEnergyNoteWhereTheFigureWouldBe(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 100, 30)
	withGPUs(m)
	st := *m.st
	h := hostReadingFixture()
	m.hostP.SetSize(90, 5)
	s := cpuSnapshot()
	s.WindowEnergy, s.EnergyNote = runner.Energy{}, "no RAPL counters here (a virtual machine?)"
	if v := ansi.Strip(m.hostP.View(st, &h, s)); !strings.Contains(v, "energy n/a (no RAPL counters here (a virtual machine?))") {
		t.Errorf("Host panel:\n%s", v)
	}
	m.gpu.SetSize(80, 9)
	g := gpuSnapshot()
	g.WindowEnergy, g.EnergyNote = runner.Energy{}, "simulated GPUs have no energy counter"
	if v := ansi.Strip(m.gpu.View(st, gpuView{sample: m.sample, snap: g, inUse: m.inUse()})); !strings.Contains(v, "energy n/a (simulated GPUs have no energy counter)") {
		t.Errorf("GPUs panel:\n%s", v)
	}
}

// "ours" marks this process's memory only on a GPU it runs on: not during a
// CPU run, and never on a simulated GPU.
func TestOursOnlyWhereThisProcessRuns(t *testing.T) {
	m, _ := newTestModel(gpuSnapshot(), 100, 30)
	withGPUs(m)
	st := *m.st
	m.gpu.SetSize(80, 9)
	view := func(snap runner.Snapshot, fake bool) string {
		smp := *m.sample
		smp.Fake = fake
		m.snap = snap
		return ansi.Strip(m.gpu.View(st, gpuView{sample: &smp, snap: snap, inUse: m.inUse()}))
	}
	if v := view(gpuSnapshot(), false); !strings.Contains(v, "ours 3.0") {
		t.Errorf("a GPU run on cuda:0:\n%s", v)
	}
	if v := view(cpuSnapshot(), false); strings.Contains(v, "ours") {
		t.Errorf("a CPU run:\n%s", v)
	}
	if v := view(gpuSnapshot(), true); strings.Contains(v, "ours") {
		t.Errorf("simulated GPUs:\n%s", v)
	}
}
