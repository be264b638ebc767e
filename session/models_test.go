package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/runner"
	"infertop/sweep"
)

// Fixtures: models of testdata/models, and files infertop refuses or
// restricts (testdata/refused, written by its gen.py).
const (
	mlpGemm     = "../testdata/models/mlp_gemm.onnx"
	resnet      = "../testdata/models/resnet_narrow.onnx"
	bert        = "../testdata/models/bert_tiny.onnx"
	fixedBatch  = "../testdata/refused/fixed_batch.onnx"
	unsupported = "../testdata/refused/unsupported.onnx"
)

// badFiles writes files that are not ONNX models into a temporary folder.
func badFiles(t *testing.T) (empty, garbage, truncated string) {
	t.Helper()
	dir := t.TempDir()
	empty, garbage, truncated = filepath.Join(dir, "empty.onnx"), filepath.Join(dir, "garbage.onnx"), filepath.Join(dir, "truncated.onnx")
	whole, err := os.ReadFile(mlpGemm)
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{empty: nil, garbage: []byte("hello, not a model"), truncated: whole[:len(whole)/2]} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return empty, garbage, truncated
}

// A session's catalog lists the presets, then the files as given (once
// each); nothing is read until a file is asked for.
func TestNewCatalogListsPresetsThenFiles(t *testing.T) {
	cat, err := NewCatalog([]string{mlpGemm, "missing.onnx", mlpGemm}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"linear", "mlp", "lenet5", "resnet", "transformer", mlpGemm, "missing.onnx"}
	if got := cat.Names(); !slices.Equal(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
	if _, err := cat.Get("missing.onnx"); err == nil {
		t.Error("a missing file opened")
	}
	m, err := cat.Get(mlpGemm)
	if err != nil || m.Name != mlpGemm || m.DefaultBatch != 1 {
		t.Errorf("%s: %+v (%v)", mlpGemm, m, err)
	}
	var ue *UsageError
	if _, err := NewCatalog([]string{"mlp"}, nil); !errors.As(err, &ue) ||
		err.Error() != "--model mlp: a file may not have a preset's name; give its path as ./mlp" {
		t.Errorf("a file named mlp: %v", err)
	}
}

// Every file that cannot run is refused before anything runs, in one line
// that begins with the file: what is wrong with it, or every kind of node
// that cannot be computed.
func TestOpenModelsRefusesBadFiles(t *testing.T) {
	empty, garbage, truncated := badFiles(t)
	for _, c := range []struct {
		files []string
		dims  map[string]int
		want  string
	}{
		{[]string{"nowhere/x.onnx"}, nil, "nowhere/x.onnx: cannot read it: no such file or directory (accepted: the path of an .onnx file)"},
		{[]string{empty}, nil, empty + ": not an ONNX model (the file is empty)"},
		{[]string{garbage}, nil, garbage + ": not an ONNX model (protobuf: cannot parse invalid wire-format data)"},
		{[]string{mlpGemm, truncated}, nil, truncated + ": truncated"},
		{[]string{unsupported}, nil, unsupported + ` needs what cannot be computed: Hardmax (opset 17) ×2, first "hardmax_1": op not supported; ` +
			`TopK (opset 17) ×1, first "topk": op not supported`},
		{[]string{bert}, nil, bert + `: graph input "input_ids" has the free dimension "seq" (shape [batch seq]): bind it with --dim seq=N`},
	} {
		_, err := OpenModels(c.files, c.dims)
		var ue *UsageError
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("%v: %v\nwant %s", c.files, err, c.want)
		}
	}
	cat, err := OpenModels([]string{bert, resnet}, map[string]int{"seq": 16})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := cat.Get(bert); m.Dims["seq"] != 16 {
		t.Errorf("bert's dims %v", m.Dims)
	}
}

