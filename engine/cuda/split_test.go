package cuda

import (
	"slices"
	"testing"
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
