package runner

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestPercentilesAgainstSorted checks every reported percentile against the exact
// value of the sorted data at the same rank, within HDR's 3-digit precision.
func TestPercentilesAgainstSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 1000, 100000} {
		l := newLatencies(true)
		vals := make([]int64, n)
		for i := range vals {
			// Log-normal around 1 ms with a long tail, as latencies are.
			vals[i] = int64(math.Exp(rng.NormFloat64()*0.8) * 1e6)
			l.record(time.Duration(vals[i]))
		}
		slices.Sort(vals)
		p := l.percentiles()
		if p.Count != int64(n) || int64(p.Min) != vals[0] || int64(p.Max) != vals[n-1] {
			t.Fatalf("n=%d: count %d min %v max %v; want %d %d %d", n, p.Count, p.Min, p.Max, n, vals[0], vals[n-1])
		}
		for _, c := range []struct {
			q   float64
			got time.Duration
		}{{25, p.P25}, {50, p.P50}, {75, p.P75}, {90, p.P90}, {95, p.P95}, {99, p.P99}, {99.9, p.P999}} {
			if c.got < p.Min || c.got > p.Max {
				t.Errorf("n=%d p%v = %v outside [%v, %v]", n, c.q, c.got, p.Min, p.Max)
			}
			rank := min(max(int(c.q/100*float64(n)+0.5), 1), n)
			exact := vals[rank-1]
			if d := math.Abs(float64(int64(c.got) - exact)); d > float64(exact)/1000+1 {
				t.Errorf("n=%d p%v = %d, exact %d (off by %.3f %%)", n, c.q, c.got, exact, 100*d/float64(exact))
			}
		}
		var sum float64
		for _, v := range vals {
			sum += float64(v)
		}
		if got, want := float64(p.Mean), sum/float64(n); math.Abs(got-want) > 1 {
			t.Errorf("n=%d mean %v, want %v", n, got, want)
		}
		var total int64
		for _, b := range l.buckets(32) {
			total += b.Count
		}
		if total != int64(n) {
			t.Errorf("n=%d: chart buckets hold %d batches, want %d", n, total, n)
		}
	}
}

func TestRelSpreadAndDiff(t *testing.T) {
	cases := []struct {
		vals []float64
		want float64
	}{
		{[]float64{100, 100, 100}, 0},
		{[]float64{90, 100, 110}, 0.10},
		{[]float64{100, 100, 130}, 20.0 / 110},
	}
	for _, c := range cases {
		if got := RelSpread(c.vals); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("RelSpread(%v) = %v, want %v", c.vals, got, c.want)
		}
	}
	if got := relDiff(90, 100); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("relDiff(90,100) = %v", got)
	}
}

// TestZeroIsRecordedAsZero: a resident input's H2D copy takes no time and must
// not read as 1 ns.
func TestZeroIsRecordedAsZero(t *testing.T) {
	l := newLatencies(true)
	for range 3 {
		l.record(0)
	}
	if p := l.percentiles(); p.Count != 3 || p.P50 != 0 || p.Max != 0 || l.stat() != (Stat{}) {
		t.Errorf("zeros: %+v", p)
	}
	if b := l.buckets(4); len(b) != 4 || b[0].Count+b[1].Count+b[2].Count+b[3].Count != 3 {
		t.Errorf("buckets %+v", b)
	}
}