// A fixed-batch export runs at its batch only, and says how to export it
// with a free batch; a sweep of it measures that batch and says so.
func TestFixedBatchModel(t *testing.T) {
	cat, err := OpenModels([]string{fixedBatch}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Get(fixedBatch)
	if m.FixedBatch() != 2 || m.DefaultBatch != 2 || CheckModel(m, []int{2}) != nil {
		t.Fatalf("fixed batch %d, default %d", m.FixedBatch(), m.DefaultBatch)
	}
	want := fixedBatch + ` was exported with a fixed batch of 2, so it runs at batch 2 only; export it with a dynamic batch axis ` +
		`to run others (torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}}))`
	if err := CheckModel(m, []int{2, 8}); err == nil || err.Error() != want {
		t.Errorf("batch 8: %v", err)
	}
	s, err := sleepMachine().NewSweep(SweepSpec{Catalog: cat, Model: fixedBatch, Device: engine.Device{Kind: engine.CPU}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	note := fixedBatch + " was exported with a fixed batch of 2, so only batch 2 is measured (export it with a dynamic batch axis to measure others)"
	if !slices.Equal(s.Config.Batches, []int{2}) || !slices.Equal(s.Config.Notes, []string{note}) || FixedBatchNote(m) != note {
		t.Errorf("sweep batches %v notes %q", s.Config.Batches, s.Config.Notes)
	}
	if err := checkBatch(cat, runnerSnapshot(fixedBatch), 4, nil, nil, nil); err == nil || err.Error() != CheckModel(m, []int{4}).Error() {
		t.Errorf("CheckBatch(4) on the fixed model: %v", err)
	}
}

// The CPU engine's outputs on files and presets agree with the reference
// (model.Eval of the graph as loaded); a fixed-batch file is checked at its
// batch only.
func TestSelftestOfFilesOnTheCPU(t *testing.T) {
	cat, err := OpenModels([]string{mlpGemm, bert, fixedBatch}, map[string]int{"seq": 16})
	if err != nil {
		t.Fatal(err)
	}
	var models []*model.Model
	for _, n := range []string{"linear", mlpGemm, bert, fixedBatch} {
		m, _ := cat.Get(n)
		models = append(models, m)
	}
	st, err := Machine{Registry: NewRegistry()}.NewSelftest(engine.Device{Kind: engine.CPU}, models, []int{1, 3}, engine.FP32)
	if err != nil {
		t.Fatal(err)
	}
	if st.Base != "reference" || st.Cases() != 7 || !slices.Equal(st.BatchesOf(models[3]), []int{2}) {
		t.Fatalf("base %s, %d cases", st.Base, st.Cases())
	}
	for _, m := range models {
		for _, b := range st.BatchesOf(m) {
			if r := st.Check(m, b); !r.Pass || !r.Compared || r.Refused {
				t.Errorf("%s batch %d: %v", m.Name, b, r)
			}
		}
	}
}

// refusingRegistry is a CPU engine that runs what the fake sleeps through,
// and a CUDA one that refuses every model with the list of its nodes.
func refusingRegistry() *engine.Registry {
	reg := sleepMachine().Registry
	reg.Register(engine.CUDA, func(_ engine.Device, m *model.Model, _ engine.Options) (engine.Executor, error) {
		return nil, &model.UnsupportedError{Graph: m.Name, List: []model.Unsupported{{Op: "Erf", Opset: 17, Node: "erf_1", Count: 2, Reason: "no CUDA kernel"}}}
	})
	return reg
}

// A model the device's engine cannot run is refused, with the list, and
// neither passes nor fails.
func TestSelftestRefusedModel(t *testing.T) {
	lin, _ := presets.BuildModel("linear", presets.DefaultSeed)
	st, err := Machine{Registry: refusingRegistry()}.NewSelftest(engine.Device{Kind: engine.CUDA}, []*model.Model{lin}, []int{1}, engine.FP32)
	if err != nil {
		t.Fatal(err)
	}
	r := st.Check(lin, 1)
	if !r.Refused || r.Pass || r.Compared {
		t.Fatalf("case %+v", r)
	}
	want := `REFUSED linear       cuda:0 cannot run it: linear needs what cannot be computed: Erf (opset 17) ×2, first "erf_1": no CUDA kernel`
	if r.String() != want {
		t.Errorf("line %q\nwant %q", r.String(), want)
	}
	if rc := r.record(); !rc.Refused || rc.Verdict() != "REFUSED" {
		t.Errorf("recorded as %+v", rc)
	}
}

// runnerSnapshot is the snapshot of a CPU run of the named model.
func runnerSnapshot(name string) runner.Snapshot { return runner.Snapshot{Model: name, Device: "cpu"} }

// The sweep that the s key starts runs a file's model as a preset's.
func TestDashboardSweepOfAFile(t *testing.T) {
	cat, err := OpenModels([]string{mlpGemm}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tuning := testDashboard(sleepMachine(), DashboardSpec{Catalog: cat, Threads: 1}, gpus{err: errNoNVML}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := tuning.Sweep(ctx, mlpGemm, "cpu", func(r sweep.Result, _ string) {
		if len(r.Points) > 0 {
			cancel()
		}
	})
	if err != nil || len(res.Points) != 1 || res.Points[0].Batch != 1 || res.Points[0].GFLOPS <= 0 {
		t.Fatalf("points %+v (%v)", res.Points, err)
	}
	if !strings.Contains(strings.Join(res.Notes, " "), "memory estimate") {
		t.Errorf("notes %q", res.Notes)
	}
}

// Preset finds a preset of the catalog by its name, in any case, and
// nothing else: a file's name is not a preset's.
func TestPreset(t *testing.T) {
	cat, err := OpenModels([]string{mlpGemm}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := Preset(cat, " LeNet5 "); err != nil || m.Name != "lenet5" {
		t.Errorf("LeNet5: %v, %v", m, err)
	}
	want := `unknown preset "` + mlpGemm + `" (valid: lenet5, linear, mlp, resnet, transformer; an ONNX file runs with --model FILE.onnx)`
	if _, err := Preset(cat, mlpGemm); err == nil || err.Error() != want {
		t.Errorf("a file as a preset: %v", err)
	}
}
