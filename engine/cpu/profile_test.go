package cpu

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/engine/steptest"
	"infertop/model"
)

// The steps of every preset and fixture add up: every node of the compiled
// graph that computes is one step, what the steps cover is every node as
// loaded at most once, their FLOPs are the graph's, and a profiled run
// computes what Run computes, with step times that lie within the call.
func TestStepsAddUp(t *testing.T) {
	models := presetModels(t)
	for _, f := range fixtures {
		models = append(models, loadFixture(t, f))
	}
	for _, m := range models {
		t.Run(m.Name, func(t *testing.T) {
			e := openT(t, m, 2, options{})
			if e.Steps() != nil {
				t.Fatal("Steps before Prepare is not nil")
			}
			const batch = 2
			if err := e.Prepare(batch); err != nil {
				t.Fatal(err)
			}
			steps := e.Steps()
			g := e.plan.g
			if len(steps) != len(e.plan.steps) {
				t.Fatalf("%d step descriptions for %d steps", len(steps), len(e.plan.steps))
			}
			for i, s := range steps {
				if s.Name == "" || s.Op == "" || s.Way == "" || s.Threads < 1 || s.Threads > 2 || s.Bytes <= 0 {
					t.Errorf("step %d is not described: %+v", i, s)
				}
			}
			steptest.CheckCovers(t, g, steps)
			for _, n := range g.Nodes {
				if model.NodeFLOPs(g, n) == 0 {
					continue
				}
				if k := slices.IndexFunc(steps, func(s engine.Step) bool { return s.Name == n.Name }); k < 0 || !slices.Equal(steps[k].Covers, n.Covers) {
					t.Errorf("node %s (%s) has no step covering %v", n.Name, n.Op, n.Covers)
				}
			}

			in := inputsFor(e, 1)
			_, sig := e.Signature()
			want, got := model.NewTensors(sig), model.NewTensors(sig)
			if _, err := e.Run(in, want); err != nil {
				t.Fatal(err)
			}
			times := make([]time.Duration, len(steps))
			t0 := time.Now()
			if _, err := e.RunProfiled(in, got, times); err != nil {
				t.Fatal(err)
			}
			wall := time.Since(t0)
			var sum time.Duration
			for i, d := range times {
				if d < 0 {
					t.Errorf("step %s took %v", steps[i].Name, d)
				}
				sum += d
			}
			if sum <= 0 || sum > wall {
				t.Errorf("the steps took %v in all, the call %v", sum, wall)
			}
			for i := range want {
				if !slices.Equal(got[i].F32, want[i].F32) || !slices.Equal(got[i].I64, want[i].I64) {
					t.Errorf("output %d of the profiled run differs from Run's", i)
				}
			}
		})
	}
}

// A step's FLOPs and bytes are the graph's, counted by hand for mlp's first
// layer at batch 2: x [2,784], W [1024,784], b [1024] and y [2,1024], float32.
func TestStepFiguresByHand(t *testing.T) {
	var mlp *model.Model
	for _, m := range presetModels(t) {
		if m.Name == "mlp" {
			mlp = m
		}
	}
	e := openT(t, mlp, 1, options{})
	if err := e.Prepare(2); err != nil {
		t.Fatal(err)
	}
	s := e.Steps()[0]
	if s.Op != model.OpLinear {
		t.Fatalf("mlp's first step is %s, not %s", s.Op, model.OpLinear)
	}
	if want := int64(2 * 2 * 784 * 1024); s.FLOPs != want {
		t.Errorf("FLOPs %d, want %d", s.FLOPs, want)
	}
	if want := int64(4 * (2*784 + 1024*784 + 1024 + 2*1024)); s.Bytes != want {
		t.Errorf("bytes %d, want %d", s.Bytes, want)
	}
	if s.Threads != 1 || !(strings.HasPrefix(s.Way, "sgemm (") || strings.HasPrefix(s.Way, "packed-"+e.c.isa.String()+", ") ||
		strings.HasPrefix(s.Way, "wide-"+e.c.isa.String()+", ")) {
		t.Errorf("way %q on %d threads, want an sgemm, the packed or the wide kernel (%s) on 1", s.Way, s.Threads, e.c.isa)
	}
}

// RunProfiled refuses a times slice of the wrong length and runs nothing
// before Prepare.
func TestRunProfiledErrors(t *testing.T) {
	e := openT(t, presetModels(t)[0], 1, options{})
	if _, err := e.RunProfiled(nil, nil, nil); err == nil || err.Error() != "cpu engine: Run before Prepare" {
		t.Errorf("before Prepare: %v", err)
	}
	if err := e.Prepare(1); err != nil {
		t.Fatal(err)
	}
	in := inputsFor(e, 1)
	_, sig := e.Signature()
	n := len(e.Steps())
	_, err := e.RunProfiled(in, model.NewTensors(sig), make([]time.Duration, n+1))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("with %d step times, the plan has %d steps", n+1, n)) {
		t.Errorf("wrong length: %v", err)
	}
}

// BenchmarkProfiled runs a batch as Run does and as RunProfiled does (a
// clock read between every two steps), on the fixtures of most steps at
// batch 1, where the reads weigh most: the difference is what timing the
// steps costs a profiling batch.
func BenchmarkProfiled(b *testing.B) {
	for _, f := range fixtures {
		if f.file != "bert_tiny.onnx" && f.file != "mobilenet_tiny.onnx" {
			continue
		}
		e := openT(b, loadFixture(b, f), *benchThreads, options{})
		if err := e.Prepare(1); err != nil {
			b.Fatal(err)
		}
		in := inputsFor(e, 1)
		_, sig := e.Signature()
		out := model.NewTensors(sig)
		times := make([]time.Duration, len(e.Steps()))
		b.Run(f.prefix+"/run", func(b *testing.B) {
			for range b.N {
				if _, err := e.Run(in, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(times)), "steps")
		})
		b.Run(f.prefix+"/profiled", func(b *testing.B) {
			for range b.N {
				if _, err := e.RunProfiled(in, out, times); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(times)), "steps")
		})
	}
}
