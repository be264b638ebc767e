package cuda

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"infertop/model"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		batch, devices int
		want           []int
	}{
		{10, 3, []int{4, 3, 3}},
		{64, 1, []int{64}},
		{64, 8, []int{8, 8, 8, 8, 8, 8, 8, 8}},
		{7, 2, []int{4, 3}},
		{2, 4, []int{1, 1, 0, 0}},
		{0, 2, []int{0, 0}},
	}
	for _, c := range cases {
		got := Split(c.batch, c.devices)
		if !slices.Equal(got, c.want) {
			t.Errorf("Split(%d, %d) = %v, want %v", c.batch, c.devices, got, c.want)
		}
	}
	if Split(5, 0) != nil {
		t.Error("Split over no devices should be empty")
	}
	if got := Offsets([]int{4, 3, 3}); !slices.Equal(got, []int{0, 4, 7}) {
		t.Errorf("Offsets = %v", got)
	}
	for d := 1; d <= 9; d++ {
		for b := 1; b <= 70; b++ {
			s := Split(b, d)
			sum := 0
			for _, v := range s {
				sum += v
			}
			if sum != b || slices.Max(s)-slices.Min(s) > 1 {
				t.Fatalf("Split(%d, %d) = %v", b, d, s)
			}
		}
	}
}

// The signature of a batch split over devices is each share's with the
// whole batch first; a value whose first dimension is not the batch cannot
// be split.
func TestSignature(t *testing.T) {
	m := oddMix(t)
	plan := func(batch int) *Plan {
		p, err := Build(bind(t, m, batch), batch)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	in, out, err := signature([]*Plan{plan(5)}, []int{5}, 5)
	want := []model.TensorSpec{{Name: "a", DType: model.Float32, Shape: []int{5, 6, 4}}, {Name: "c", DType: model.Float32, Shape: []int{5, 24}}}
	if err != nil || !reflect.DeepEqual(in, want) || len(out) != 2 || !slices.Equal(out[0].Shape, []int{5, 8}) {
		t.Errorf("one device: %v, %v, %v", in, out, err)
	}
	in, out, err = signature([]*Plan{plan(3), plan(2), nil}, []int{3, 2, 0}, 5)
	if err != nil || !reflect.DeepEqual(in, want) || !slices.Equal(out[1].Shape, []int{5, 24}) {
		t.Errorf("three devices: %v, %v, %v", in, out, err)
	}
	bad := plan(2)
	bad.Outputs[0].Shape = []int{8}
	_, _, err = signature([]*Plan{plan(3), bad}, []int{3, 2}, 5)
	if err == nil || err.Error() != "s has shape [8] at a share of 2 samples: cuda:all splits the batch along the first dimension of every input and output" {
		t.Errorf("unsplittable output: %v", err)
	}
	if _, _, err := signature([]*Plan{nil}, []int{0}, 1); err == nil {
		t.Error("a batch no device computes has a signature")
	}
}

// Run takes the tensors of the signature and says which is wrong.
func TestCheckTensors(t *testing.T) {
	specs := []model.TensorSpec{{Name: "x", DType: model.Float32, Shape: []int{2, 3}}}
	good := model.NewTensor(model.Float32, 2, 3)
	for _, c := range []struct {
		ts   []*model.Tensor
		want string
	}{
		{[]*model.Tensor{good}, ""},
		{nil, "the prepared batch takes 1 input, got 0"},
		{[]*model.Tensor{nil}, `input "x": got nothing, the prepared batch takes float32 [2 3]`},
		{[]*model.Tensor{model.NewTensor(model.Float32, 3, 2)}, `input "x": got float32 [3 2] (6 values), the prepared batch takes float32 [2 3]`},
		{[]*model.Tensor{model.NewTensor(model.Int64, 2, 3)}, `input "x": got int64 [2 3] (6 values), the prepared batch takes float32 [2 3]`},
		{[]*model.Tensor{{DType: model.Float32, Shape: []int{2, 3}, F32: make([]float32, 5)}}, `input "x": got float32 [2 3] (5 values), the prepared batch takes float32 [2 3]`},
	} {
		err := checkTensors("input", c.ts, specs)
		if got := fmt.Sprint(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = checkTensors("input", []*model.Tensor{good}, specs) }); n != 0 {
		t.Errorf("checking good tensors allocates %v times", n)
	}
}
