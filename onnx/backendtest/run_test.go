package backendtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// declare is a graph input or output of a dtype and a shape whose dims are
// sizes (int) or names (string).
func declare(name string, dt onnxpb.TensorProto_DataType, dims ...any) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt), Shape: shape}}}}
}

// floats is a float32 TensorProto.
func floats(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, Dims: dims, DataType: int32(onnxpb.TensorProto_FLOAT), FloatData: v}
}

// oneOp is a model of one node of op at opset reading inputs and writing y.
func oneOp(op string, opset int64, inputs []*onnxpb.ValueInfoProto, y *onnxpb.ValueInfoProto) *onnxpb.ModelProto {
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = in.GetName()
	}
	return &onnxpb.ModelProto{IrVersion: 8, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: opset}},
		Graph: &onnxpb.GraphProto{Name: "g", Input: inputs, Output: []*onnxpb.ValueInfoProto{y},
			Node: []*onnxpb.NodeProto{{OpType: op, Input: names, Output: []string{y.GetName()}}}}}
}

// writeCase writes a test directory: the model, and one data set per entry
// of sets (its inputs, then its outputs).
func writeCase(t *testing.T, mp *onnxpb.ModelProto, sets ...[2][]*onnxpb.TensorProto) Case {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "test_case")
	write := func(path string, m proto.Message) {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "model.onnx"), mp)
	for i, s := range sets {
		for k, in := range s[0] {
			write(filepath.Join(dir, fmt.Sprintf("test_data_set_%d/input_%d.pb", i, k)), in)
		}
		for k, out := range s[1] {
			write(filepath.Join(dir, fmt.Sprintf("test_data_set_%d/output_%d.pb", i, k)), out)
		}
	}
	return Case{Suite: "unit", Name: "test_case", Dir: dir}
}

// reluCase is Relu over x [N 2] with two data sets of different batches.
func reluCase(t *testing.T) Case {
	x := declare("x", onnxpb.TensorProto_FLOAT, "N", 2)
	mp := oneOp("Relu", 14, []*onnxpb.ValueInfoProto{x}, declare("y", onnxpb.TensorProto_FLOAT, "N", 2))
	return writeCase(t, mp,
		[2][]*onnxpb.TensorProto{{floats("x", []int64{1, 2}, -1, 2)}, {floats("y", []int64{1, 2}, 0, 2)}},
		[2][]*onnxpb.TensorProto{{floats("x", []int64{2, 2}, 3, -4, -5, 6)}, {floats("y", []int64{2, 2}, 3, 0, 0, 6)}})
}

func TestRunEnds(t *testing.T) {
	scale := func(s float32) Runner {
		return func(m *model.Model, g *model.Graph, in []*model.Tensor) ([]*model.Tensor, error) {
			out, err := Reference(m, g, in)
			for _, o := range out {
				for i := range o.F32 {
					o.F32[i] *= s
				}
			}
			return out, err
		}
	}
	tests := []struct {
		name   string
		runner Runner
		status Status
		detail string
	}{
		{"reference", nil, Passed, ""},
		{"within tolerance", scale(1.0005), Passed, ""},
		{"wrong values", scale(1.01), Failed,
			`test_data_set_0, output "y": 1 of 2 elements out of tolerance, max abs error 0.02, max rel error 0.01; worst at [0 1]: got 2.0199999809265137, want 2`},
		{"runner error", func(*model.Model, *model.Graph, []*model.Tensor) ([]*model.Tensor, error) {
			return nil, errors.New("out of device memory")
		}, Errored, "out of device memory"},
		{"runner panic", func(*model.Model, *model.Graph, []*model.Tensor) ([]*model.Tensor, error) {
			panic("index out of range")
		}, Errored, "panic: index out of range"},
		{"too few outputs", func(*model.Model, *model.Graph, []*model.Tensor) ([]*model.Tensor, error) {
			return nil, nil
		}, Errored, "the runner returned 0 outputs, the graph has 1"},
	}
	c := reluCase(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(c, Options{Runner: tc.runner})
			if r.Status != tc.status || r.Detail() != tc.detail {
				t.Fatalf("%s: %s, want %s: %s", r.Status, r.Detail(), tc.status, tc.detail)
			}
			if r.DataSets != 2 || !slices.Equal(r.Ops, []string{"Relu"}) || r.Opset != 14 || !r.Supported() {
				t.Errorf("data sets %d, ops %v, opset %d, supported %v", r.DataSets, r.Ops, r.Opset, r.Supported())
			}
		})
	}
}

