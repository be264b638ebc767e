package cuda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"infertop/model"
	"infertop/onnx/backendtest"
)

// errNoPlan marks a backend test graph the plan compiler has no plan for.
var errNoPlan = errors.New("no CUDA plan")

// planRunner runs a compiled backend test graph's CUDA plan (every
// convolution the way given) on the Go emulation: the plan's own GEMMs,
// kernels and cuDNN calls, from the test's inputs.
func planRunner(way ConvWay) backendtest.Runner {
	return func(_ *model.Model, g *model.Graph, inputs []*model.Tensor) ([]*model.Tensor, error) {
		if u := CheckGraph(g); len(u) > 0 {
			return nil, fmt.Errorf("%w: %s: %s", errNoPlan, u[0].Op, u[0])
		}
		if err := checkIO(g); err != nil {
			return nil, fmt.Errorf("%w: %v", errNoPlan, err)
		}
		batch := 1
		if len(g.Inputs) > 0 {
			if s := shapeOf(g, g.Inputs[0]); len(s) > 0 && s[0] > 0 {
				batch = s[0]
			}
		}
		plan, err := BuildWith(g, batch, Options{Default: way})
		if err != nil {
			return nil, err
		}
		mem, err := newPlanMemory(plan, inputs)
		if err != nil {
			return nil, err
		}
		if err := runSteps(plan, mem, 0, len(plan.Steps)); err != nil {
			return nil, err
		}
		out := make([]*model.Tensor, len(plan.Outputs))
		for i, io := range plan.Outputs {
			out[i] = outputTensor(io, view(mem, io.Ref))
		}
		return out, nil
	}
}

// planConformanceFloor is how many backend tests the CUDA plans pass:
// every one the reference kernels pass. Fewer means a plan broke or a
// node is refused.
const planConformanceFloor = 455

// TestPlanConformance runs every ONNX backend test the reference kernels
// pass (the CPU engine passes the same, engine/cpu's TestConformance) on
// the CUDA plans, emulated: each test the plan compiler has a plan for
// must pass with ONNX's tolerance (those with a convolution every
// convolution way); the rest are counted by the op that has no plan.
func TestPlanConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole ONNX backend suite; without -short")
	}
	cases, err := backendtest.DiscoverDir("../../onnx/backendtest/testdata/onnx-v1.16.2/node", "node-v1.16.2")
	if err != nil {
		t.Fatal(err)
	}
	if root := backendtest.Root(); func() bool { _, err := os.Stat(root); return err == nil }() {
		debian, err := backendtest.Discover(root, backendtest.Suites()...)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(debian, cases...)
	} else if os.Getenv("CI") != "" {
		t.Fatalf("ONNX's backend tests are missing in CI (%s); scripts/setup.sh --test installs them", root)
	}
	ref, err := backendtest.RunAll(context.Background(), cases, backendtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keep, convs []backendtest.Case
	for i, r := range ref {
		if r.Status == backendtest.Passed {
			keep = append(keep, cases[i])
			if slices.Contains(r.Ops, "Conv") {
				convs = append(convs, cases[i])
			}
		}
	}
	for _, way := range []ConvWay{ConvIm2col, ConvImplicit, ConvCudnn, ConvDirect} {
		run := keep
		if way != ConvIm2col {
			run = convs // the other ways plan only convolutions differently
		}
		got, err := backendtest.RunAll(context.Background(), run, backendtest.Options{Runner: planRunner(way)})
		if err != nil {
			t.Fatal(err)
		}
		passed, noPlan := 0, map[string]int{}
		for _, r := range got {
			switch d := r.Detail(); {
			case r.Status == backendtest.Passed:
				passed++
			case strings.Contains(d, errNoPlan.Error()):
				op, _, _ := strings.Cut(strings.TrimPrefix(d[strings.Index(d, errNoPlan.Error())+len(errNoPlan.Error()):], ": "), ":")
				noPlan[op]++
			default:
				t.Errorf("%s %s/%s (%s): %s on the CUDA plan: %s", way, r.Suite, r.Name, backendtest.OpList(r.Ops), r.Status, d)
			}
		}
		if way == ConvIm2col && passed < planConformanceFloor {
			t.Errorf("%s: %d tests passed on the CUDA plans, fewer than the %d they passed before", way, passed, planConformanceFloor)
		}
		if way == ConvIm2col {
			t.Logf("%d of the %d tests the reference kernels pass passed on the CUDA plans; no plan for %d: %v",
				passed, len(keep), len(keep)-passed, noPlan)
		}
	}
}
