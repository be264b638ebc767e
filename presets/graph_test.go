package presets

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"infertop/model"
)

// Every preset graph holds exactly the parameters of the layer list, with
// the same values bit for bit, and nothing else that is float32 data.
func TestGraphsHoldThePresetsWeights(t *testing.T) {
	old := NewCatalog()
	for _, seed := range []uint64{DefaultSeed, 7} {
		for _, name := range old.Names() {
			p, _ := old.Get(name)
			m, err := BuildModel(name, seed)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			g := m.Graph
			want := p.Weights(seed)
			seen := map[string]bool{}
			for _, q := range p.Params() {
				got, transposed := graphParam(g, q)
				if got == nil {
					t.Errorf("%s: parameter %s is not in the graph", name, q.Name)
					continue
				}
				seen[q.Name], seen[q.Name+"_t"] = true, transposed
				if i := firstBitDiff(got, want[q.Name]); i >= 0 {
					t.Errorf("%s seed %d: %s[%d] = %v, Weights says %v", name, seed, q.Name, i, got[i], want[q.Name][i])
				}
			}
			var floats int64
			for vn, v := range g.Values {
				if v.Const == nil || v.Const.DType != model.Float32 {
					continue
				}
				floats += int64(len(v.Const.F32))
				if !seen[vn] {
					t.Errorf("%s: constant %s is no parameter of the preset", name, vn)
				}
			}
			if floats != p.ParamCount() {
				t.Errorf("%s: graph holds %d float32 constants, the preset has %d parameters", name, floats, p.ParamCount())
			}
		}
	}
}

// graphParam returns a parameter's values in PyTorch's layout, read from the
// graph's constant of that name or from the transpose stored under name_t.
func graphParam(g *model.Graph, q Param) (vals []float32, transposed bool) {
	if c := g.Const(q.Name); c != nil && slices.Equal(c.Shape, q.Shape) {
		return c.F32, false
	}
	c := g.Const(q.Name + "_t")
	if c == nil || len(q.Shape) != 2 || !slices.Equal(c.Shape, []int{q.Shape[1], q.Shape[0]}) {
		return nil, false
	}
	rows, cols := q.Shape[0], q.Shape[1]
	vals = make([]float32, len(c.F32))
	for r := 0; r < rows; r++ {
		for k := 0; k < cols; k++ {
			vals[r*cols+k] = c.F32[k*rows+r]
		}
	}
	return vals, true
}

func firstBitDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// The graphs are the architectures of DESIGN.md's table in standard ops.
func TestGraphsArchitecture(t *testing.T) {
	cases := []struct {
		name  string
		opset int
		ops   string
	}{
		{"linear", 17, "Gemm×1"},
		{"mlp", 17, "Gemm×3 Relu×2"},
		{"lenet5", 17, "Conv×2 Flatten×1 Gemm×3 MaxPool×2 Relu×4"},
		{"resnet", 17, "Add×4 Conv×10 Flatten×1 Gemm×1 GlobalAveragePool×1 Relu×10"},
		{"transformer", 20, "Add×6 Gelu×1 LayerNormalization×2 MatMul×4 infertop.Attention×1"},
	}
	old := NewCatalog()
	for _, tc := range cases {
		m, err := BuildModel(tc.name, DefaultSeed)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		g := m.Graph
		if err := g.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if u := model.CheckSupported(g); u != nil {
			t.Errorf("%s: unsupported %v", tc.name, u)
		}
		var ops []string
		for _, c := range g.OpCounts() {
			ops = append(ops, fmt.Sprintf("%s×%d", c.Op, c.Count))
		}
		if got := strings.Join(ops, " "); got != tc.ops {
			t.Errorf("%s: ops %s, want %s", tc.name, got, tc.ops)
		}
		if g.Opset != tc.opset || g.Producer != GraphProducer {
			t.Errorf("%s: opset %d producer %q, want %d %q", tc.name, g.Opset, g.Producer, tc.opset, GraphProducer)
		}
		p, _ := old.Get(tc.name)
		wantIn := append(model.Shape{model.Sym("batch")}, model.ShapeOf(p.Input...)...)
		if !slices.Equal(g.Inputs, []string{"input"}) || !g.Values["input"].Shape.Equal(wantIn) ||
			g.Values["input"].DType != model.Float32 {
			t.Errorf("%s: inputs %v shape %v, want [input] %v float32", tc.name, g.Inputs, g.Values["input"].Shape, wantIn)
		}
		if !slices.Equal(g.Outputs, []string{"output"}) {
			t.Errorf("%s: outputs %v, want [output]", tc.name, g.Outputs)
		}
		if m.Name != p.Name || m.Description != p.Description || m.DefaultBatch != p.DefaultBatch || m.Source != ModelSource {
			t.Errorf("%s: model %q %q batch %d source %q, preset %q %q batch %d", tc.name,
				m.Name, m.Description, m.DefaultBatch, m.Source, p.Name, p.Description, p.DefaultBatch)
		}
		if m.FixedBatch() != 0 {
			t.Errorf("%s: batch fixed at %d, want free", tc.name, m.FixedBatch())
		}
	}
}

func TestNewModelsListsAndBuildsOnce(t *testing.T) {
	c := NewModels(DefaultSeed)
	if got, want := c.Names(), NewCatalog().Names(); !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	if got := c.Description("resnet"); !strings.HasPrefix(got, "small CIFAR ResNet") {
		t.Errorf("resnet description %q", got)
	}
	a, err := c.Get("Transformer")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Get("transformer")
	if a != b {
		t.Error("the catalog built the transformer twice")
	}
	if _, err := c.Get("vgg"); err == nil || !strings.Contains(err.Error(), `unknown model "vgg" (valid: lenet5, linear, mlp, resnet, transformer)`) {
		t.Errorf("got %v", err)
	}
}

func TestBuildModelUnknownListsValid(t *testing.T) {
	_, err := BuildModel("vgg", DefaultSeed)
	if err == nil || err.Error() != `unknown preset "vgg" (valid: lenet5, linear, mlp, resnet, transformer)` {
		t.Fatalf("got %v", err)
	}
}
