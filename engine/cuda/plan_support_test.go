package cuda

import (
	"errors"
	"testing"

	"infertop/model"
	"infertop/onnx"
)

// The engine refuses, when it opens a model, every node it has no plan for,
// in one list: here the int64 ops beyond the embedding lookup and the
// mask's Cast.
func TestOpenCheckRefusesInts(t *testing.T) {
	n := newTnet("ints")
	ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
	x := n.input("x", 4)
	shifted := n.op("Add", "shift", nil, ids, n.ints("one", 1))
	f := n.op("Cast", "f", model.Attrs{"to": model.IntAttr(int64(model.Float32))}, shifted)
	picked := n.op("Gather", "pick", model.Attrs{"axis": model.IntAttr(1)}, x, ids)
	back := n.op("Cast", "back", model.Attrs{"to": model.IntAttr(int64(model.Int64))}, x)
	_, _, err := OpenCheck(n.model(t, n.op("Add", "sum", nil, f, x), picked, back))
	want := `ints needs what cannot be computed: ` +
		`Add (opset 20) ×1, first "shift": int64 values have no CUDA plan yet here (float32, and integer inputs read by Gather and Cast); ` +
		`Gather (opset 20) ×1, first "pick": a Gather from anything but a constant float32 table has no CUDA plan yet; ` +
		`Cast (opset 20) ×1, first "back": int64 values have no CUDA plan yet here (float32, and integer inputs read by Gather and Cast)`
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
		{"3-D", func(n *tnet) string {
			return n.op("Conv", "c", nil, n.input("x", 2, 4, 4, 4), n.param("w", 16, 2, 2, 2, 2, 2))
		}, model.OpFusedConv, "only 1-D and 2-D convolutions have a CUDA plan yet"},
		{"3-D pool", func(n *tnet) string {
			return n.pool("p", n.input("x", 2, 4, 4, 4), []int64{2, 2, 2}, []int64{2, 2, 2}, []int64{0, 0, 0, 0, 0, 0}, []int64{1, 1, 1}, false)
		}, "MaxPool", "only 1-D and 2-D pooling have a CUDA plan yet"},
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
		{"slice backwards", func(n *tnet) string {
			return n.op("Slice", "s", nil, n.input("x", 4), n.ints("starts", 3), n.ints("ends", 0), n.ints("axes", 1), n.ints("steps", -1))
		}, "Slice", "a Slice with a negative step has no CUDA plan yet"},
		{"int64 arithmetic", func(n *tnet) string {
			ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
			u := n.op("Mul", "twice", nil, ids, n.ints("two", 2))
			return n.op("Cast", "f", model.Attrs{"to": model.IntAttr(int64(model.Float32))}, u)
		}, "Mul", "int64 values have no CUDA plan yet here (float32, and integer inputs read by Gather and Cast)"},
		{"gather along the second axis", func(n *tnet) string {
			ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
			return n.op("Gather", "g", model.Attrs{"axis": model.IntAttr(1)}, n.param("table", 1, 8, 6), ids)
		}, "Gather", "a Gather along an axis other than the first has no CUDA plan yet"},
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

// Inputs are float32 or integers, outputs float32: the engine stages
// nothing else.
func TestOpenCheckRefusesOtherInputs(t *testing.T) {
	n := newTnet("ids")
	ids := n.b.Input("ids", model.Int64, model.Shape{model.Sym("batch"), model.Fixed(4)})
	x := n.input("x", 4)
	_, _, err := OpenCheck(n.model(t, n.op("Relu", "r", nil, x), ids))
	want := `ids: output "ids" is int64: the CUDA engine takes float32 or integer inputs and float32 outputs`
	if err == nil || err.Error() != want {
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
