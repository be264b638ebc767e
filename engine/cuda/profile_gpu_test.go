//go:build gpu

package cuda

import (
	"math"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/model"
	"infertop/presets"
)

// A profiled batch on cuda:0 computes what Run computes, its step times
// tile Run's compute time (the events around the steps lie between the
// events that bound it, so they differ by the events' resolution alone),
// it allocates no more than Run, and it refuses a times slice of the wrong
// length. It needs a GPU (a -tags gpu test binary exits at start without
// one).
func TestRunProfiledOnGPU(t *testing.T) {
	for _, name := range presetNames {
		t.Run(name, func(t *testing.T) {
			m := presetModel(t, name)
			ex, err := New(engine.Device{Kind: engine.CUDA, Ordinal: 0}, m, engine.Options{Seed: presets.DefaultSeed})
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			e := ex.(*Executor)
			if e.Steps() != nil {
				t.Fatal("Steps before Prepare is not nil")
			}
			const batch = 8
			if err := e.Prepare(batch); err != nil {
				t.Fatal(err)
			}
			steps := e.Steps()
			if len(steps) == 0 || len(e.gpus[0].markEvents) < len(steps)+1 {
				t.Fatalf("%d steps, %d events", len(steps), len(e.gpus[0].markEvents))
			}
			in, out := e.HostBuffers()
			model.FillInputs(m.Graph, in, presets.DefaultSeed)
			_, sig := e.Signature()
			want := model.NewTensors(sig)
			if _, err := e.Run(in, want); err != nil {
				t.Fatal(err)
			}
			times := make([]time.Duration, len(steps))
			var tm engine.Timing
			for range 3 { // the last, warm
				if tm, err = e.RunProfiled(in, out, times); err != nil {
					t.Fatal(err)
				}
			}
			for i := range want {
				for j, v := range want[i].F32 {
					if d := math.Abs(float64(out[i].F32[j] - v)); d > 1e-5*(1+math.Abs(float64(v))) {
						t.Fatalf("output %d[%d] of the profiled run is %g, Run's %g", i, j, out[i].F32[j], v)
					}
				}
			}
			var sum time.Duration
			for i, d := range times {
				if d < 0 {
					t.Errorf("step %s took %v", steps[i].Name, d)
				}
				sum += d
			}
			slack := time.Duration(len(steps)+2) * time.Microsecond
			if sum <= 0 || sum < tm.Compute-slack || sum > tm.Compute+slack {
				t.Errorf("the steps took %v in all, the batch's compute %v (slack %v)", sum, tm.Compute, slack)
			}
			run := testing.AllocsPerRun(5, func() { _, _ = e.Run(in, out) })
			prof := testing.AllocsPerRun(5, func() { _, _ = e.RunProfiled(in, out, times) })
			if prof > run {
				t.Errorf("a profiled batch allocates %v times, Run %v", prof, run)
			}
			_, err = e.RunProfiled(in, out, times[:len(times)-1])
			if err == nil || !strings.Contains(err.Error(), "step times, the plan has") {
				t.Errorf("wrong length: %v", err)
			}
			t.Logf("%s batch %d: %d steps, %v in steps, compute %v; slowest way %q", name, batch, len(steps), sum, tm.Compute, slowest(steps, times))
		})
	}
}

// slowest says how the slowest step runs.
func slowest(steps []engine.Step, times []time.Duration) string {
	k := 0
	for i := range times {
		if times[i] > times[k] {
			k = i
		}
	}
	return steps[k].Name + ": " + steps[k].Way
}
