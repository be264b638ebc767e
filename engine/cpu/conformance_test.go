package cpu

import (
	"context"
	"fmt"
	"os"
	"testing"

	"infertop/engine"
	"infertop/model"
	"infertop/onnx/backendtest"
)

// conformanceRunner runs a compiled backend test graph once on the CPU
// engine, with its fast kernels where a step has one, on threads workers.
func conformanceRunner(threads int) backendtest.Runner {
	return func(m *model.Model, g *model.Graph, inputs []*model.Tensor) ([]*model.Tensor, error) {
		e, err := newExecutor(cpuDev, m, engine.Options{Threads: threads}, options{})
		if err != nil {
			return nil, err
		}
		defer e.Close()
		pl, err := e.prepare(g, 1)
		if err != nil {
			return nil, err
		}
		e.plan = pl
		out := model.NewTensors(pl.sigOut)
		if _, err := e.Run(inputs, out); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// conformanceCases are ONNX v1.16.2's node tests kept in onnx/backendtest
// and, when installed, Debian's libonnx-testdata (CI installs it).
func conformanceCases(t *testing.T) []backendtest.Case {
	t.Helper()
	cases, err := backendtest.DiscoverDir("../../onnx/backendtest/testdata/onnx-v1.16.2/node", "node-v1.16.2")
	if err != nil {
		t.Fatal(err)
	}
	root := backendtest.Root()
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ONNX's backend tests are missing in CI (%v); scripts/setup.sh --test installs them", err)
		}
		t.Logf("only the kept v1.16.2 tests: Debian's are not installed (%v)", err)
		return cases
	}
	debian, err := backendtest.Discover(root, backendtest.Suites()...)
	if err != nil {
		t.Fatal(err)
	}
	return append(debian, cases...)
}

// TestConformance runs every ONNX backend test on the CPU engine and holds
// it to the reference kernels' results, which onnx/backendtest holds to
// docs/onnx-conformance.md: every test they pass the engine passes with the
// same tolerance, and every test they refuse it refuses for the same reason.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole ONNX backend suite; without -short")
	}
	cases := conformanceCases(t)
	ref, err := backendtest.RunAll(context.Background(), cases, backendtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{1, 3} {
		t.Run(fmt.Sprintf("t%d", threads), func(t *testing.T) {
			got, err := backendtest.RunAll(context.Background(), cases, backendtest.Options{Runner: conformanceRunner(threads)})
			if err != nil {
				t.Fatal(err)
			}
			passed := 0
			for i, r := range got {
				want := ref[i]
				switch {
				case r.Status != want.Status:
					t.Errorf("%s/%s (%s): %s on the CPU engine, %s on the reference kernels: %s",
						r.Suite, r.Name, backendtest.OpList(r.Ops), r.Status, want.Status, r.Detail())
				case r.Status == backendtest.Refused && r.Detail() != want.Detail():
					t.Errorf("%s/%s refused for %q, the reference kernels for %q", r.Suite, r.Name, r.Detail(), want.Detail())
				case r.Status == backendtest.Passed:
					passed++
				}
			}
			t.Logf("%d of %d tests passed on the CPU engine", passed, len(got))
		})
	}
}
