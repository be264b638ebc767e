package sweep

import (
	"fmt"
	"slices"
	"time"

	"infertop/internal/units"
	"infertop/runner"
	"infertop/serve"
)

// Defaults of a serving search (ServeSearch).
const (
	// DefaultServeTolerance ends a configuration's bisection once the
	// bracket between a rate that meets the SLO and one that does not is
	// within 3 % of the failing rate.
	DefaultServeTolerance = 0.03
	// DefaultServePoints bounds the open-loop points of one configuration
	// (the capacity run not counted).
	DefaultServePoints = 8
	// capacityClients is how many closed-loop clients per request a batch
	// holds the capacity run keeps in flight: twice what every instance
	// can take at once, so that none ever waits for work.
	capacityClients = 2
)

// ServeSetting is one configuration of the dynamic batcher a serving search
// tries: Triton's max_batch_size, max_queue_delay_microseconds and
// instance_group count.
type ServeSetting struct {
	MaxBatch int `json:"max_batch"`
	// MaxDelayUS is the max queue delay in microseconds, as Triton's
	// configuration writes it.
	MaxDelayUS int64 `json:"max_delay_us"`
	Instances  int   `json:"instances"`
}

// MaxDelay is the setting's max queue delay.
func (s ServeSetting) MaxDelay() time.Duration { return time.Duration(s.MaxDelayUS) * time.Microsecond }

// String is the setting in a few words: "max batch 8, max delay 1ms, 2 instances".
func (s ServeSetting) String() string {
	inst := "1 instance"
	if s.Instances != 1 {
		inst = fmt.Sprintf("%d instances", s.Instances)
	}
	return fmt.Sprintf("max batch %d, max delay %s, %s", s.MaxBatch, s.MaxDelay(), inst)
}

// Policy is base (the request size, preferred sizes and queue limit the
// search keeps) with the setting's max batch and delay. Preferred sizes
// above the max batch are left out: a smaller configuration cannot form
// them.
func (s ServeSetting) Policy(base serve.Policy) serve.Policy {
	p := base
	p.MaxBatch, p.MaxDelay = s.MaxBatch, s.MaxDelay()
	p.Preferred = nil
	for _, b := range base.Preferred {
		if b <= s.MaxBatch {
			p.Preferred = append(p.Preferred, b)
		}
	}
	return p
}

// ServeGrid is the configurations a serving search tries: every max batch
// with every max delay and every instance count.
type ServeGrid struct {
	MaxBatches []int
	MaxDelays  []time.Duration
	Instances  []int
}

