package cuda

import (
	"hash/maphash"
	"slices"
	"testing"

	"infertop/model"
)

// A constant is found on the device again by what it holds: compiling the
// transformer's graph anew for another batch (model.Compile, without the
// model's cache of derived weights) makes new tensors of its fused weights,
// with the keys of the first compile's.
func TestWeightKeys(t *testing.T) {
	seed := maphash.MakeSeed()
	keys := func(p *Plan) []weightKey {
		var out []weightKey
		for _, b := range p.Buffers {
			if b.Role == RoleWeight {
				out = append(out, keyOf(b, seed))
			}
		}
		return out
	}
	m := presetModel(t, "transformer")
	p1, err := Build(bind(t, m, 1), 1)
	if err != nil {
		t.Fatal(err)
	}
	g3, err := model.Compile(m.Graph, model.Binding{Batch: 3})
	if err != nil {
		t.Fatal(err)
	}
	p3, err := Build(g3, 3)
	if err != nil {
		t.Fatal(err)
	}
	var fused1, fused3 *model.Tensor
	for _, p := range []*Plan{p1, p3} {
		for _, b := range p.Buffers {
			if b.Name == "attn.in_proj.matmul/weight" {
				if p == p1 {
					fused1 = b.Const
				} else {
					fused3 = b.Const
				}
			}
		}
	}
	if fused1 == nil || fused3 == nil || &fused1.F32[0] == &fused3.F32[0] {
		t.Fatal("the test needs a fused weight made anew by each compile")
	}
	if k1, k3 := keys(p1), keys(p3); len(k1) != 12 || !slices.Equal(k1, k3) {
		t.Errorf("weight keys at batch 1 and 3 differ:\n%v\n%v", k1, k3)
	}

	c := model.Floats([]int{3}, []float32{1, 2, 3})
	same := model.Floats([]int{3}, []float32{1, 2, 3})
	other := model.Floats([]int{3}, []float32{1, 2, 4})
	w := func(name string, t *model.Tensor) Buffer {
		n := int64(3)
		if t != nil {
			n = int64(len(t.F32))
		}
		return Buffer{Name: name, Role: RoleWeight, Floats: n, Const: t}
	}
	for _, k := range []struct {
		a, b Buffer
		same bool
	}{
		{w("c", c), w("c", same), true},
		{w("c", c), w("c", other), false},
		{w("c", c), w("d", same), false},
		{w("zeros", nil), w("zeros", nil), true},
		{w("zeros", nil), Buffer{Name: "zeros", Role: RoleWeight, Floats: 4}, false},
		{w("zeros", nil), w("zeros", model.Floats([]int{3}, make([]float32, 3))), false},
	} {
		if got := keyOf(k.a, seed) == keyOf(k.b, seed); got != k.same {
			t.Errorf("%+v and %+v: same key %v, want %v", k.a, k.b, got, k.same)
		}
	}
}
