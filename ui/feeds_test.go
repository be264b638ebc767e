package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"infertop/gpuinfo"
	"infertop/runner"
)

func TestGPUPanelShowsTheRunnersEnergyPerSample(t *testing.T) {
	m, _ := newTestModel(gpuSnapshot(), 100, 30)
	withGPUs(m)
	st := *m.st
	m.gpu.SetSize(80, 9)
	view := func(s runner.Snapshot) string {
		return ansi.Strip(m.gpu.View(st, gpuView{sample: m.sample, snap: s, inUse: m.inUse()}))
	}
	s := m.snap
	// The figure is the snapshot's, whatever the GPU samples' interval
	// energy says (256 J each here).
	s.WindowEnergy = runner.Energy{Valid: true, Joules: 300, Samples: 4096, JoulesPerSample: 300.0 / 4096}
	if v := view(s); !strings.Contains(v, "energy 0.0732 J/sample") {
		t.Errorf("window figure 0.0732 J/sample not shown:\n%s", v)
	}
	s.WindowEnergy = runner.Energy{}
	if v := view(s); strings.Contains(v, "energy") {
		t.Errorf("an unknown figure was shown:\n%s", v)
	}
	// Through Update: a new snapshot's figure replaces the old one.
	s.Seq++
	s.WindowEnergy = runner.Energy{Valid: true, Joules: 5, Samples: 1000, JoulesPerSample: 0.005}
	m.Update(snapshotMsg(s))
	if v := ansi.Strip(m.render()); !strings.Contains(v, "energy 0.005 J/sample") {
		t.Errorf("the dashboard does not show the new snapshot's 0.005 J/sample:\n%s", v)
	}
}

// A CPU run's energy is the CPU packages' (RAPL): the Host panel shows it,
// the GPUs panel does not claim it.
func TestCPUEnergyShowsInTheHostPanel(t *testing.T) {
	s := cpuSnapshot()
	s.WindowEnergy = runner.Energy{Valid: true, Joules: 30, Samples: 24000, JoulesPerSample: 0.00125}
	m, _ := newTestModel(s, 120, 36)
	withGPUs(m)
	st := *m.st
	m.hostP.SetSize(58, 5)
	if v := ansi.Strip(m.hostP.View(st, m.host, s)); !strings.Contains(v, "energy 0.00125 J/sample (CPU packages)") {
		t.Errorf("host panel without the CPU energy:\n%s", v)
	}
	m.gpu.SetSize(80, 9)
	if v := ansi.Strip(m.gpu.View(st, gpuView{sample: m.sample, snap: s, inUse: m.inUse()})); strings.Contains(v, "J/sample") {
		t.Errorf("the GPUs panel shows the CPU's energy:\n%s", v)
	}
	s.WindowEnergy = runner.Energy{}
	if v := ansi.Strip(m.hostP.View(st, m.host, s)); strings.Contains(v, "energy") {
		t.Errorf("an unknown figure was shown:\n%s", v)
	}
}

func TestHistoryKeepsOnePointPerWindow(t *testing.T) {
	h := newHistory()
	s := cpuSnapshot()
	if !h.addSnapshot(s) || len(h.throughput) != 10 {
		t.Fatalf("%d points", len(h.throughput))
	}
	if h.addSnapshot(s) {
		t.Fatal("the same windows were added twice")
	}
	last := h.throughput[9]
	if !last.T.Equal(s.Time) || last.Value != s.Windows[9].SamplesPerSec {
		t.Fatalf("last point %+v", last)
	}
	// A new run (mlp, then a transformer at a hundredth of its rate) starts
	// the series again: its chart's axis is its own.
	s.RunID++
	s.Windows = s.Windows[:1]
	s.Windows[0].SamplesPerSec = 300
	if !h.addSnapshot(s) || len(h.throughput) != 1 || h.throughput[0].Value != 300 {
		t.Fatalf("a new run's series: %+v", h.throughput)
	}
	s.RunID++
	s.Windows = nil
	if !h.addSnapshot(s) || len(h.throughput) != 0 {
		t.Fatalf("a new run before its first window keeps %+v", h.throughput)
	}
	for range utilLen + 5 {
		h.addSample(gpuinfo.Sample{GPUs: []gpuinfo.GPU{{Index: 0, UtilGPUPercent: gpuinfo.Some[uint32](50)}}})
	}
	if len(h.util[0]) != utilLen {
		t.Fatalf("utilization kept %d readings", len(h.util[0]))
	}
}

// TestPlanShownBeforeTheDetail: how the engine computes this batch (the CUDA
// engine's convolution ways, which change with the batch) comes right after
// the engine's name in the header and the host panel, before the long fixed
// detail that a narrow terminal cuts.
func TestPlanShownBeforeTheDetail(t *testing.T) {
	s := gpuSnapshot()
	s.Model = "resnet"
	s.Info.Plan = "conv 8 cudnn, 2 implicit (timed at this batch)"
	m, _ := newTestModel(s, 160, 48)
	st := *m.st
	m.header.SetSize(160)
	m.hostP.SetSize(120, 5)
	want := "cuda+cublas · conv 8 cudnn, 2 implicit (timed at this batch) · cuBLAS 12.4"
	if v := ansi.Strip(m.header.View(st, s)); !strings.Contains(v, want) {
		t.Errorf("header lacks %q:\n%s", want, v)
	}
	if v := ansi.Strip(m.hostP.View(st, m.host, s)); !strings.Contains(v, want) {
		t.Errorf("host panel lacks %q:\n%s", want, v)
	}
}