// TestRunBindsEachDataSet: the runner sees the graph compiled for each data
// set's batch, and the named dimension bound from the data.
func TestRunBindsEachDataSet(t *testing.T) {
	var batches [][]int
	spy := func(m *model.Model, g *model.Graph, in []*model.Tensor) ([]*model.Tensor, error) {
		batches = append(batches, g.Values["x"].Shape.Ints())
		return Reference(m, g, in)
	}
	x := declare("x", onnxpb.TensorProto_FLOAT, "N", "seq")
	mp := oneOp("Neg", 13, []*onnxpb.ValueInfoProto{x}, declare("y", onnxpb.TensorProto_FLOAT, "N", "seq"))
	c := writeCase(t, mp,
		[2][]*onnxpb.TensorProto{{floats("x", []int64{1, 3}, 1, 2, 3)}, {floats("y", []int64{1, 3}, -1, -2, -3)}},
		[2][]*onnxpb.TensorProto{{floats("x", []int64{2, 1}, 4, 5)}, {floats("y", []int64{2, 1}, -4, -5)}})
	if r := Run(c, Options{Runner: spy}); r.Status != Passed {
		t.Fatalf("%s: %s", r.Status, r.Detail())
	}
	if !slices.EqualFunc(batches, [][]int{{1, 3}, {2, 1}}, slices.Equal) {
		t.Errorf("the runner saw x of shapes %v, want [1 3] then [2 1]", batches)
	}
}

func TestRunRefuses(t *testing.T) {
	x := declare("x", onnxpb.TensorProto_FLOAT, 2)
	data := [2][]*onnxpb.TensorProto{{floats("x", []int64{2}, 0, 1)}, {floats("y", []int64{2}, 0, 1)}}
	tests := []struct {
		name    string
		mp      *onnxpb.ModelProto
		reasons []string
	}{
		{"an op outside the list", oneOp("Sin", 7, []*onnxpb.ValueInfoProto{x}, declare("y", onnxpb.TensorProto_FLOAT, 2)),
			[]string{"Sin: op not supported"}},
		{"a dtype", oneOp("Relu", 14, []*onnxpb.ValueInfoProto{declare("x", onnxpb.TensorProto_DOUBLE, 2)}, declare("y", onnxpb.TensorProto_DOUBLE, 2)),
			[]string{"Relu: dtype float64 (computable: float32, int64, int32, bool)"}},
		{"an opset", oneOp("Relu", 22, []*onnxpb.ValueInfoProto{x}, declare("y", onnxpb.TensorProto_FLOAT, 2)),
			[]string{"opset 22 is not supported (accepted: opsets 1 to 21)"}},
		{"a shape computed from data", oneOp("Reshape", 13, []*onnxpb.ValueInfoProto{x, declare("s", onnxpb.TensorProto_FLOAT, 1)}, declare("y", onnxpb.TensorProto_FLOAT, 2)),
			[]string{`fold: node "Reshape_0" (Reshape): its shape input "s" is float32; it must be int64 or int32`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := data
			if len(tc.mp.Graph.Input) > 1 {
				d[0] = append(slices.Clone(d[0]), floats("s", []int64{1}, 2))
			}
			r := Run(writeCase(t, tc.mp, d), Options{})
			if r.Status != Refused || !slices.Equal(r.Reasons, tc.reasons) {
				t.Fatalf("%s: %q, want refused: %q", r.Status, r.Reasons, tc.reasons)
			}
		})
	}
}

