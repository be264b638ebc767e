package backendtest_test

import (
	"context"
	"fmt"

	"infertop/model"
	"infertop/onnx/backendtest"
)

// An engine joins the suite with a Runner: it prepares the compiled graph
// on its device, runs it once on the inputs and returns the outputs in the
// graph's order. Here the reference kernels stand in for an engine.
func ExampleRunAll() {
	engine := func(m *model.Model, g *model.Graph, inputs []*model.Tensor) ([]*model.Tensor, error) {
		return backendtest.Reference(m, g, inputs)
	}
	cases, err := backendtest.DiscoverDir("testdata/onnx-v1.16.2/node", "node-v1.16.2")
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := backendtest.RunAll(context.Background(), cases[:3], backendtest.Options{Runner: engine})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Name, r.Opset, r.Status)
	}
	fmt.Println(backendtest.Count(results, nil))
	// Output:
	// test_averagepool_1d_default 19 passed
	// test_averagepool_2d_ceil 19 passed
	// test_averagepool_2d_dilations 19 passed
	// 3 tests: 3 passed, 0 refused, 0 failed, 0 errors
}
