package onnx

import (
	"slices"
	"testing"

	"infertop/onnx/internal/onnxpb"
)

func TestUnnamedNodesGetNames(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Node[0].Name = ""         // MatMul_0, but a named node takes it
	mp.Graph.Node[1].Name = ""         // Add_1
	mp.Graph.Node[2].Name = "MatMul_0" // named
	m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range m.Graph.Nodes {
		names = append(names, n.Name)
		if !slices.Equal(n.Covers, []string{n.Name}) {
			t.Errorf("node %q covers %v", n.Name, n.Covers)
		}
	}
	if want := []string{"MatMul_0_1", "Add_1", "MatMul_0"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
}

func TestNodesOutOfOrderAreSorted(t *testing.T) {
	mp := tinyModel()
	n := mp.Graph.Node
	mp.Graph.Node = []*onnxpb.NodeProto{n[2], n[0], n[1]}
	m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range m.Graph.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"mm", "add", "relu"}; !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}
