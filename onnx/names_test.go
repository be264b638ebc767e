package onnx

import (
	"slices"
	"testing"

	"infertop/model"
	"infertop/onnx/internal/onnxpb"
)

// nodeNamesOf lists a graph's node names in order.
func nodeNamesOf(g *model.Graph) []string {
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	return names
}

func TestUnnamedNodesGetNames(t *testing.T) {
	mp := tinyModel()
	mp.Graph.Node[0].Name = ""         // MatMul_0, but a named node takes it
	mp.Graph.Node[1].Name = ""         // Add_1
	mp.Graph.Node[2].Name = "MatMul_0" // named
	m, err := Read("m.onnx", encode(t, mp), "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := nodeNamesOf(m.Graph), []string{"MatMul_0_1", "Add_1", "MatMul_0"}; !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	for _, n := range m.Graph.Nodes {
		if !slices.Equal(n.Covers, []string{n.Name}) {
			t.Errorf("node %q covers %v", n.Name, n.Covers)
		}
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
	if got, want := nodeNamesOf(m.Graph), []string{"mm", "add", "relu"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
