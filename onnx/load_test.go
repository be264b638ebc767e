package onnx

import (
	"errors"
	"slices"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

func TestReadTinyModel(t *testing.T) {
	m, err := Read("tiny.onnx", encode(t, tinyModel()), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if m.Name != "tiny.onnx" || g.Name != "tiny" {
		t.Errorf("names: model %q graph %q, want tiny.onnx and tiny", m.Name, g.Name)
	}
	if m.Source != "ONNX opset 17, pytorch 1.13.0" {
		t.Errorf("Source = %q", m.Source)
	}
	if m.Description != `ONNX IR version 8, graph "tiny", 3 nodes` {
		t.Errorf("Description = %q", m.Description)
	}
	if g.Opset != 17 || g.Producer != "pytorch 1.13.0" || m.DefaultBatch != 1 {
		t.Errorf("opset %d, producer %q, default batch %d", g.Opset, g.Producer, m.DefaultBatch)
	}
	if !slices.Equal(g.Inputs, []string{"x"}) || !slices.Equal(g.Outputs, []string{"y"}) {
		t.Errorf("inputs %v outputs %v", g.Inputs, g.Outputs)
	}
	if x := g.Value("x"); x.DType != model.Float32 || !x.Shape.Equal(model.Shape{model.Sym("batch"), model.Fixed(3)}) {
		t.Errorf("x: %s %v", x.DType, x.Shape)
	}
	if xw := g.Value("xw"); xw.DType != model.Float32 || xw.Shape.String() != "[batch 2]" {
		t.Errorf("xw (from value_info): %s %v", xw.DType, xw.Shape)
	}
	if z := g.Value("z"); z.DType != model.Undefined || z.Shape != nil {
		t.Errorf("z has no value_info, got %s %v", z.DType, z.Shape)
	}
	if w := g.Const("W"); w == nil || !slices.Equal(w.Shape, []int{3, 2}) || !slices.Equal(w.F32, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("W = %+v", w)
	}
	if b := g.Const("b"); b == nil || !slices.Equal(b.F32, []float32{0.5, -0.5}) {
		t.Errorf("b = %+v", b)
	}
	var ops, covers []string
	for _, n := range g.Nodes {
		ops = append(ops, n.Op+":"+n.Name)
		covers = append(covers, n.Covers...)
	}
	if !slices.Equal(ops, []string{"MatMul:mm", "Add:add", "Relu:relu"}) || !slices.Equal(covers, []string{"mm", "add", "relu"}) {
		t.Errorf("nodes %v covering %v", ops, covers)
	}
	if _, err := m.Bind(4); err != nil {
		t.Errorf("Bind(4): %v", err)
	}
}

func TestOpsetAndProducer(t *testing.T) {
	tests := []struct {
		opset         int64
		domain        string
		name, version string
		source        string
		wantOpset     int
	}{
		{opset: 7, name: "pytorch", version: "1.13.0", source: "ONNX opset 7, pytorch 1.13.0", wantOpset: 7},
		{opset: 21, domain: "ai.onnx", name: "tf2onnx", version: "1.16.1", source: "ONNX opset 21, tf2onnx 1.16.1", wantOpset: 21},
		{opset: 13, source: "ONNX opset 13", wantOpset: 13},
		{opset: 13, name: "backend-test", source: "ONNX opset 13, backend-test", wantOpset: 13},
	}
	for _, tt := range tests {
		mp := tinyModel()
		mp.ProducerName, mp.ProducerVersion = tt.name, tt.version
		mp.OpsetImport = []*onnxpb.OperatorSetIdProto{{Domain: "com.microsoft", Version: 1}, {Domain: tt.domain, Version: tt.opset}}
		m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
		if err != nil {
			t.Errorf("opset %d: %v", tt.opset, err)
			continue
		}
		if m.Source != tt.source || m.Graph.Opset != tt.wantOpset {
			t.Errorf("opset %d: Source %q, Opset %d; want %q, %d", tt.opset, m.Source, m.Graph.Opset, tt.source, tt.wantOpset)
		}
	}
}

func TestInitializersListedAsInputs(t *testing.T) {
	mp := tinyModel()
	mp.IrVersion = 3
	mp.Graph.Input = append(mp.Graph.Input, valueInfo("W", tFloat, 3, 2), valueInfo("b", tFloat, 2))
	m, err := Read("old.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Graph.Inputs, []string{"x"}) || m.Graph.Const("W") == nil {
		t.Errorf("inputs %v, W constant: %v", m.Graph.Inputs, m.Graph.Const("W") != nil)
	}
}

func TestBatchAndDims(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Input[0] = valueInfo("x", tFloat, 4, 3)
	m, err := Read("fixed.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.DefaultBatch != 4 {
		t.Errorf("a file fixing batch 4: DefaultBatch = %d", m.DefaultBatch)
	}

	mp = tinyModel()
	mp.Graph.Input[0] = valueInfo("x", tFloat, nil, "seq", 3)
	mp.Graph.Node[0] = node("Reshape", "mm", []string{"x", "shape"}, []string{"xw"})
	mp.Graph.Initializer = append(mp.Graph.Initializer, &onnxpb.TensorProto{Name: "shape", Dims: []int64{2}, DataType: tInt64, Int64Data: []int64{-1, 2}})
	m, err = Read("seq.onnx", encode(t, mp), "", LoadOptions{Dims: map[string]int{"seq": 5}})
	if err != nil {
		t.Fatal(err)
	}
	if m.DefaultBatch != 1 || m.Dims["seq"] != 5 || m.Graph.Value("x").Shape.String() != "[? seq 3]" {
		t.Errorf("DefaultBatch %d, Dims %v, x %v", m.DefaultBatch, m.Dims, m.Graph.Value("x").Shape)
	}
	g, err := m.Bind(2)
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Value("x").Shape.String(); s != "[2 5 3]" {
		t.Errorf("bound x = %s, want [2 5 3]", s)
	}
}

func TestScalarShapeIsNotUnknown(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Input = append(mp.Graph.Input, valueInfo("s", tFloat))
	mp.Graph.Node[1].Input[1] = "s"
	m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Graph.Value("s").Shape; s == nil || len(s) != 0 {
		t.Errorf("scalar input shape = %#v, want empty and not nil", s)
	}
}

func TestLoadFromDisk(t *testing.T) {
	path := writeFile(t, t.TempDir(), "tiny.onnx", encode(t, tinyModel()))
	m, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != path {
		t.Errorf("Name = %q, want the path %q", m.Name, path)
	}
	_, err = Load(path+".absent", LoadOptions{})
	var fe *Error
	if err == nil || errors.As(err, &fe) {
		t.Errorf("a missing model file: %v; want an I/O error, not an *Error", err)
	}
}
