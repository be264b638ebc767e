package serve

import (
	"strings"
	"testing"
	"time"
)

func TestParseArrival(t *testing.T) {
	good := []struct {
		in   string
		want Arrival
	}{
		{"closed", Arrival{Kind: Closed}},
		{"poisson:2000", Arrival{Kind: Poisson, Rate: 2000}},
		{"Poisson:1.5e3/s", Arrival{Kind: Poisson, Rate: 1500}},
		{"constant:500", Arrival{Kind: Constant, Rate: 500}},
		{"clients:8", Arrival{Kind: Clients, Clients: 8}},
	}
	for _, c := range good {
		got, err := ParseArrival(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseArrival(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if again, err := ParseArrival(got.String()); err != nil || again != got {
			t.Errorf("%q does not read back: %+v, %v", got.String(), again, err)
		}
	}
	bad := map[string]string{
		"poisson":      "needs a rate in requests per second",
		"poisson:0":    "above 0",
		"poisson:-3":   "above 0",
		"constant:abc": "above 0",
		"clients:0":    "from 1 to 65536",
		"clients":      "from 1 to 65536",
		"closed:3":     "takes no argument",
		"burst:10":     "accepted: closed, poisson:RATE",
	}
	for in, want := range bad {
		if _, err := ParseArrival(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseArrival(%q) = %v; want an error with %q", in, err, want)
		}
	}
}

func TestScheduleIsSeededAndHasItsRate(t *testing.T) {
	start := time.Unix(0, 0)
	for _, kind := range []ArrivalKind{Poisson, Constant} {
		a := Arrival{Kind: kind, Rate: 2000}
		s1, s2 := NewSchedule(a, 7, start), NewSchedule(a, 7, start)
		var last time.Time
		const n = 200000
		for i := range n {
			t1, t2 := s1.Pop(), s2.Pop()
			if !t1.Equal(t2) {
				t.Fatalf("%v: arrival %d differs between two schedules of one seed: %v, %v", kind, i, t1, t2)
			}
			last = t1
		}
		rate := n / last.Sub(start).Seconds()
		if rate < 1980 || rate > 2020 {
			t.Errorf("%v: %d arrivals at %.1f req/s; want 2000 ± 1 %%", kind, n, rate)
		}
	}
	c := NewSchedule(Arrival{Kind: Constant, Rate: 1000}, 1, start)
	if first, second := c.Pop(), c.Pop(); second.Sub(first) != time.Millisecond {
		t.Errorf("constant 1000/s gap = %v; want 1ms", second.Sub(first))
	}
	c.SetRate(100, start.Add(time.Second))
	if got := c.Peek(); !got.Equal(start.Add(time.Second + 10*time.Millisecond)) {
		t.Errorf("after SetRate(100) at 1s the next arrival is %v; want 1.01s", got.Sub(start))
	}
}

func TestPolicyValidate(t *testing.T) {
	base := Policy{MaxBatch: 32, MaxDelay: time.Millisecond, RequestSize: 1}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mod  func(*Policy)
		want string
	}{
		{func(p *Policy) { p.MaxBatch = 0 }, "max batch 0: a whole number of samples from 1 to"},
		{func(p *Policy) { p.MaxDelay = -1 }, "max delay -1ns: from 0"},
		{func(p *Policy) { p.MaxDelay = time.Minute }, "max delay 1m0s"},
		{func(p *Policy) { p.RequestSize = 64 }, "request size 64: from 1 to the max batch (32)"},
		{func(p *Policy) { p.QueueLimit = -1 }, "queue limit -1"},
		{func(p *Policy) { p.Preferred = []int{8, 64} }, "preferred batch 64: from 1 to the max batch (32)"},
		{func(p *Policy) { p.Preferred = []int{16, 8} }, "list them once each, ascending"},
		{func(p *Policy) { p.RequestSize = 4; p.Preferred = []int{6} }, "not a multiple of the request size (4 samples)"},
	}
	for _, c := range cases {
		p := base
		c.mod(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v; want %q", p, err, c.want)
		}
	}
}

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes(" 16,8, 32,8")
	if err != nil || FormatSizes(got) != "8,16,32" {
		t.Errorf("ParseSizes = %v, %v; want 8,16,32", got, err)
	}
	if _, err := ParseSizes("8,x"); err == nil || !strings.Contains(err.Error(), "e.g. 8,16,32") {
		t.Errorf("ParseSizes(8,x) = %v", err)
	}
}

func TestPolicyTake(t *testing.T) {
	ms := time.Millisecond
	plain := Policy{MaxBatch: 8, MaxDelay: 2 * ms, RequestSize: 1}
	pref := Policy{MaxBatch: 16, MaxDelay: 2 * ms, Preferred: []int{4, 8}, RequestSize: 1}
	now := Policy{MaxBatch: 8, RequestSize: 1}
	big := Policy{MaxBatch: 16, MaxDelay: 2 * ms, RequestSize: 4}
	cases := []struct {
		name     string
		p        Policy
		queued   int
		waited   time.Duration
		want     int
		wantWait time.Duration
	}{
		{"empty queue", plain, 0, 0, 0, 0},
		{"holds for the delay", plain, 3, ms / 2, 0, 3 * ms / 2},
		{"delay over: what is queued", plain, 3, 2 * ms, 3, 0},
		{"full batch goes at once", plain, 8, 0, 8, 0},
		{"more than a batch: a max batch", plain, 20, 0, 8, 0},
		{"largest preferred goes at once", pref, 9, 0, 8, 0},
		{"smaller preferred waits", pref, 5, ms, 0, ms},
		{"delay over: largest preferred it fills", pref, 6, 2 * ms, 4, 0},
		{"delay over, under every preferred: all", pref, 3, 3 * ms, 3, 0},
		{"no delay: at once", now, 3, 0, 3, 0},
		{"request size counts samples", big, 4, 0, 4, 0},
		{"request size: holds under a batch", big, 3, 0, 0, 2 * ms},
	}
	for _, c := range cases {
		n, w := c.p.Take(c.queued, c.waited)
		if n != c.want || w != c.wantWait {
			t.Errorf("%s: Take(%d, %v) = %d, %v; want %d, %v", c.name, c.queued, c.waited, n, w, c.want, c.wantWait)
		}
	}
}

func TestPreparedAndRunSizes(t *testing.T) {
	p := Policy{MaxBatch: 32, Preferred: []int{8, 16}, RequestSize: 1}
	if got := FormatSizes(p.PreparedSizes()); got != "8,16,32" {
		t.Errorf("PreparedSizes = %s", got)
	}
	for samples, want := range map[int]int{1: 8, 8: 8, 9: 16, 17: 32, 32: 32} {
		if got := p.RunSize(samples); got != want {
			t.Errorf("RunSize(%d) = %d; want %d", samples, got, want)
		}
	}
}
