package cuda

import (
	"testing"

	"infertop/model"
)

// checkPlacements checks that no two values share memory while both are
// live, that every value lies inside its buffer, that graph outputs live to
// the end, and that the activation total is what the buffers hold.
func checkPlacements(t *testing.T, plan *Plan) {
	t.Helper()
	for i, a := range plan.Values {
		buf := plan.Buffers[a.Ref.Buf]
		if a.Ref.Off < 0 || a.Ref.Off+a.Floats > buf.Floats || a.Def > a.Last || a.Def < 0 {
			t.Errorf("%s: %s %+v in %s of %d values", plan.Graph, a.Name, a, buf.Name, buf.Floats)
		}
		if a.Alias {
			continue
		}
		if buf.Role != RoleActivation {
			t.Errorf("%s: %s placed in %s (%v)", plan.Graph, a.Name, buf.Name, buf.Role)
		}
		for _, b := range plan.Values[i+1:] {
			overlap := a.Ref.Buf == b.Ref.Buf && a.Ref.Off < b.Ref.Off+b.Floats && b.Ref.Off < a.Ref.Off+a.Floats
			if !b.Alias && overlap && a.Def <= b.Last && b.Def <= a.Last {
				t.Errorf("%s: %s (steps %d–%d) and %s (steps %d–%d) share %s while both live",
					plan.Graph, a.Name, a.Def, a.Last, b.Name, b.Def, b.Last, buf.Name)
			}
		}
	}
	for _, o := range plan.Outputs {
		for _, p := range plan.Values {
			if p.Name == o.Name && p.Last != len(plan.Steps) {
				t.Errorf("%s: output %s lives to step %d of %d", plan.Graph, o.Name, p.Last, len(plan.Steps))
			}
		}
	}
	var act int64
	for _, b := range plan.Buffers {
		if b.Role == RoleActivation {
			act += b.Floats
		}
	}
	if act != plan.ActivationFloats || act > plan.ValueFloats {
		t.Errorf("%s: activation buffers hold %d values, the plan says %d (values %d)", plan.Graph, act, plan.ActivationFloats, plan.ValueFloats)
	}
}

// TestPlacementByLiveness: values share activation buffers only when their
// lives do not overlap (TestPlanMatchesEval poisons each value's memory
// before it is written, so a wrong sharing spoils the outputs too); resnet
// needs three buffers of a stage-1 activation each, the transformer less
// than a buffer per value.
func TestPlacementByLiveness(t *testing.T) {
	var models []*model.Model
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	plans := map[string]*Plan{}
	for _, m := range append(models, oddModels(t)...) {
		g := bind(t, m, 3)
		for _, way := range convWays(g) {
			plan, err := BuildWith(g, 3, Options{Default: way})
			if err != nil {
				t.Fatal(err)
			}
			checkPlacements(t, plan)
			if way == ConvIm2col {
				plans[m.Name] = plan
			}
		}
	}
	resnet := plans["resnet"]
	if want := int64(3 * 3 * 32 * 32 * 32); resnet.ActivationFloats != want {
		t.Errorf("resnet batch 3: activations %d values, want three stage-1 activations (%d)", resnet.ActivationFloats, want)
	}
	tr := plans["transformer"]
	if !(tr.ActivationFloats < tr.ValueFloats) {
		t.Errorf("transformer: activations %d values, no fewer than the values' %d", tr.ActivationFloats, tr.ValueFloats)
	}
	t.Logf("transformer batch 3: activations %d values, %d without sharing", tr.ActivationFloats, tr.ValueFloats)

	mix := plans["odd-mix"]
	at := map[string]Placement{}
	for _, p := range mix.Values {
		at[p.Name] = p
	}
	if f, u := at["flat"], at["u"]; !f.Alias || f.Ref != mix.Inputs[0].Ref || !u.Alias || u.Ref != at["sum"].Ref {
		t.Errorf("odd-mix: Flatten at %+v (input at %+v), Unsqueeze at %+v (its input at %+v)", f, mix.Inputs[0].Ref, u, at["sum"])
	}
	if mix.Outputs[0].Ref != at["zr"].Ref || mix.Outputs[1].Ref != at["sum"].Ref {
		t.Errorf("odd-mix outputs %+v, want zr's and sum's memory", mix.Outputs)
	}
}
