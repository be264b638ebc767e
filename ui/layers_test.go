package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"infertop/engine"
	"infertop/record"
	"infertop/runner"
)

// profileFixture is a resnet-like profile of 14 steps of a 4.2 ms batch.
func profileFixture() *runner.Profile {
	p := &runner.Profile{Every: 10, Batches: 57, Kept: 57, Batch: 4200 * time.Microsecond, Outside: 80 * time.Microsecond,
		Closure: 1, PeakGFLOPS: 90}
	p.OutsideShare = float64(p.Outside) / float64(p.Batch)
	for i := range 14 {
		d := time.Duration(14-i) * 40 * time.Microsecond
		name := fmt.Sprintf("conv%d", i+1)
		p.Steps = append(p.Steps, runner.StepStat{Index: i, Step: engine.Step{Name: name, Op: "FusedConv", Covers: []string{name, "relu" + name[4:]},
			FLOPs: 2e7, Bytes: 3e5, Way: "im2col + sgemm", Threads: 2}, P50: d, Share: float64(d) / float64(p.Batch),
			GFLOPS: 2e7 / d.Seconds() / 1e9, GBPS: 3e5 / d.Seconds() / 1e9, PctPeak: 100 * 2e7 / d.Seconds() / 1e9 / 90})
	}
	return p
}

// The Layers panel at two sizes, and the full table: golden views.
func TestGoldenLayers(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		w, h := size[0], size[1]
		s := cpuSnapshot()
		s.Profile = profileFixture()
		m, ctl := newTestModel(s, w, h)
		m.Update(hostMsg(hostReadingFixture()))
		press(m, text("l"))
		if !m.showLayers {
			t.Fatal("l did not show the Layers panel")
		}
		if calls := ctl.calls; len(calls) != 0 {
			t.Errorf("the profile is on already, yet l asked %v", calls)
		}
		v := m.render()
		checkSize(t, v, w, h)
		golden(t, fmt.Sprintf("screen_layers_%dx%d", w, h), v)

		press(m, text("L"))
		v = m.render()
		checkSize(t, v, w, h)
		golden(t, fmt.Sprintf("layers_table_%dx%d", w, h), v)
		press(m, keyEsc)
		if m.layersTable || !m.showLayers {
			t.Errorf("esc: table %v, panel %v", m.layersTable, m.showLayers)
		}
	}
}

// l turns the profile on when the run has none, and off with the panel;
// the panel follows the run's profile, which resets with the run.
func TestLayersKeyTurnsTheProfileOn(t *testing.T) {
	m, ctl := newTestModel(cpuSnapshot(), 100, 30)
	runCmd(m, press(m, text("l")))
	if got := strings.Join(ctl.calls, ","); got != fmt.Sprintf("profile %d", runner.DefaultProfileEvery) {
		t.Errorf("calls %q", got)
	}
	if v := ansi.Strip(m.render()); !strings.Contains(v, "Layers") || !strings.Contains(v, "turning the step profile on") {
		t.Errorf("panel before the first profile:\n%s", v)
	}
	s := cpuSnapshot()
	s.Seq++
	s.Profile = &runner.Profile{Every: 10}
	m.Update(snapshotMsg(s))
	if v := ansi.Strip(m.render()); !strings.Contains(v, "timing each step of one batch in 10") {
		t.Errorf("panel while waiting:\n%s", v)
	}
	s.Seq++
	s.Profile = profileFixture()
	m.Update(snapshotMsg(s))
	if v := ansi.Strip(m.render()); !strings.Contains(v, "conv1") || !strings.Contains(v, "outside steps") {
		t.Errorf("panel with a profile:\n%s", v)
	}
	runCmd(m, press(m, text("l")))
	if got := ctl.calls[len(ctl.calls)-1]; got != "profile 0" || m.showLayers {
		t.Errorf("second l: %q, panel %v", got, m.showLayers)
	}
}

// l twice before the runner published a profile turns it on and off again.
func TestLayersKeyTwiceBeforeASnapshot(t *testing.T) {
	m, ctl := newTestModel(cpuSnapshot(), 100, 30)
	runCmd(m, press(m, text("l")))
	runCmd(m, press(m, text("l")))
	if got, want := strings.Join(ctl.calls, ","), fmt.Sprintf("profile %d,profile 0", runner.DefaultProfileEvery); got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
}

// Every size from 80×24 up draws the panel and the table within the screen.
func TestLayersFitEverySize(t *testing.T) {
	for w := 80; w <= 200; w += 7 {
		for h := 24; h <= 60; h += 5 {
			s := cpuSnapshot()
			s.Profile = profileFixture()
			m, _ := newTestModel(s, w, h)
			press(m, text("l"))
			checkSize(t, m.render(), w, h)
			press(m, text("L"))
			for range 20 {
				press(m, keyDown)
			}
			checkSize(t, m.render(), w, h)
		}
	}
}

// A recording of a run that timed its steps replays with the Layers panel,
// and L opens every step.
func TestReplayShowsLayers(t *testing.T) {
	now := t0
	buf := &closeBuffer{}
	rec, err := record.New(buf, record.Header{Command: "dashboard", Devices: testDeviceRecords()}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		s := cpuSnapshot()
		s.Seq, s.Time = uint64(i+1), t0.Add(time.Duration(i)*time.Second)
		if i >= 2 {
			s.Profile = profileFixture()
		}
		now = s.Time
		rec.Snapshot(s)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rp := newTestReplay(openRecording(t, buf.Bytes()), 160, 40)
	rp.seek(time.Second)
	if v := body(rp.render()); strings.Contains(v, "Layers") {
		t.Errorf("the Layers panel before the run timed its steps:\n%s", v)
	}
	rp.seek(rp.end())
	if v := body(rp.render()); !strings.Contains(v, "Layers") || !strings.Contains(v, "conv1") {
		t.Errorf("no Layers panel at the end:\n%s", v)
	}
	rp.Update(text("L"))
	if v := body(rp.render()); !strings.Contains(v, "Layers: 14 steps") || !strings.Contains(v, "im2col + sgemm ×2 · conv14, relu14") {
		t.Errorf("no table after L:\n%s", v)
	}
	rp.Update(keyEsc)
	if rp.inner.layersTable {
		t.Error("esc left the table open")
	}
}
