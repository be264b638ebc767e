package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"infertop/model"
	"infertop/presets"
	"infertop/runner"
)

// reluModel is a Relu over [batch, 4], or [fixed, 4] when fixed > 0: a
// file's model as the catalog holds it.
func reluModel(t *testing.T, name string, fixed int) *model.Model {
	t.Helper()
	b := model.NewBuilder("relu")
	first := model.Sym("batch")
	if fixed > 0 {
		first = model.Fixed(fixed)
	}
	x := b.Input("input", model.Float32, model.Shape{first, model.Fixed(4)})
	b.Output(b.Op("Relu", "relu", nil, x))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return &model.Model{Name: name, Graph: g, DefaultBatch: max(fixed, 1), Description: "ONNX file " + name}
}

// fileModel builds a dashboard whose catalog holds the presets and m, on snapshot s.
func fileModel(t *testing.T, s runner.Snapshot, m *model.Model) (*Model, *fakeControl) {
	t.Helper()
	cat := presets.NewModels(presets.DefaultSeed)
	if err := cat.Add(m.Name, m.Description, func() (*model.Model, error) { return m, nil }); err != nil {
		t.Fatal(err)
	}
	fc := &fakeControl{}
	ui := New(Options{Session: fc, Initial: s, Catalog: cat, Devices: testDevices(), Location: time.UTC, NoColor: true, Dark: true})
	ui.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	ui.Update(snapshotMsg(s))
	return ui, fc
}

// The p picker lists the presets, then the files by their whole path;
// picking a file asks the run for it, and the header then names it by its
// base name.
func TestModelPickerSwitchesToAFile(t *testing.T) {
	const path = "models/vision/classifier.onnx"
	m, fc := fileModel(t, cpuSnapshot(), reluModel(t, path, 0))
	press(m, text("p"))
	view := ansi.Strip(m.render())
	if m.mode != modeModel || !strings.Contains(view, "─ Model ─") {
		t.Fatalf("no model picker:\n%s", view)
	}
	if i, j := strings.Index(view, "transformer"), strings.Index(view, path+" ONNX file "+path); i < 0 || j < i {
		t.Fatalf("the file is not listed by its path after the presets:\n%s", view)
	}
	for range 4 { // from mlp, past lenet5, resnet and transformer
		press(m, keyDown)
	}
	runCmd(m, press(m, keyEnter))
	if got := fc.Calls(); !slices.Equal(got, []string{"model " + path}) {
		t.Fatalf("calls %v", got)
	}
	s := cpuSnapshot()
	s.RunID, s.Seq, s.Model, s.Batch = s.RunID+1, s.Seq+1, path, 1
	m.Update(snapshotMsg(s))
	header := strings.SplitN(ansi.Strip(m.render()), "\n", 2)[0]
	if !strings.Contains(header, "model classifier.onnx ") || strings.Contains(header, "vision/") {
		t.Errorf("header %q", header)
	}
	m.setStatus("", false)
	press(m, text("?"))
	if v := ansi.Strip(m.render()); !strings.Contains(v, "\nmodel "+path+" ") {
		t.Errorf("the help screen does not say the file's path:\n%s", v)
	}
	if m.currentBatch() != 1 {
		t.Errorf("current batch %d, want the file's default 1", m.currentBatch())
	}
}

// The batch keys on a fixed-batch model say why its batch cannot change,
// and ask the run for nothing.
func TestBatchKeysOnAFixedBatchModel(t *testing.T) {
	const path = "fixed.onnx"
	fixed := reluModel(t, path, 2)
	s := cpuSnapshot()
	s.Model, s.Batch = path, 2
	m, fc := fileModel(t, s, fixed)
	fc.check = fixed.CheckBatch
	why := fixed.CheckBatch(4).Error()
	for _, keys := range [][]tea.KeyPressMsg{{text("+")}, {text("-")}, {text("b"), text("8"), keyEnter}} {
		for _, k := range keys {
			runCmd(m, press(m, k))
		}
		if !m.statusBad || !strings.HasPrefix(m.status, "fixed.onnx was exported with a fixed batch of 2, so it runs at batch 2 only; ") ||
			!strings.HasSuffix(m.status, why[strings.Index(why, ";"):]) {
			t.Errorf("%v: status %q (bad %v)", keys, m.status, m.statusBad)
		}
		m.mode = modeDash
	}
	if calls := fc.Calls(); len(calls) != 0 {
		t.Errorf("calls %v", calls)
	}
	if got := fmt.Sprint(m.currentBatch()); got != "2" {
		t.Errorf("current batch %s", got)
	}
}
