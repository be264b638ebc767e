package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"infertop/presets"
	"infertop/runner"
)

func press(m *Model, k tea.KeyPressMsg) tea.Cmd {
	_, cmd := m.Update(k)
	return cmd
}

func text(s string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: []rune(s)[0], Text: s} }

var (
	keyUp    = tea.KeyPressMsg{Code: tea.KeyUp}
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	keySpace = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	keyCtrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
)

func TestBatchKeysDoubleAndHalve(t *testing.T) {
	for _, tc := range []struct {
		key  tea.KeyPressMsg
		want string
	}{
		{text("+"), "batch 512"}, {text("="), "batch 512"}, {keyUp, "batch 512"},
		{text("-"), "batch 128"}, {keyDown, "batch 128"},
	} {
		m, fc := newTestModel(cpuSnapshot(), 80, 24)
		runCmd(m, press(m, tc.key))
		if got := fc.Calls(); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: calls %v, want [%s]", tc.key, got, tc.want)
		}
		if !strings.Contains(m.status, tc.want+": done") {
			t.Errorf("%s: status %q", tc.key, m.status)
		}
	}
}

func TestDoubleTwiceBeforeSnapshotUsesAskedBatch(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	c1 := press(m, text("+"))
	c2 := press(m, text("+"))
	runCmd(m, c1)
	runCmd(m, c2)
	if got := fc.Calls(); !slices.Equal(got, []string{"batch 512", "batch 1024"}) {
		t.Fatalf("calls %v", got)
	}
}

func TestHalveAtOneRefuses(t *testing.T) {
	s := cpuSnapshot()
	s.Batch = 1
	m, fc := newTestModel(s, 80, 24)
	if cmd := press(m, text("-")); cmd != nil || len(fc.Calls()) != 0 {
		t.Fatalf("halving batch 1 sent %v", fc.Calls())
	}
	if !m.statusBad {
		t.Fatalf("no red message: %q", m.status)
	}
}

func TestRefusedBatchKeepsOldAndSaysWhy(t *testing.T) {
	m, fc := newTestModel(gpuSnapshot(), 80, 24)
	fc.err = errNoRoom
	runCmd(m, press(m, text("+")))
	if !m.statusBad || !strings.Contains(m.status, "out of memory") {
		t.Fatalf("status %q", m.status)
	}
	if m.batch != 4096 {
		t.Fatalf("batch %d after a refusal, want the old 4096", m.batch)
	}
}

func typeBatch(m *Model, s string) tea.Cmd {
	press(m, text("b"))
	for _, r := range s {
		press(m, text(string(r)))
	}
	return press(m, keyEnter)
}

func TestTypedBatch(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	runCmd(m, typeBatch(m, "1000"))
	if got := fc.Calls(); !slices.Equal(got, []string{"batch 1000"}) {
		t.Fatalf("calls %v", got)
	}
	if m.mode != modeDash {
		t.Fatalf("prompt still open")
	}
}

func TestTypedBatchValidatedInline(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "not a positive integer"},
		{"0", "not a positive integer"},
		{"99999999", "above the limit"},
		{"1000000", "needs about"}, // mlp at a million samples does not fit 8 GiB
	} {
		m, fc := newTestModel(cpuSnapshot(), 80, 24)
		if cmd := typeBatch(m, tc.in); cmd != nil {
			t.Errorf("%q: a command was returned", tc.in)
		}
		if len(fc.Calls()) != 0 || m.mode != modeBatch || !m.statusBad || !strings.Contains(m.status, tc.want) {
			t.Errorf("%q: calls %v mode %d status %q", tc.in, fc.Calls(), m.mode, m.status)
		}
		if !strings.Contains(m.render(), tc.want) {
			t.Errorf("%q: the message is not on screen", tc.in)
		}
		press(m, keyEsc)
		if m.mode != modeDash || m.batch != 256 {
			t.Errorf("%q: esc left mode %d batch %d", tc.in, m.mode, m.batch)
		}
	}
}

func TestModelPickerListsPresets(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	press(m, text("p"))
	if m.mode != modeModel || !strings.Contains(m.render(), "transformer") {
		t.Fatalf("picker not shown")
	}
	press(m, keyDown)
	runCmd(m, press(m, keyEnter))
	if got := fc.Calls(); !slices.Equal(got, []string{"model lenet5"}) {
		t.Fatalf("calls %v", got)
	}
	if m.mode != modeDash {
		t.Fatalf("picker still open")
	}
}

func TestDevicePickerGreysUnavailable(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	press(m, text("d"))
	if !strings.Contains(m.render(), "unavailable: this binary was built without CUDA") {
		t.Fatalf("reason not shown:\n%s", m.render())
	}
	if strings.Contains(m.render(), "is unavailable") {
		t.Fatalf("a reason below the list while the cursor is on cpu:\n%s", m.render())
	}
	press(m, keyDown)
	if v := m.render(); !strings.Contains(v, "cuda:0 is unavailable: this binary was built without CUDA") {
		t.Fatalf("the reason of the unavailable choice under the cursor is not shown whole:\n%s", v)
	}
	if cmd := press(m, keyEnter); cmd != nil || len(fc.Calls()) != 0 || !m.statusBad {
		t.Fatalf("an unavailable device was picked: %v %q", fc.Calls(), m.status)
	}
	press(m, keyUp)
	runCmd(m, press(m, keyEnter))
	if got := fc.Calls(); !slices.Equal(got, []string{"device cpu"}) {
		t.Fatalf("calls %v", got)
	}
	press(m, text("d"))
	press(m, keyEsc)
	if m.mode != modeDash {
		t.Fatalf("esc did not close the picker")
	}
}

