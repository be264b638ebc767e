package presets_test

import (
	"slices"
	"testing"

	"infertop/engine/reference"
	"infertop/model"
	"infertop/presets"
)

// Each preset graph, as built and as compiled for batch 2, computes what the
// plain reference forward pass of the layer list computes.
func TestGraphsComputeTheLayerLists(t *testing.T) {
	const batch = 2
	old := presets.NewCatalog()
	for _, p := range old.All() {
		t.Run(p.Name, func(t *testing.T) {
			x := make([]float32, batch*p.InputSize())
			p.FillInput(x, presets.DefaultSeed)
			want := reference.Forward(p, p.Weights(presets.DefaultSeed), x, batch)
			m, err := presets.BuildModel(p.Name, presets.DefaultSeed)
			if err != nil {
				t.Fatal(err)
			}
			compiled, err := m.Bind(batch)
			if err != nil {
				t.Fatal(err)
			}
			in := model.Floats(append([]int{batch}, p.Input...), x)
			wantShape := append([]int{batch}, p.Output()...)
			for _, g := range []struct {
				name  string
				graph *model.Graph
			}{{"built", m.Graph}, {"compiled", compiled}} {
				out, err := model.Eval(g.graph, map[string]*model.Tensor{"input": in})
				if err != nil {
					t.Fatalf("%s: %v", g.name, err)
				}
				y := out["output"]
				if y == nil || !slices.Equal(y.Shape, wantShape) {
					t.Fatalf("%s: output %v, want shape %v", g.name, y, wantShape)
				}
				if e := reference.RelErr(y.F32, want); e > 1e-4 {
					t.Errorf("%s: relative error %.3g against the reference forward pass", g.name, e)
				}
			}
			if x[0] != in.F32[0] || !slices.Equal(in.Shape, append([]int{batch}, p.Input...)) {
				t.Error("Eval changed its input")
			}
		})
	}
}

// The model package counts each preset graph's parameters and FLOPs as the
// layer lists do (and PyTorch's sum(p.numel()) does for the parameters).
func TestGraphCountsAreThePresets(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		m, err := presets.BuildModel(p.Name, presets.DefaultSeed)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Graph.ParamCount(); got != p.ParamCount() {
			t.Errorf("%s: graph counts %d parameters, the preset %d", p.Name, got, p.ParamCount())
		}
		for _, batch := range []int{1, 3} {
			g, err := m.Bind(batch)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := g.FLOPs(), int64(batch)*p.FLOPsPerSample(); got != want {
				t.Errorf("%s at batch %d: graph counts %d FLOPs, the preset %d", p.Name, batch, got, want)
			}
		}
	}
}
