//go:build gpu

package cuda

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/cu"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/model"
	"infertop/presets"
)

// TestStepTimes times every step of a preset's plan on cuda:0 with an event
// before and after each one, so a GPU visit can tell im2col from sgemm from
// the bias kernels. It needs a GPU (a -tags gpu test binary exits at start
// without one) and runs only when asked:
//
//	INFERTOP_CUDA_STEP_TIMES=resnet:256 go test -tags gpu -run TestStepTimes -v ./engine/cuda
//
// It prints the median of 10 runs per step with the graph node it computes,
// the sums per node (with the nodes of the graph as loaded that it covers)
// and per kernel (GEMMs as "sgemm m×n×k×batch"), and the total beside the
// plain compute time of Run.
func TestStepTimes(t *testing.T) {
	spec := os.Getenv("INFERTOP_CUDA_STEP_TIMES")
	if spec == "" {
		t.Skip("set INFERTOP_CUDA_STEP_TIMES=preset:batch to time each step on cuda:0")
	}
	name, bs, ok := strings.Cut(spec, ":")
	batch, err := strconv.Atoi(bs)
	if !ok || err != nil || batch < 1 {
		t.Fatalf("INFERTOP_CUDA_STEP_TIMES=%q: want preset:batch", spec)
	}
	m, err := presets.BuildModel(name, presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := New(engine.Device{Kind: engine.CUDA, Ordinal: 0}, m, engine.Options{Seed: presets.DefaultSeed})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	if err := ex.Prepare(batch); err != nil {
		t.Fatal(err)
	}
	e := ex.(*Executor)
	t.Logf("%s", ex.Info().Detail)
	for _, c := range e.gpus[0].convTimes {
		line := fmt.Sprintf("conv %-28s", c.Layer)
		for w := range numConvWays {
			if c.Tried[w] {
				line += fmt.Sprintf("  %s %8.3f ms", w, c.Ms[w])
				if w != ConvIm2col {
					line += fmt.Sprintf(" (differs %.1e)", c.Diff[w])
				}
			}
		}
		t.Logf("%s  → %s", line, c.Way)
	}
	in, out := e.HostBuffers()
	model.FillInputs(m.Graph, in, presets.DefaultSeed)
	var compute []float64
	for i := range 13 {
		tm, err := ex.Run(in, out)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 3 {
			compute = append(compute, tm.Compute.Seconds()*1e3)
		}
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g := e.gpus[0]
	if err := g.current(); err != nil {
		t.Fatal(err)
	}
	steps := g.batch.steps
	evs := make([]cu.Event, len(steps)+1)
	for i := range evs {
		if evs[i], err = cu.MakeEvent(cu.DefaultEvent); err != nil {
			t.Fatal(err)
		}
		defer cu.DestroyEvent(&evs[i])
	}
	times := make([][]float64, len(steps))
	for range 10 {
		for i := range steps {
			if err := evs[i].Record(g.stream); err != nil {
				t.Fatal(err)
			}
			if err := g.issue(&steps[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := evs[len(steps)].Record(g.stream); err != nil {
			t.Fatal(err)
		}
		if err := evs[len(steps)].Synchronize(); err != nil {
			t.Fatal(err)
		}
		for i := range steps {
			ms, err := evs[i].Elapsed(evs[i+1])
			if err != nil {
				t.Fatal(err)
			}
			times[i] = append(times[i], float64(ms))
		}
	}
	byKind := map[string]float64{}
	byNode := make([]float64, len(g.batch.plan.Nodes))
	var total float64
	for i, st := range steps {
		ms := median(times[i])
		total += ms
		k := st.src.Kernel()
		byKind[k] += ms
		t.Logf("step %3d %-28s %-32s %8.3f ms", i, st.src.Layer, k, ms)
	}
	for j, n := range g.batch.plan.Nodes {
		for i := n.Lo; i < n.Hi; i++ {
			byNode[j] += median(times[i])
		}
		if n.Hi > n.Lo {
			t.Logf("node %-28s %-20s %8.3f ms  %5.1f %%  covers %s", n.Name, n.Op, byNode[j], 100*byNode[j]/total, strings.Join(n.Covers, ", "))
		}
	}
	keys := make([]string, 0, len(byKind))
	for k := range byKind {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return byKind[keys[i]] > byKind[keys[j]] })
	for _, k := range keys {
		t.Logf("%-40s %8.3f ms  %5.1f %%", k, byKind[k], 100*byKind[k]/total)
	}
	pl := g.batch.plan
	t.Logf("%s batch %d on %s: steps sum to %.3f ms; Run's compute median %.3f ms; activations %s (%s without sharing)",
		m.Name, batch, g.name, total, median(compute), units.Bytes(4*pl.ActivationFloats), units.Bytes(4*pl.ValueFloats))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
