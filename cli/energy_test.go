package cli

import (
	"context"
	"path/filepath"
	"testing"

	"infertop/engine"
	"infertop/internal/fake"
	"infertop/model"
	"infertop/record"
)

// gpuExec is a fake executor that says it runs on cuda:0.
type gpuExec struct{ fake.Sleep }

func (e *gpuExec) Info() engine.Info { return engine.Info{Device: "cuda:0", Engine: "fake-cuda"} }

// A bench on a GPU reads the GPU's energy counter at every window: its
// recording carries the runner's energy per sample.
func TestBenchOnGPURecordsEnergyPerSample(t *testing.T) {
	deps := fakeDeps(nil)
	deps.Registry = engine.NewRegistry()
	deps.Registry.Register(engine.CUDA, func(engine.Device, *model.Model, engine.Options) (engine.Executor, error) {
		return &gpuExec{}, nil
	})
	var err error
	if deps.OpenNVML, err = fake.NVML(2, nil, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bench.jsonl")
	code, _, stderr := runBenchTest(context.Background(), deps, append(fast, "--device", "cuda:0", "--batch", "4", "--record", path)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last *record.Entry
	for i, e := range rec.Entries {
		if e.Kind == record.KindSnapshot {
			last = &rec.Entries[i]
		}
	}
	if last == nil {
		t.Fatal("no snapshot recorded")
	}
	s := last.Snapshot
	w := s.WindowEnergy
	if s.Device != "cuda:0" || !w.Valid || w.Joules <= 0 || w.Samples != s.Window.Samples || w.JoulesPerSample != w.Joules/float64(w.Samples) {
		t.Fatalf("device %s window %+v energy %+v", s.Device, s.Window, w)
	}
	// The simulated GPU draws at most 700 W: the energy is the window's, not
	// more (the slack covers the read that follows the window's last batch).
	if most := 700*s.Window.Duration.Seconds()*1.5 + 0.1; w.Joules > most {
		t.Errorf("%v J over a %v window", w.Joules, s.Window.Duration)
	}
	if o := s.OverallEnergy; !o.Valid || o.Samples == 0 || o.Samples > s.Overall.Samples {
		t.Errorf("overall energy %+v of %d samples", o, s.Overall.Samples)
	}
}
