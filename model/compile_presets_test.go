package model_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"infertop/model"
	"infertop/presets"
)

// TestCompilePresets compiles every built-in preset and checks what the
// fusions make of it, and (outside -short) that the fused graph computes
// what the unfused one does.
func TestCompilePresets(t *testing.T) {
	tests := []struct {
		name  string
		batch int
		ops   string
	}{
		{"linear", 3, "[{infertop.Linear 1}]"},
		{"mlp", 2, "[{infertop.Linear 3}]"},
		{"lenet5", 2, "[{Flatten 1} {MaxPool 2} {infertop.FusedConv 2} {infertop.Linear 3}]"},
		{"resnet", 2, "[{Flatten 1} {GlobalAveragePool 1} {infertop.FusedConv 10} {infertop.Linear 1}]"},
		{"transformer", 1, "[{LayerNormalization 2} {infertop.Attention 1} {infertop.Linear 4}]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := presets.BuildModel(tc.name, 1)
			if err != nil {
				t.Fatal(err)
			}
			g, err := model.Compile(m.Graph, model.Binding{Batch: tc.batch})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(g.OpCounts()); got != tc.ops {
				t.Errorf("ops %s, want %s", got, tc.ops)
			}
			for _, n := range g.Nodes {
				if len(n.Covers) == 0 || n.Covers[0] == "" {
					t.Errorf("node %q covers nothing", n.Name)
				}
			}
			if testing.Short() {
				return
			}
			plain, err := model.CompileWith(m.Graph, model.Binding{Batch: tc.batch}, model.CompileOptions{NoFuse: true})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewSource(1))
			x := model.NewTensor(model.Float32, g.Values[g.Inputs[0]].Shape.Ints()...)
			for i := range x.F32 {
				x.F32[i] = float32(r.NormFloat64())
			}
			in := map[string]*model.Tensor{g.Inputs[0]: x}
			want, err := model.Eval(plain, in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := model.Eval(g, in)
			if err != nil {
				t.Fatal(err)
			}
			w, o := want[g.Outputs[0]], got[g.Outputs[0]]
			for i := range w.F32 {
				if d := math.Abs(float64(o.F32[i] - w.F32[i])); d > 1e-5*math.Max(1, math.Abs(float64(w.F32[i]))) {
					t.Fatalf("output[%d] = %g fused, %g unfused", i, o.F32[i], w.F32[i])
				}
			}
		})
	}
}

// BenchmarkCompile measures binding, folding and fusing each preset.
func BenchmarkCompile(b *testing.B) {
	for _, name := range []string{"mlp", "resnet", "transformer"} {
		m, err := presets.BuildModel(name, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := model.Compile(m.Graph, model.Binding{Batch: 8}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
