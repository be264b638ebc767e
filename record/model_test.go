package record

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"infertop/runner"
)

// A snapshot is written with its model under "Model", and no "Preset".
func TestSnapshotWritesModel(t *testing.T) {
	f := &memFile{}
	r, err := New(f, header(), (&clock{t: t0}).now)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot(1)
	s.Model = "models/resnet.onnx"
	r.Snapshot(s)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b := f.bytes()
	if !bytes.Contains(b, []byte(`"Model":"models/resnet.onnx"`)) || bytes.Contains(b, []byte(`"Preset"`)) {
		t.Errorf("written as %s", b)
	}
	rec, err := Read(bytes.NewReader(b))
	if err != nil || rec.Entries[0].Snapshot.Model != "models/resnet.onnx" {
		t.Fatalf("read back: %v %+v", err, rec.Entries)
	}
}

// A refused model is a case of its own verdict, on a warning event, and
// reads back as it was written.
func TestSelftestRefusedCaseRoundTrip(t *testing.T) {
	f := &memFile{}
	r, err := New(f, Header{Command: "selftest"}, (&clock{t: t0}).now)
	if err != nil {
		t.Fatal(err)
	}
	c := Case{Model: "x.onnx", Device: "cuda:0", Baseline: "cpu", Refused: true, Tolerance: 1e-3,
		Error: `x.onnx needs what cannot be computed: TopK (opset 17) ×1, first "topk": op not supported`}
	r.Case(c)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(f.bytes(), []byte(`"verdict":"REFUSED"`)) {
		t.Errorf("written as %s", f.bytes())
	}
	rec, err := Read(bytes.NewReader(f.bytes()))
	if err != nil || rec.Stopped != nil || len(rec.Entries) != 1 {
		t.Fatalf("read: %v, stopped %v", err, rec.Stopped)
	}
	e := rec.Entries[0]
	if got := e.Case; got == nil || !got.Refused || got.Pass || got.Model != c.Model || got.Error != c.Error {
		t.Errorf("read back %+v", got)
	}
	want := `REFUSED x.onnx on cuda:0: ` + c.Error
	if e.Event.Kind != runner.EventWarning || e.Event.Text != want || c.String() != want {
		t.Errorf("event %v %q, want a warning %q", e.Event.Kind, e.Event.Text, want)
	}
}

// Lines written before models name the model "preset": a selftest case
// and a compare window read the same.
func TestOldLinesNameThePreset(t *testing.T) {
	var c Case
	if err := json.Unmarshal([]byte(`{"preset":"mlp","batch":7,"device":"cpu","baseline":"reference","verdict":"PASS","tolerance":0.001}`), &c); err != nil ||
		c.Model != "mlp" || c.Batch != 7 || !c.Pass {
		t.Errorf("old case read as %+v (%v)", c, err)
	}
	var w CompareWindow
	if err := json.Unmarshal([]byte(`{"preset":"linear","batch":1,"side":"a","device":"cpu"}`), &w); err != nil ||
		w.Model != "linear" || w.Batch != 1 || w.Side != "a" {
		t.Errorf("old window read as %+v (%v)", w, err)
	}
	b, _ := json.Marshal(CompareWindow{Model: "linear"})
	if !strings.Contains(string(b), `"model":"linear"`) || strings.Contains(string(b), "preset") {
		t.Errorf("a window is written as %s", b)
	}
}
