//go:build gpu

package cuda

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/model"
	"infertop/onnx/backendtest"
)

// deviceRunner runs a backend test graph on cuda:0 through the engine
// itself (New, Prepare, Run: the real kernels, cuBLAS and cuDNN) in
// precision p.
func deviceRunner(p engine.Precision) backendtest.Runner {
	return func(m *model.Model, g *model.Graph, inputs []*model.Tensor) ([]*model.Tensor, error) {
		batch := 1
		if len(g.Inputs) > 0 {
			if s := shapeOf(g, g.Inputs[0]); len(s) > 0 && s[0] > 0 {
				batch = s[0]
			}
		}
		ex, err := New(engine.Device{Kind: engine.CUDA, Ordinal: 0}, m, engine.Options{Precision: p})
		if err != nil {
			return nil, err
		}
		defer ex.Close()
		if err := ex.Prepare(batch); err != nil {
			return nil, err
		}
		_, sigOut := ex.Signature()
		out := model.NewTensors(sigOut)
		if _, err := ex.Run(inputs, out); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// TestDeviceConformance runs ONNX's backend node tests in a directory on
// cuda:0 through the engine, as TestPlanConformance runs them on the
// emulated plans: every test the reference kernels pass must pass on the
// GPU with ONNX's tolerance. It needs a GPU and runs only when asked:
//
//	INFERTOP_CUDA_CONFORMANCE=onnx/backendtest/testdata/onnx-v1.16.2/node ./cuda-steps.test -test.run TestDeviceConformance -test.v
func TestDeviceConformance(t *testing.T) {
	dir := os.Getenv("INFERTOP_CUDA_CONFORMANCE")
	if dir == "" {
		t.Skip("set INFERTOP_CUDA_CONFORMANCE to a directory of ONNX backend node tests to run them on cuda:0")
	}
	cases, err := backendtest.DiscoverDir(dir, "node")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := backendtest.RunAll(context.Background(), cases, backendtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keep []backendtest.Case
	for i, r := range ref {
		if r.Status == backendtest.Passed {
			keep = append(keep, cases[i])
		}
	}
	got, err := backendtest.RunAll(context.Background(), keep, backendtest.Options{Runner: deviceRunner(engine.FP32)})
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	var failed []string
	for _, r := range got {
		if r.Status == backendtest.Passed {
			passed++
			continue
		}
		failed = append(failed, fmt.Sprintf("%s (%s): %s: %s", r.Name, backendtest.OpList(r.Ops), r.Status, r.Detail()))
	}
	t.Logf("%d of the %d backend tests the reference kernels pass passed on cuda:0", passed, len(keep))
	if len(failed) > 0 {
		t.Errorf("%d failed on cuda:0:\n%s", len(failed), strings.Join(failed, "\n"))
	}
}
