// Package serve holds the rules of serving mode that need no engine: how
// requests arrive (closed loop, Poisson or constant rate, N closed-loop
// clients), the arrival schedule drawn ahead of time from a seed, and the
// dynamic batcher's policy (Triton's max_batch_size, max_queue_delay,
// preferred_batch_size). The runner's serving loop applies them; the
// sweep searches over them; nothing here reads a clock or runs a model.
package serve

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// ArrivalKind says how requests arrive.
type ArrivalKind int

// The arrival kinds.
const (
	// Closed runs batches back to back (the closed-loop measurement, no requests).
	Closed ArrivalKind = iota
	// Poisson: requests arrive at a rate, with exponential gaps.
	Poisson
	// Constant: requests arrive at a rate, evenly spaced.
	Constant
	// Clients: N closed-loop clients each send one request and wait for its answer.
	Clients
)

var kindNames = [...]string{"closed", "poisson", "constant", "clients"}

// String is the kind's name on the command line.
func (k ArrivalKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("arrival(%d)", int(k))
	}
	return kindNames[k]
}

// MaxRate bounds an open-loop rate (requests per second): above it the gaps
// fall under the clock's resolution.
const MaxRate = 1e7

// MaxClients bounds the closed-loop clients.
const MaxClients = 1 << 16

// Arrival says how requests arrive: Rate is requests per second for
// Poisson and Constant, Clients the number of clients for Clients.
type Arrival struct {
	Kind    ArrivalKind
	Rate    float64
	Clients int
}

// Open reports whether requests arrive on a schedule (Poisson, Constant)
// rather than in answer to earlier ones.
func (a Arrival) Open() bool { return a.Kind == Poisson || a.Kind == Constant }

// Serving reports whether the arrival is a serving mode (anything but Closed).
func (a Arrival) Serving() bool { return a.Kind != Closed }

// String is the flag's form: "closed", "poisson:2000", "constant:500", "clients:8".
func (a Arrival) String() string {
	switch a.Kind {
	case Poisson, Constant:
		return a.Kind.String() + ":" + strconv.FormatFloat(a.Rate, 'g', -1, 64)
	case Clients:
		return fmt.Sprintf("clients:%d", a.Clients)
	}
	return a.Kind.String()
}

// WithRate returns a with its rate replaced (open-loop kinds only).
func (a Arrival) WithRate(rate float64) Arrival {
	if a.Open() {
		a.Rate = rate
	}
	return a
}

const arrivalForms = `closed, poisson:RATE, constant:RATE (requests per second, e.g. poisson:2000) or clients:N`

// ParseArrival reads --arrival: closed, poisson:RATE, constant:RATE or clients:N.
func ParseArrival(s string) (Arrival, error) {
	name, arg, hasArg := strings.Cut(strings.TrimSpace(s), ":")
	switch strings.ToLower(name) {
	case "closed":
		if hasArg {
			return Arrival{}, fmt.Errorf("arrival %q: closed takes no argument; accepted: %s", s, arrivalForms)
		}
		return Arrival{Kind: Closed}, nil
	case "poisson", "constant":
		kind := Poisson
		if strings.EqualFold(name, "constant") {
			kind = Constant
		}
		if !hasArg {
			return Arrival{}, fmt.Errorf("arrival %q: %s needs a rate in requests per second, e.g. %s:2000", s, kind, kind)
		}
		rate, err := ParseRate(arg)
		if err != nil {
			return Arrival{}, fmt.Errorf("arrival %q: %w", s, err)
		}
		return Arrival{Kind: kind, Rate: rate}, nil
	case "clients":
		n, err := strconv.Atoi(arg)
		if !hasArg || err != nil || n < 1 || n > MaxClients {
			return Arrival{}, fmt.Errorf("arrival %q: clients needs a whole number of clients from 1 to %d, e.g. clients:8", s, MaxClients)
		}
		return Arrival{Kind: Clients, Clients: n}, nil
	}
	return Arrival{}, fmt.Errorf("arrival %q: accepted: %s", s, arrivalForms)
}

// ParseRate reads a rate in requests per second: a positive number up to
// MaxRate, with an optional "/s" (2000, 2e3, 1500.5/s).
func ParseRate(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "/s"), 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > MaxRate {
		return 0, fmt.Errorf("rate %q: a number of requests per second above 0 and at most %g", s, float64(MaxRate))
	}
	return v, nil
}

// Schedule draws the scheduled arrival times of an open-loop arrival,
// ahead of time and from a seed: the n-th time depends only on the seed,
// the rate and when the rate last changed, never on when a reader got
// round to asking. A request's latency is measured from its scheduled
// time, so a stall shows in every request scheduled during it (the
// correction of coordinated omission).
type Schedule struct {
	kind ArrivalKind
	rate float64
	rng  *rand.Rand
	next time.Time
}

// NewSchedule starts an open-loop schedule at start: a Poisson schedule's
// first arrival is one random gap after it, a constant one's one gap after.
// It panics on a closed-loop arrival or a rate that is not positive
// (ParseArrival refuses both).
func NewSchedule(a Arrival, seed uint64, start time.Time) *Schedule {
	if !a.Open() || !(a.Rate > 0) {
		panic(fmt.Sprintf("serve: NewSchedule of %v", a))
	}
	s := &Schedule{kind: a.Kind, rate: a.Rate, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	s.next = start.Add(s.gap())
	return s
}

// gap is the time to the next arrival.
func (s *Schedule) gap() time.Duration {
	mean := float64(time.Second) / s.rate
	if s.kind == Constant {
		return time.Duration(math.Round(mean))
	}
	return time.Duration(math.Round(s.rng.ExpFloat64() * mean))
}

// Peek is the next scheduled arrival.
func (s *Schedule) Peek() time.Time { return s.next }

// Pop returns the next scheduled arrival and draws the one after it.
func (s *Schedule) Pop() time.Time {
	t := s.next
	s.next = t.Add(s.gap())
	return t
}

// Rate is the schedule's rate in requests per second.
func (s *Schedule) Rate() float64 { return s.rate }

// SetRate changes the rate from at on: the next arrival is drawn afresh
// from at (a Poisson process has no memory, so nothing is lost).
func (s *Schedule) SetRate(rate float64, at time.Time) {
	if !(rate > 0) {
		return
	}
	s.rate = rate
	s.next = at.Add(s.gap())
}