// TestRunMakesShapeInputsConstants: ONNX's Reshape test feeds the shape as
// an input; the suite makes it a constant, and says so.
func TestRunMakesShapeInputsConstants(t *testing.T) {
	spy := func(m *model.Model, g *model.Graph, in []*model.Tensor) ([]*model.Tensor, error) {
		if !slices.Equal(g.Inputs, []string{"data"}) || len(in) != 1 || m.Graph.Const("shape") == nil || slices.Contains(m.Graph.Inputs, "shape") {
			return nil, fmt.Errorf("the runner got inputs %v of a graph whose inputs are %v", g.Inputs, m.Graph.Inputs)
		}
		return Reference(m, g, in)
	}
	r := Run(Case{Suite: localSuite, Name: "test_reshape_reduced_dims", Dir: "testdata/onnx-v1.16.2/node/test_reshape_reduced_dims"}, Options{Runner: spy})
	if r.Status != Passed || !slices.Equal(r.Constants, []string{"shape"}) || r.Detail() != "inputs made constants: shape" {
		t.Fatalf("%s, constants %v: %s", r.Status, r.Constants, r.Detail())
	}
}

func TestRunErrors(t *testing.T) {
	c := reluCase(t)
	if err := os.WriteFile(filepath.Join(c.Dir, "test_data_set_1", "output_0.pb"), []byte{0x0a}, 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run(c, Options{})
	if r.Status != Errored || !strings.HasSuffix(r.Detail(), "output_0.pb: not an ONNX tensor (protobuf: cannot parse invalid wire-format data)") {
		t.Errorf("%s: %s, want an error about the broken output", r.Status, r.Detail())
	}
	r = Run(Case{Suite: "unit", Name: "missing", Dir: t.TempDir()}, Options{})
	if r.Status != Errored || !strings.Contains(r.Detail(), "model.onnx: no such file") {
		t.Errorf("%s: %s, want an error about the missing model", r.Status, r.Detail())
	}
}

func TestMatch(t *testing.T) {
	a, b := model.Floats([]int{1}, []float32{1}), model.Floats([]int{1}, []float32{2})
	got, err := match([]string{"x", "y"}, []Named{{"y", b}, {"x", a}}, "input")
	if err != nil || got[0] != a || got[1] != b {
		t.Errorf("by name: %v, %v", got, err)
	}
	got, err = match([]string{"x", "y"}, []Named{{"", a}, {"", b}}, "input")
	if err != nil || got[0] != a || got[1] != b {
		t.Errorf("by position: %v, %v", got, err)
	}
	_, err = match([]string{"x", "y"}, []Named{{"", a}}, "input")
	if err == nil || err.Error() != "the data set holds 1 inputs, the graph has 2 (x, y)" {
		t.Errorf("count: %v", err)
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"node/test_b", "node/test_a", "node/not_a_test", "simple/test_c"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(d, "not_a_test") {
			if err := os.WriteFile(filepath.Join(root, d, "model.onnx"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases, err := Discover(root, "simple", "node")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.Suite+"/"+c.Name)
	}
	if !slices.Equal(names, []string{"simple/test_c", "node/test_a", "node/test_b"}) {
		t.Errorf("cases %v", names)
	}
	if _, err := Discover(root, "real"); err == nil || !strings.HasPrefix(err.Error(), "suite real: ") {
		t.Errorf("a missing suite: %v", err)
	}
	t.Setenv(RootEnv, root)
	if Root() != root {
		t.Errorf("Root() = %s with %s set to %s", Root(), RootEnv, root)
	}
}

func TestSortNumbered(t *testing.T) {
	p := []string{"d/input_10.pb", "d/input_2.pb", "d/input_0.pb"}
	sortNumbered(p, "input_")
	if !slices.Equal(p, []string{"d/input_0.pb", "d/input_2.pb", "d/input_10.pb"}) {
		t.Errorf("%v", p)
	}
}

func TestRunAllStopsWhenCancelled(t *testing.T) {
	c := reluCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := RunAll(ctx, []Case{c, c, c}, Options{})
	if !errors.Is(err, context.Canceled) || len(res) != 3 {
		t.Errorf("err %v, %d results", err, len(res))
	}
	res, err = RunAll(context.Background(), []Case{c, c}, Options{})
	if err != nil || res[0].Status != Passed || res[1].Status != Passed {
		t.Errorf("err %v, results %v", err, res)
	}
}
