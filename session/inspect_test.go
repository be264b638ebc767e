package session

import (
	"strings"
	"testing"

	"infertop/model"
)

// A graph whose nodes cannot all be computed once compiled is described up
// to its parameters, with the list and a note; nothing compiled is made up.
func TestInspectModelThatDoesNotCompile(t *testing.T) {
	b := model.NewBuilder("odd")
	x := b.Input("x", model.Float32, model.Shape{model.Sym("batch"), model.Fixed(4)})
	b.Output(b.Op("Hardmax", "hm", nil, b.Op("Relu", "relu", nil, x)))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ins, err := InspectModel(&model.Model{Name: "odd.onnx", Graph: g, DefaultBatch: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Complete || ins.Batch != 1 || ins.Nodes != 2 || len(ins.Ops) != 2 || ins.Params == nil ||
		ins.FLOPs != nil || ins.Memory != nil || ins.Steps != nil || ins.Fusion != nil || ins.Inputs[0].Shape != nil ||
		len(ins.Unsupported) != 1 || ins.Unsupported[0].Op != "Hardmax" || !strings.Contains(ins.Note, "compiles only once") {
		t.Errorf("%+v", ins)
	}
}
