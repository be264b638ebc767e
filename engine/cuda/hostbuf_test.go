package cuda

import (
	"slices"
	"testing"

	"infertop/model"
)

func TestSameSlice(t *testing.T) {
	a := make([]float32, 8)
	b := make([]float32, 8)
	for _, c := range []struct {
		x, y []float32
		want bool
	}{
		{a, a, true}, {a, a[:8:8], true}, {a, b, false}, {a, a[:4], false}, {a[1:], a[1:], true},
		{a[1:5], a[:4], false}, {nil, nil, true}, {a[:0], nil, true},
	} {
		if got := sameSlice(c.x, c.y); got != c.want {
			t.Errorf("sameSlice(len %d, len %d) = %v, want %v", len(c.x), len(c.y), got, c.want)
		}
	}
}

// stageIn and unstageOut move one device's share of samples between the
// caller's tensors and the staging: bools as int64 0 or 1, integers and
// float32 as they are.
func TestStaging(t *testing.T) {
	flags := &model.Tensor{DType: model.Bool, Shape: []int{3, 2}, Bool: []bool{true, false, false, true, true, true}}
	staged := model.Ints([]int{2, 2}, make([]int64, 4))
	stageIn(staged, flags, 1, 2, 3)
	if want := []int64{0, 1, 1, 1}; !slices.Equal(staged.I64, want) {
		t.Errorf("bools staged as %v, want %v", staged.I64, want)
	}
	back := model.NewTensor(model.Bool, 3, 2)
	unstageOut(back, staged, 1, 2, 3)
	if want := []bool{false, false, false, true, true, true}; !slices.Equal(back.Bool, want) {
		t.Errorf("bools back as %v, want %v", back.Bool, want)
	}
	ids := &model.Tensor{DType: model.Int32, Shape: []int{2}, I64: []int64{-7, 9}}
	s32 := &model.Tensor{DType: model.Int32, Shape: []int{1}, I64: make([]int64, 1)}
	stageIn(s32, ids, 1, 1, 2)
	out := &model.Tensor{DType: model.Int32, Shape: []int{2}, I64: make([]int64, 2)}
	unstageOut(out, s32, 0, 1, 2)
	if s32.I64[0] != 9 || !slices.Equal(out.I64, []int64{9, 0}) {
		t.Errorf("int32 staged %v, back %v", s32.I64, out.I64)
	}
	x := model.Floats([]int{2, 2}, []float32{1, 2, 3, 4})
	sx := model.Floats([]int{2}, make([]float32, 2))
	stageIn(sx, x, 1, 1, 2)
	if !slices.Equal(sx.F32, []float32{3, 4}) {
		t.Errorf("float32 staged as %v", sx.F32)
	}
}

func TestStagedAsIs(t *testing.T) {
	if !stagedAsIs([]IO{{DT: model.Int32, Type: ElemI64}, {Type: ElemF32}}) || stagedAsIs([]IO{{DT: model.Bool, Type: ElemI64}}) {
		t.Error("only bools are staged as another type")
	}
}
