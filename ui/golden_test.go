package ui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares the ANSI-stripped view with testdata/name.golden.
func golden(t *testing.T, name, view string) {
	t.Helper()
	got := ansi.Strip(view) + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got ---\n%s--- want ---\n%s", name, path, got, want)
	}
}

// checkSize asserts the view is exactly w×h cells.
func checkSize(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("%d×%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Fatalf("%d×%d: line %d is %d wide: %q", w, h, i, lw, ansi.Strip(l))
		}
	}
}

func TestGoldenScreens(t *testing.T) {
	cpu80, _ := newTestModel(cpuSnapshot(), 80, 24)
	h := hostReadingFixture()
	cpu80.Update(hostMsg(h))
	gpu160, _ := newTestModel(gpuSnapshot(), 160, 48)
	withGPUs(gpu160)
	gpu80, _ := newTestModel(gpuSnapshot(), 80, 24)
	withGPUs(gpu80)
	cpu160, _ := newTestModel(cpuSnapshot(), 160, 48)
	cpu160.Update(hostMsg(h))
	for name, m := range map[string]*Model{
		"screen_cpu_80x24": cpu80, "screen_cpu_160x48": cpu160,
		"screen_gpu_80x24": gpu80, "screen_gpu_160x48": gpu160,
	} {
		t.Run(name, func(t *testing.T) {
			v := m.render()
			checkSize(t, v, m.w, m.h)
			golden(t, name, v)
		})
	}
}

func TestGoldenPanels(t *testing.T) {
	m, _ := newTestModel(gpuSnapshot(), 100, 30)
	withGPUs(m)
	h := hostReadingFixture()
	st := *m.st
	m.header.SetSize(100)
	m.thr.SetSize(60, 12, st, m.hist)
	m.lat.SetSize(60, 14)
	m.lat.redraw(st, m.snap)
	m.gpu.SetSize(80, 9)
	m.hostP.SetSize(70, 5)
	m.ev.SetSize(70, 6)
	gv := gpuView{sample: m.sample, snap: m.snap, inUse: m.inUse()}
	noNVML := gpuView{nvmlErr: "NVML not available: no NVIDIA driver found (libnvidia-ml.so.1)"}
	fake := gv
	fs := *m.sample
	fs.Fake = true
	fake.sample = &fs
	panels := map[string]string{
		"panel_header":      m.header.View(st, m.snap),
		"panel_throughput":  m.thr.View(st, m.snap),
		"panel_latency_gpu": m.lat.View(st, m.snap),
		"panel_gpu":         m.gpu.View(st, gv),
		"panel_gpu_fake":    m.gpu.View(st, fake),
		"panel_gpu_nonvml":  m.gpu.View(st, noNVML),
		"panel_host":        m.hostP.View(st, &h, cpuSnapshot()),
		"panel_events":      m.ev.View(st, m.snap.Events),
	}
	press(m, text("d"))
	panels["panel_device_picker"] = m.render()
	for name, v := range panels {
		t.Run(name, func(t *testing.T) { golden(t, name, v) })
	}
}

func TestStateBadges(t *testing.T) {
	st := newStyles(true, true)
	for _, tc := range []struct {
		state func(s *runnerSnapshot)
		want  string
	}{
		{func(s *runnerSnapshot) { s.State = stateWarming }, "warming up"},
		{func(s *runnerSnapshot) { s.State = stateMeasuring }, "measuring (windows ✓ · iqr ✓)"},
		{func(s *runnerSnapshot) { s.State = stateStable }, "stable ✓ (windows ✓ · iqr ✓)"},
		{func(s *runnerSnapshot) { s.State = statePaused }, "paused"},
		{func(s *runnerSnapshot) { s.State, s.Err = stateError, "executor panicked: boom" }, "error: executor panicked: boom"},
	} {
		s := cpuSnapshot()
		tc.state(&s)
		if got := ansi.Strip(stateBadge(st, s)); !strings.Contains(got, tc.want) {
			t.Errorf("badge %q, want %q", got, tc.want)
		}
	}
}
