package cuda

import (
	"errors"
	"testing"

	"infertop/model"
	"infertop/onnx"
)

// The engine refuses, when it opens a model, every node it has no plan for,
// in one list.
func TestOpenCheckRefusesInList(t *testing.T) {
	n := newTnet("refused")
	x := n.input("x", 2, 4)
	wide := n.op("Mul", "wide", nil, n.input("y", 1, 2, 1, 2, 1, 2), n.param("c", 1, 1, 2, 1, 2, 1, 2, 1))
	norm := n.op("LayerNormalization", "norm", model.Attrs{"axis": model.IntAttr(-2)}, x, n.param("g", 1, 1, 4), n.param("b", 1, 1, 4))
	_, _, err := OpenCheck(n.model(t, wide, norm))
	want := `refused needs what cannot be computed: ` +
		`Mul (opset 20) ×1, first "wide": broadcasting over 6 axes that do not merge (at most 5 after the first) has no CUDA plan yet; ` +
		`LayerNormalization (opset 20) ×1, first "norm": a scale or bias broadcast along the normalized axes has no CUDA plan yet`
	var u *model.UnsupportedError
	if !errors.As(err, &u) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// What the engine runs it opens: every preset, the committed fixtures
// (general max pools, depthwise convolutions, ReLU6, SiLU,
// squeeze-and-excitation, Concat; BERT's embeddings and int64 mask), and
// an exported MLP (Gemm nodes at opset 13).
func TestOpenCheckAccepts(t *testing.T) {
	for _, name := range presetNames {
		g, batch, err := OpenCheck(presetModel(t, name))
		if err != nil || batch != 2 || g.Inputs[0] != "input" {
			t.Errorf("%s: %v (batch %d)", name, err, batch)
		}
	}
	for _, m := range fixtureModels(t) {
		if _, _, err := OpenCheck(m); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
	m, err := onnx.Load("../../testdata/models/mlp_gemm.onnx", onnx.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := OpenCheck(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(g, 2); err != nil {
		t.Error(err)
	}
}

// Each kind of node the plans do not cover is refused with its own reason.
func TestCheckGraphReasons(t *testing.T) {
	for _, c := range []struct {
		name       string
		build      func(n *tnet) string
		op, reason string
	}{
		{"broadcast of seven axes", func(n *tnet) string {
			return n.op("Mul", "m", nil, n.input("x", 2, 1, 2, 1, 2, 1, 2), n.param("c", 1, 1, 2, 1, 2, 1, 2, 1))
		}, "Mul", "broadcasting over 7 axes that do not merge (at most 5 after the first) has no CUDA plan yet"},
	} {
		n := newTnet(c.name)
		_, _, err := OpenCheck(n.model(t, c.build(n)))
		var u *model.UnsupportedError
		if !errors.As(err, &u) {
			t.Errorf("%s: %v, want an UnsupportedError", c.name, err)
			continue
		}
		if first := u.List[0]; first.Op != c.op || first.Reason != c.reason || first.Count != 1 {
			t.Errorf("%s: %+v, want %s: %s", c.name, first, c.op, c.reason)
		}
	}
}

// Inputs and outputs are float32, int64, int32 or bool: the engine stages
// nothing else.
func TestCheckIORefusesOtherTypes(t *testing.T) {
	g := &model.Graph{Values: map[string]*model.Value{"x": {DType: model.Bool}, "y": {DType: model.Float64}},
		Inputs: []string{"x"}, Outputs: []string{"y"}}
	want := `output "y" is float64: the CUDA engine takes and gives float32, int64, int32 and bool values`
	if err := checkIO(g); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// A LayerNormalization over its last two axes plans as one row per sample
// position of the axes before, and matches model.Eval.
func TestLayerNormOverTwoAxes(t *testing.T) {
	n := newTnet("norm2")
	y := n.op("LayerNormalization", "ln", model.Attrs{"axis": model.IntAttr(-2)}, n.input("x", 2, 3, 4), n.param("g", 1, 3, 4), n.param("b", 1, 3, 4))
	g := bind(t, n.model(t, y), 3)
	plan, err := Build(g, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, in := emulate(t, plan, g)
	checkOutputs(t, "norm2", plan, got, evalOutputs(t, g, in), 1e-5)
}
