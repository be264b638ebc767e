package sweep

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"infertop/engine"
	"infertop/model"
)

// A race is written under "model"; one written before models, under
// "preset", reads the same.
func TestCompareResultReadsModelAndPreset(t *testing.T) {
	b, err := json.Marshal(CompareResult{Model: "a.onnx", A: cpu1, B: cpuAll})
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil || top["model"] != "a.onnx" || top["preset"] != nil {
		t.Fatalf("written as %s (%v)", b, err)
	}
	for _, doc := range []string{string(b), `{"preset":"a.onnx","a":{"device":"cpu","threads":1},"b":{"device":"cpu"}}`} {
		var r CompareResult
		if err := json.Unmarshal([]byte(doc), &r); err != nil || r.Model != "a.onnx" || r.A != cpu1 || r.B != cpuAll {
			t.Errorf("%s read as %+v (%v)", doc, r, err)
		}
	}
}

// The notes a sweep is given come first in its result, after the CPU's
// edge note.
func TestSweepCarriesItsNotes(t *testing.T) {
	p := saturating()
	res, err := Run(context.Background(), Config{Batches: []int{2}, EstimateEdge: true, Notes: []string{"fixed at 2"}}, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{CPUEdgeNote, "fixed at 2"}; !slices.Equal(res.Notes, want) {
		t.Errorf("notes %q, want %q", res.Notes, want)
	}
}

// A race of a fixed-batch model at another batch is refused with the
// model's message before either side prepares it.
func TestExecWindowerRefusesAFixedModelsOtherBatch(t *testing.T) {
	b := model.NewBuilder("fixed")
	b.Output(b.Op("Relu", "relu", nil, b.Input("input", model.Float32, model.ShapeOf(2, 4))))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	m := &model.Model{Name: "fixed.onnx", Graph: g, DefaultBatch: 2}
	prepared := 0
	reg := registryOf(func(engine.Options) *stepExec { prepared++; return &stepExec{} })
	w, err := NewExecWindower(reg, m, cpu1, cpuAll, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.Prepare(context.Background(), 4)
	if err == nil || err.Error() != m.CheckBatch(4).Error() {
		t.Errorf("Prepare(4) = %v, want the model's %v", err, m.CheckBatch(4))
	}
	if w.prep != 0 {
		t.Errorf("batch %d prepared", w.prep)
	}
}
