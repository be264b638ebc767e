package runner

import (
	"context"
	"testing"
	"time"

	"infertop/model"
	"infertop/presets"
)

// fixedModel is a Relu over [2, 4]: a model exported with a fixed batch of 2.
func fixedModel(t *testing.T) *model.Model {
	t.Helper()
	b := model.NewBuilder("fixed")
	x := b.Input("input", model.Float32, model.ShapeOf(2, 4))
	b.Output(b.Op("Relu", "relu", nil, x))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return &model.Model{Name: "fixed.onnx", Graph: g, DefaultBatch: 2}
}

// A fixed-batch model refuses another batch with its own message, and the
// run goes on at its batch, under the same run id.
func TestFixedBatchModelRefusesOtherBatches(t *testing.T) {
	fixed := fixedModel(t)
	cat := presets.NewModels(presets.DefaultSeed)
	if err := cat.Add(fixed.Name, "", func() (*model.Model, error) { return fixed, nil }); err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{}
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{clock: clk, lat: constLat(time.Millisecond)} }}
	r, err := New(Config{Registry: env.registry(), Catalog: cat, Model: "mlp", Device: "cpu", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if err := r.SetModel("fixed.onnx"); err != nil {
		t.Fatal(err)
	}
	before := r.Latest()
	if before.Model != "fixed.onnx" || before.Batch != 2 || !before.State.Running() {
		t.Fatalf("after SetModel: %s batch %d %v", before.Model, before.Batch, before.State)
	}
	err = r.SetBatch(4)
	want := fixed.CheckBatch(4)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("SetBatch(4) = %v, want the model's %v", err, want)
	}
	after := r.Latest()
	if after.RunID != before.RunID || after.Batch != 2 || !after.State.Running() || after.Err != "" {
		t.Errorf("after the refusal: run %d (was %d), batch %d, %v %q", after.RunID, before.RunID, after.Batch, after.State, after.Err)
	}
	if err := r.SetBatch(2); err != nil {
		t.Errorf("SetBatch(2) on a model fixed at 2: %v", err)
	}
}

// FLOPs per sample and the memory estimate are the compiled graph's, as
// counted by hand.
func TestFLOPsPerSampleAndMemoryEstimate(t *testing.T) {
	cat := presets.NewModels(presets.DefaultSeed)
	mlp, _ := cat.Get("mlp")
	lin, _ := cat.Get("linear")
	if got, err := FLOPsPerSample(mlp); err != nil || got != 2*(784*1024+1024*1024+1024*10) {
		t.Errorf("mlp: %d FLOPs per sample, %v", got, err)
	}
	// linear at batch 10: 11 parameters, a [10, 10] input, a [10, 1] output, 4 bytes each.
	if got, err := MemoryEstimate(lin, 10); err != nil || got != 4*(11+100+10) {
		t.Errorf("linear at batch 10: estimate %d, %v; want %d", got, err, 4*(11+100+10))
	}
	fixed := fixedModel(t)
	if _, err := MemoryEstimate(fixed, 3); err == nil || err.Error() != fixed.CheckBatch(3).Error() {
		t.Errorf("a fixed-batch model's estimate at another batch: %v", err)
	}
}
