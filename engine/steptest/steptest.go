// Package steptest checks an engine's step descriptions (engine.Step)
// against the compiled graph they describe, for the engines' tests.
package steptest

import (
	"testing"

	"infertop/engine"
	"infertop/model"
)

// CheckCovers reports, through t, a node of the graph as loaded that two
// steps cover, and steps whose FLOPs do not add up to compiled graph g's.
// It returns the step that covers each node as loaded, by node name.
func CheckCovers(t testing.TB, g *model.Graph, steps []engine.Step) map[string]string {
	t.Helper()
	var flops int64
	covered := map[string]string{}
	for _, s := range steps {
		flops += s.FLOPs
		for _, c := range s.Covers {
			if prev, ok := covered[c]; ok {
				t.Errorf("%s is covered by %s and %s", c, prev, s.Name)
			}
			covered[c] = s.Name
		}
	}
	if want := g.FLOPs(); flops != want {
		t.Errorf("the steps' FLOPs add up to %d, the graph's are %d", flops, want)
	}
	return covered
}
