package runner

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
	"infertop/serve"
)

// The Checker sees one batch of each Prepare, with the run's inputs and the
// outputs written from them; its figure is in every snapshot of that batch,
// and a batch beyond its tolerance is an event. Each prepared batch is
// checked once, however long it runs.
func TestCheckOncePerPreparedBatch(t *testing.T) {
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{oomOver: 500} }}
	var mu sync.Mutex
	var seen []CheckInput
	check := func(_ context.Context, c CheckInput) Accuracy {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, c)
		// A figure that grows with the batch: 4 is within 1e-2, 20 beyond.
		return Accuracy{Base: "cpu fp32", RelErr: 1e-3 * float64(c.Batch), Tolerance: 1e-2}
	}
	r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu",
		Batch: 4, Warmup: time.Millisecond, Window: time.Millisecond, PublishInterval: time.Millisecond, Check: check})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, r, "measuring at batch 4", func(s Snapshot) bool { return s.Batch == 4 && s.Overall.Batches > 0 })
	if want := (Accuracy{Base: "cpu fp32", RelErr: 4e-3, Tolerance: 1e-2}); s.Accuracy != want || !s.Accuracy.Within() {
		t.Errorf("batch 4: accuracy %+v, want %+v", s.Accuracy, want)
	}
	if got := s.Accuracy.String(); got != "rel err 4.0e-3 vs cpu fp32" {
		t.Errorf("batch 4 reads %q", got)
	}
	if err := r.SetBatch(20); err != nil {
		t.Fatal(err)
	}
	s = r.Latest()
	if s.Accuracy.RelErr != 2e-2 || s.Accuracy.Within() || s.Accuracy.String() != "rel err 2.0e-2 vs cpu fp32 (over 1e-2)" {
		t.Errorf("batch 20: %+v, %q", s.Accuracy, s.Accuracy.String())
	}
	if !slices.ContainsFunc(s.Events, func(e Event) bool {
		return e.Kind == EventWarning && e.Text == "batch 20 in fp32: relative error 2.0e-2 against cpu fp32, beyond fp32's tolerance 1e-2"
	}) {
		t.Errorf("no warning for the batch beyond its tolerance: %+v", s.Events)
	}
	waitFor(t, r, "measuring at batch 20", func(s Snapshot) bool { return s.Batch == 20 && s.Overall.Batches > 10 })
	r.Stop()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Batch != 4 || seen[1].Batch != 20 {
		t.Fatalf("checked %d times, want once at batch 4 and once at 20", len(seen))
	}
	c := seen[1]
	if c.Model == nil || c.Model.Name != "mlp" || c.Info.Engine != "fake" || len(c.In) != 1 || len(c.Out) != 1 ||
		!slices.Equal(c.In[0].Shape, []int{20, 4}) || !slices.Equal(c.Out[0].Shape, []int{20, 2}) {
		t.Errorf("check input: model %v, info %+v, in %v, out %v", c.Model, c.Info, c.In, c.Out)
	}
	if c.In[0].F32[0] == 0 && c.In[0].F32[1] == 0 {
		t.Error("the inputs handed to the check were never filled")
	}
}

// A check that could not be made says why in the snapshot and the events;
// a checker that declines (a run it does not check) leaves no figure.
func TestCheckErrorsAndDeclines(t *testing.T) {
	for _, c := range []struct {
		acc       Accuracy
		read, evt string
	}{
		{Accuracy{Base: "cpu fp32", Err: "the CPU engine cannot run it"}, "no accuracy figure vs cpu fp32: the CPU engine cannot run it",
			"batch 4: no accuracy figure vs cpu fp32: the CPU engine cannot run it"},
		{Accuracy{}, "", ""},
	} {
		env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{} }}
		r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu",
			Batch: 4, Warmup: time.Millisecond, Window: time.Millisecond, PublishInterval: time.Millisecond,
			Check: func(context.Context, CheckInput) Accuracy { return c.acc }})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		s := waitFor(t, r, "open", func(s Snapshot) bool { return s.Info.Engine != "" })
		r.Stop()
		warned := slices.ContainsFunc(s.Events, func(e Event) bool { return e.Kind == EventWarning && strings.Contains(e.Text, "accuracy") })
		if s.Accuracy != c.acc || s.Accuracy.String() != c.read || warned != (c.evt != "") {
			t.Errorf("%+v: snapshot %+v reads %q, warned %v", c.acc, s.Accuracy, s.Accuracy.String(), warned)
		}
		if c.evt != "" && !slices.ContainsFunc(s.Events, func(e Event) bool { return e.Text == c.evt }) {
			t.Errorf("no event %q in %+v", c.evt, s.Events)
		}
	}
}

// A run's precision is for GPUs: when its device is the CPU, the engine is
// opened in float32 (the dashboard switches devices under one precision).
func TestCPUOpensInFloat32(t *testing.T) {
	var mu sync.Mutex
	var got []engine.Precision
	reg := engine.NewRegistry()
	reg.Register(engine.CPU, func(_ engine.Device, _ *model.Model, o engine.Options) (engine.Executor, error) {
		mu.Lock()
		got = append(got, o.Precision)
		mu.Unlock()
		return &fakeExec{}, nil
	})
	r, err := New(Config{Registry: reg, Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu",
		Batch: 4, Warmup: time.Millisecond, Window: time.Millisecond, PublishInterval: time.Millisecond,
		Options: engine.Options{Precision: engine.FP16}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, "open", func(s Snapshot) bool { return s.Info.Engine != "" })
	r.Stop()
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []engine.Precision{engine.FP32}) {
		t.Errorf("the CPU was opened in %v, want fp32", got)
	}
}

// A serving run checks one batch of its first instance at the largest
// prepared size before warming up: the figure is every snapshot's, and
// one beyond its tolerance is a warning.
func TestServingChecksOneBatch(t *testing.T) {
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{} }}
	var seen []CheckInput
	s, err := NewServer(ServeConfig{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp",
		Device: "cpu", Arrival: serve.Arrival{Kind: serve.Poisson, Rate: 200}, Policy: serve.Policy{MaxBatch: 8},
		Instances: 2, Seed: 1, Warmup: time.Millisecond, Window: 10 * time.Millisecond, MaxMeasure: 30 * time.Millisecond,
		Check: func(_ context.Context, c CheckInput) Accuracy {
			seen = append(seen, c)
			return Accuracy{Base: "cpu fp32", RelErr: 0.5, Tolerance: 1e-3}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	snap := s.Latest()
	if len(seen) != 1 || seen[0].Batch != 8 || seen[0].Device != "cpu" || len(seen[0].Out) == 0 {
		t.Fatalf("checked %+v; want one batch of 8 on the first instance", seen)
	}
	if snap.Accuracy != (Accuracy{Base: "cpu fp32", RelErr: 0.5, Tolerance: 1e-3}) {
		t.Errorf("snapshot accuracy %+v", snap.Accuracy)
	}
	if !slices.ContainsFunc(snap.Events, func(e Event) bool {
		return e.Kind == EventWarning && e.Text == "batch 8 in fp32: relative error 5.0e-1 against cpu fp32, beyond fp32's tolerance 1e-3"
	}) {
		t.Errorf("no warning for the batch beyond its tolerance: %+v", snap.Events)
	}
}