// Settings lists the grid's configurations, instances outermost, then max
// batch, then delay. A max batch that holds a single request never waits
// for a batch to fill, so it is tried with no delay only.
func (g ServeGrid) Settings(requestSize int) []ServeSetting {
	var out []ServeSetting
	for _, n := range g.Instances {
		for _, b := range g.MaxBatches {
			for _, d := range g.MaxDelays {
				s := ServeSetting{MaxBatch: b, MaxDelayUS: d.Microseconds(), Instances: n}
				if b < 2*max(1, requestSize) {
					s.MaxDelayUS = 0
				}
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// Check says what is wrong with the grid, or nil: an empty list, a max
// batch under 1, a negative or too long delay, an instance count out of range.
func (g ServeGrid) Check() error {
	switch {
	case len(g.MaxBatches) == 0:
		return fmt.Errorf("no max batch to try")
	case len(g.MaxDelays) == 0:
		return fmt.Errorf("no max delay to try")
	case len(g.Instances) == 0:
		return fmt.Errorf("no instance count to try")
	}
	for _, b := range g.MaxBatches {
		if b < 1 {
			return fmt.Errorf("max batch %d: at least 1", b)
		}
	}
	for _, d := range g.MaxDelays {
		if d < 0 || d > serve.MaxDelayLimit {
			return fmt.Errorf("max delay %s: from 0 to %s", d, serve.MaxDelayLimit)
		}
	}
	for _, n := range g.Instances {
		if n < 1 || n > runner.MaxInstances {
			return fmt.Errorf("instances %d: from 1 to %d", n, runner.MaxInstances)
		}
	}
	return nil
}

// ServePoint is one open-loop run of a configuration at one rate.
type ServePoint struct {
	// RateRPS is the arrival rate asked for (requests per second);
	// OfferedRPS the arrivals measured, AchievedRPS the answers.
	RateRPS     float64 `json:"rate_rps"`
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	// P50MS and P99MS are the requests' end-to-end latencies, each from
	// its scheduled arrival.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	// Requests were answered, Rejected turned away by a full queue.
	Requests int64 `json:"requests"`
	Rejected int64 `json:"rejected"`
	// Saturated is the runner's saturation rule (the queue grew while
	// answers fell behind arrivals, or a full queue rejected requests).
	Saturated bool `json:"saturated"`
	// Stable says the window rule held when the point ended; otherwise the
	// time cap ended it.
	Stable bool `json:"stable"`
	// MeetsSLO says the point counts as meeting the objective; Why says why
	// not when it does not.
	MeetsSLO bool   `json:"meets_slo"`
	Why      string `json:"why,omitempty"`
	// Utilization is the instances' mean busy share of the measured time.
	Utilization float64 `json:"utilization"`
	// MeanBatch is the mean samples per dispatched batch; BatchMix how many
	// batches of each size were dispatched.
	MeanBatch float64      `json:"mean_batch"`
	BatchMix  []BatchShare `json:"batch_mix"`
}

// BatchShare is how many of a point's batches held Size samples, and their
// share of all its batches.
type BatchShare struct {
	Size    int     `json:"size"`
	Batches int64   `json:"batches"`
	Share   float64 `json:"share"`
}

// ServeConfigResult is what the search found for one configuration.
type ServeConfigResult struct {
	ServeSetting
	// CapacityRPS is the requests per second the closed-loop capacity run
	// achieved: the rate no open loop can sustain, where the bisection's
	// bracket starts.
	CapacityRPS float64 `json:"capacity_rps"`
	// Points are the open-loop points in the order they ran.
	Points []ServePoint `json:"points"`
	// Best is the index in Points of the highest rate that met the SLO (-1:
	// none did).
	Best int `json:"best"`
	// LoRPS and HiRPS are the final bracket: the best rate that met the
	// SLO (0 when none did) and the lowest that did not.
	LoRPS float64 `json:"lo_rps"`
	HiRPS float64 `json:"hi_rps"`
	// Done says the bisection ended (bracket within the tolerance, or the
	// point bound); false when the search was interrupted in it.
	Done bool `json:"done"`
	// Text says what was found in a sentence.
	Text string `json:"text"`
	// Error is why a run of the configuration failed and ended it ("": none).
	Error string `json:"error,omitempty"`
}

// BestPoint is the highest-rate point that met the SLO, or nil.
func (c ServeConfigResult) BestPoint() *ServePoint {
	if c.Best < 0 || c.Best >= len(c.Points) {
		return nil
	}
	return &c.Points[c.Best]
}

// BestRPS is the highest rate that met the SLO (0: none).
func (c ServeConfigResult) BestRPS() float64 {
	if p := c.BestPoint(); p != nil {
		return p.RateRPS
	}
	return 0
}

// ServeRecommendation is the configuration a serving search recommends.
type ServeRecommendation struct {
	// Index is the configuration's index in ServeResult.Configs (-1: none).
	Index int `json:"index"`
	// Setting and RateRPS repeat it and its best rate.
	Setting ServeSetting `json:"setting"`
	RateRPS float64      `json:"rate_rps"`
	// Why says why in a sentence.
	Why string `json:"why"`
}

// ServeResult is a whole serving search.
type ServeResult struct {
	// Arrival is the arrival kind searched ("poisson" or "constant").
	Arrival string `json:"arrival"`
	// SLOMS is the p99 objective in milliseconds.
	SLOMS float64 `json:"slo_p99_ms"`
	// RequestSize, Preferred and QueueLimit are the batcher's settings
	// every configuration shares.
	RequestSize int   `json:"request_size"`
	Preferred   []int `json:"preferred_batch,omitempty"`
	QueueLimit  int   `json:"queue_limit,omitempty"`
	// Tolerance is the relative bracket width that ends a bisection.
	Tolerance float64             `json:"tolerance"`
	Configs   []ServeConfigResult `json:"configs"`
	Rec       ServeRecommendation `json:"recommendation"`
	// Interrupted says the context ended the search; what was measured is kept.
	Interrupted bool     `json:"interrupted"`
	Notes       []string `json:"notes"`
}

// Recommended is the recommended configuration, or nil.
func (r ServeResult) Recommended() *ServeConfigResult {
	if r.Rec.Index < 0 || r.Rec.Index >= len(r.Configs) {
		return nil
	}
	return &r.Configs[r.Rec.Index]
}

// clone copies r deeply enough for a progress callback to keep it.
func (r ServeResult) clone() ServeResult {
	c := r
	c.Configs = make([]ServeConfigResult, len(r.Configs))
	for i, cr := range r.Configs {
		cr.Points = slices.Clone(cr.Points)
		c.Configs[i] = cr
	}
	c.Notes = slices.Clone(r.Notes)
	c.Preferred = slices.Clone(r.Preferred)
	return c
}

// MSText writes milliseconds as the serving search's sentences and tables
// do, never with an exponent: "20 ms", "1000 ms", "0.25 ms".
func MSText(v float64) string { return units.Rate(v, 3) + " ms" }
