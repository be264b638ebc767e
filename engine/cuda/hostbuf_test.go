package cuda

import "testing"

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
