package engine

import (
	"testing"
	"time"
)

// A peak's provenance reads in one clause, and what keeps it out of the
// cache is named with its figure.
func TestPeakStringAndTrusted(t *testing.T) {
	g, p := PeakOf([]float64{104.5, 119.6, 113.8, 65.6, 118})
	p.Busy, p.Cached, p.Measured = 0.97, true, time.Date(2026, 12, 7, 10, 0, 0, 0, time.Local)
	if g != 119.6 || p.String() != "best of 5 rounds, spread 4.8 %, 97 % of its threads' time, cached 2026-12-07 10:00" {
		t.Errorf("%v %q", g, p.String())
	}
	for _, c := range []struct {
		p       Peak
		threads int
		why     string
	}{
		{Peak{Runs: 7, Spread: 0.05, Busy: 0.9}, 2, ""},
		{Peak{Runs: 7, Spread: 0.05}, 2, ""}, // a GPU: no load figure
		{Peak{Runs: 7, Spread: 0.4, Busy: 0.5}, 3, "its 7 rounds spread 40 % (limit 10 %); the machine was busy: the calibration got 50 % of its threads' time (limit 85 %); 3 threads on 2 CPUs take turns"},
	} {
		if ok, why := c.p.Trusted(c.threads, 2); ok != (c.why == "") || why != c.why {
			t.Errorf("%+v: %v %q, want %q", c.p, ok, why, c.why)
		}
	}
}
