package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/presets"
	"infertop/runner"
)

// A document written before models names the model "preset": its meta and
// its race read the same, and a compare baseline of that age loads.
func TestOldDocumentsNameThePreset(t *testing.T) {
	var m Meta
	if err := json.Unmarshal([]byte(`{"version":"0.1.0","device":"cpu","preset":"mlp"}`), &m); err != nil || m.Model != "mlp" || m.Device != "cpu" {
		t.Errorf("old meta read as %+v (%v)", m, err)
	}
	path := filepath.Join(t.TempDir(), "old.json")
	old := `{"meta":{"version":"0.1.0","preset":"resnet"},"compare":{"a":{"device":"cpu","threads":1},"b":{"device":"cpu"},
"points":[{"batch":8,"speed_up":2,"speed_up_lo":1.9,"speed_up_hi":2.1,"pairs":4}]}}`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := LoadCompareBaseline(path)
	if err != nil || doc.Compare.Model != "resnet" || doc.Meta.Model != "resnet" {
		t.Fatalf("old compare read as %+v (%v)", doc, err)
	}
	if err := CheckCompareBaseline(doc.Compare, "resnet", doc.Compare.A, doc.Compare.B, []int{8}); err != nil {
		t.Errorf("an old baseline of the same model: %v", err)
	}
	b, _ := json.Marshal(Meta{Model: "x.onnx"})
	if !bytes.Contains(b, []byte(`"model":"x.onnx"`)) || bytes.Contains(b, []byte("preset")) {
		t.Errorf("meta written as %s", b)
	}
}

// The e key's file is named after a file model's base name, never its path.
func TestRunExportNamesAFileModelByItsStem(t *testing.T) {
	for model, stem := range map[string]string{
		"mlp": "mlp", "testdata/models/resnet_narrow.onnx": "resnet_narrow", "/tmp/a b/my model.onnx": "my_model",
	} {
		dir := t.TempDir()
		s := runner.Snapshot{Model: model, Device: "cuda:0", Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		path, err := WriteRunExport(dir, NewRunExport(s, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(dir, "infertop-run-"+stem+"-cuda0-20260301-120000.json"); path != want {
			t.Errorf("%s: written to %s, want %s", model, path, want)
		}
	}
}

// The presets listing reads each preset's model: shapes per sample,
// PyTorch's parameter counts and the FLOPs counted by hand.
func TestWritePresets(t *testing.T) {
	var b bytes.Buffer
	if err := WritePresets(&b, "json", presets.NewModels(presets.DefaultSeed)); err != nil {
		t.Fatal(err)
	}
	var rows []PresetRow
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil || len(rows) != 5 {
		t.Fatalf("%d rows (%v): %s", len(rows), err, b.String())
	}
	mlp := rows[1]
	if mlp.Name != "mlp" || !slices.Equal(mlp.Input, []int{784}) || !slices.Equal(mlp.Output, []int{10}) ||
		mlp.Params != 784*1024+1024+1024*1024+1024+1024*10+10 || mlp.FLOPsPerSample != 2*(784*1024+1024*1024+1024*10) ||
		mlp.DefaultBatch != 256 {
		t.Errorf("mlp row %+v", mlp)
	}
	if tr := rows[4]; tr.Name != "transformer" || !slices.Equal(tr.Input, []int{128, 256}) || !slices.Equal(tr.Output, []int{128, 256}) {
		t.Errorf("transformer row %+v", tr)
	}
	b.Reset()
	if err := WritePresets(&b, "table", presets.NewModels(presets.DefaultSeed)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "NAME ") || !strings.Contains(b.String(), "\nresnet ") {
		t.Errorf("table:\n%s", b.String())
	}
}