func TestPauseResumeReset(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24)
	runCmd(m, press(m, keySpace))
	p := cpuSnapshot()
	p.Seq++
	p.State = runner.Paused
	m.Update(snapshotMsg(p))
	runCmd(m, press(m, keySpace))
	runCmd(m, press(m, text("r")))
	if got := fc.Calls(); !slices.Equal(got, []string{"pause", "resume", "reset"}) {
		t.Fatalf("calls %v", got)
	}
}

func TestHelpToggles(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 80, 24)
	short := m.render()
	press(m, text("?"))
	if !m.help.ShowAll || !strings.Contains(m.render(), "cancel") || strings.Contains(short, "cancel") {
		t.Fatalf("full help not shown")
	}
	press(m, text("?"))
	if m.help.ShowAll {
		t.Fatalf("help did not close")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []tea.KeyPressMsg{text("q"), keyCtrlC} {
		m, _ := newTestModel(cpuSnapshot(), 80, 24)
		cmd := press(m, k)
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s: not a quit", k)
		}
	}
	// Ctrl-C quits from the prompt too.
	m, _ := newTestModel(cpuSnapshot(), 80, 24)
	press(m, text("b"))
	if _, ok := press(m, keyCtrlC)().(tea.QuitMsg); !ok {
		t.Fatalf("ctrl+c in the prompt did not quit")
	}
}

func TestSnapshotsFromReplacedRunDropped(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 80, 24)
	old := cpuSnapshot()
	old.RunID, old.Batch = 2, 128
	m.Update(snapshotMsg(old))
	if m.snap.RunID != 3 || m.snap.Batch != 256 {
		t.Fatalf("an older run's snapshot replaced the current one: run %d batch %d", m.snap.RunID, m.snap.Batch)
	}
	next := cpuSnapshot()
	next.RunID, next.Batch = 4, 512
	m.Update(snapshotMsg(next))
	if m.snap.RunID != 4 || m.batch != 512 {
		t.Fatalf("the newer run was not taken")
	}
}

// With one GPU, cuda:all lists only that GPU; the panel must still call it cuda:0.
func TestSingleGPUKeepsItsCUDAName(t *testing.T) {
	devs := []DeviceChoice{
		{Name: "cpu", Available: true},
		{Name: "cuda:0", BusID: "00000000:00:06.0", GPUIndexes: []int{0}, Available: true},
		{Name: "cuda:all", GPUIndexes: []int{0}, Available: true},
	}
	m := New(Options{Session: &fakeControl{}, Initial: gpuSnapshot(), Catalog: presets.NewModels(presets.DefaultSeed), Devices: devs,
		Location: time.UTC, NoColor: true, Dark: true})
	if got := m.gpu.cudaName[0]; got != "cuda:0" {
		t.Errorf("GPU 0 is labelled %q, want cuda:0", got)
	}
}

// The metrics address is on screen, not only on stderr behind the alternate screen.
func TestHeaderShowsWhereTheRunIsServed(t *testing.T) {
	m := New(Options{Session: &fakeControl{}, Initial: cpuSnapshot(), Catalog: presets.NewModels(presets.DefaultSeed), Devices: testDevices(),
		Location: time.UTC, NoColor: true, Dark: true,
		Serving: "metrics http://127.0.0.1:9464/metrics"})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if v := m.View().Content; !strings.Contains(v, "metrics http://127.0.0.1:9464/metrics") {
		t.Errorf("header lacks the metrics URL:\n%s", v)
	}
}

// A burst of batch keys is applied and acknowledged in the order of the
// keys, however the goroutines that run the calls are scheduled: one call
// is in flight at a time, the next starts when it comes back.
func TestBurstOfBatchKeysInOrder(t *testing.T) {
	m, fc := newTestModel(cpuSnapshot(), 80, 24) // batch 256
	var cmds []tea.Cmd
	for _, k := range []string{"+", "+", "-", "+"} {
		cmds = append(cmds, press(m, text(k)))
	}
	// Run every command the keys returned, the last first, as goroutines
	// may finish; each answer may start the next call.
	var statuses []string
	for i := len(cmds) - 1; i >= 0; i-- {
		for _, msg := range runCmd(m, cmds[i]) {
			if c, ok := msg.(controlMsg); ok {
				statuses = append(statuses, c.what)
			}
		}
	}
	if want := []string{"batch 512", "batch 1024", "batch 512", "batch 1024"}; !slices.Equal(fc.Calls(), want) || !slices.Equal(statuses, want) {
		t.Errorf("calls %v, acknowledged %v; want both %v", fc.Calls(), statuses, want)
	}
	if !strings.Contains(m.render(), "batch 1024: done") {
		t.Errorf("the status line does not end on the last key:\n%s", m.render())
	}
}
