package cuda

import (
	"errors"
	"testing"

	"infertop/model"
	"infertop/onnx"
)

// The engine refuses, when it opens a model, every node it has no plan for,
// in one list: the committed BERT fixture's embeddings and int64 index
// arithmetic.
func TestOpenCheckRefusesFixtures(t *testing.T) {
	for _, c := range []struct {
		file  string
		dims  map[string]int
		kinds int
		want  string
	}{
		{"bert_tiny.onnx", map[string]int{"seq": 16}, 3, `../../testdata/models/bert_tiny.onnx needs what cannot be computed: ` +
			`Gather (opset 17) ×1, first "/word/Gather": no CUDA plan yet; ` +
			`Unsqueeze (opset 17) ×2, first "/Unsqueeze_1": int64 values have no CUDA plan yet (float32 only); ` +
			`Cast (opset 17) ×1, first "/Cast": no CUDA plan yet`},
	} {
		m, err := onnx.Load("../../testdata/models/"+c.file, onnx.LoadOptions{Dims: c.dims})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = OpenCheck(m)
		var u *model.UnsupportedError
		if !errors.As(err, &u) || len(u.List) != c.kinds {
			t.Fatalf("%s: %v, want an UnsupportedError of %d kinds", c.file, err, c.kinds)
		}
		if err.Error() != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.file, err, c.want)
		}
	}
}

// What the engine runs it opens: every preset, the committed image
// fixtures (general max pools, depthwise convolutions, ReLU6, SiLU,
// squeeze-and-excitation, Concat), and an exported MLP (Gemm nodes at opset 13).
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
		{"1-D", func(n *tnet) string {
			return n.op("Conv", "c", nil, n.input("x", 4, 8), n.param("w", 12, 4, 4, 3))
		}, model.OpFusedConv, "only 2-D convolutions have a CUDA plan yet"},
		{"norm of two axes", func(n *tnet) string {
			return n.op("LayerNormalization", "ln", model.Attrs{"axis": model.IntAttr(-2)}, n.input("x", 3, 4), n.param("g", 1, 3, 4))
		}, "LayerNormalization", "normalizing more than the last axis has no CUDA plan yet"},
		{"3-D pool", func(n *tnet) string {
			return n.pool("p", n.input("x", 2, 4, 4, 4), []int64{2, 2, 2}, []int64{2, 2, 2}, []int64{0, 0, 0, 0, 0, 0}, []int64{1, 1, 1}, false)
		}, "MaxPool", "only 2-D pooling has a CUDA plan yet"},
		{"clip bound computed", func(n *tnet) string {
			lo := n.b.Input("lo", model.Float32, model.Shape{})
			return n.op("Clip", "c", nil, n.input("x", 4), lo)
		}, "Clip", "Clip bounds that are not float32 constants have no CUDA plan yet"},
		{"broadcast of seven axes", func(n *tnet) string {
			return n.op("Mul", "m", nil, n.input("x", 2, 1, 2, 1, 2, 1, 2), n.param("c", 1, 1, 2, 1, 2, 1, 2, 1))
		}, "Mul", "broadcasting over 7 axes that do not merge (at most 5 after the first) has no CUDA plan yet"},
		{"matmul", func(n *tnet) string {
			x := n.input("x", 4, 4)
			return n.op("MatMul", "mm", nil, x, x)
		}, "MatMul", "two run-time operands have no CUDA plan yet"},
		{"softmax along the middle", func(n *tnet) string {
			return n.op("Softmax", "sm", model.Attrs{"axis": model.IntAttr(1)}, n.input("x", 4, 3))
		}, "Softmax", "Softmax along an axis other than the last has no CUDA plan yet"},
		{"erf", func(n *tnet) string {
			return n.op("Erf", "e", nil, n.input("x", 4))
		}, "Erf", "no CUDA plan yet"},
		{"int64", func(n *tnet) string {
			ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
			u := n.op("Unsqueeze", "u", nil, ids, n.ints("axes", 1))
			return n.op("Cast", "f", model.Attrs{"to": model.IntAttr(int64(model.Float32))}, u)
		}, "Unsqueeze", "int64 values have no CUDA plan yet (float32 only)"},
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

// Inputs and outputs are float32: the engine stages nothing else.
func TestOpenCheckRefusesOtherInputs(t *testing.T) {
	n := newTnet("ids")
	ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
	x := n.input("x", 4)
	_, _, err := OpenCheck(n.model(t, n.op("Relu", "r", nil, x), ids))
	want := `ids: input "ids" is int64: the CUDA engine takes float32 inputs and outputs only`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
