package sweep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"infertop/internal/units"
	"infertop/runner"
	"infertop/serve"
)

// firstSplit is where the first open-loop point of a configuration lies,
// as a share of its closed-loop capacity: a loose SLO puts the answer near
// capacity, where a first split at 90 % brackets it in three points.
const firstSplit = 0.9

// ServeProber runs one point of a serving search.
type ServeProber interface {
	// Serve serves with setting s and arrival a until the point is stable
	// (the window rule), saturated, or at its time cap, and returns the
	// run's final snapshot (Serving set).
	Serve(ctx context.Context, s ServeSetting, a serve.Arrival) (runner.Snapshot, error)
}

// ServeSearch finds, for each configuration of a grid, the highest request
// rate whose p99 latency meets an objective: a closed-loop run measures
// the configuration's capacity, then the open-loop rate is bisected
// between a rate that meets the SLO and one that does not.
type ServeSearch struct {
	Grid ServeGrid
	// Arrival is the open-loop kind searched (serve.Poisson by default, or
	// serve.Constant).
	Arrival serve.ArrivalKind
	// Policy holds what every configuration shares: RequestSize, Preferred
	// and QueueLimit (the grid sets MaxBatch and MaxDelay).
	Policy serve.Policy
	// SLOP99 is the objective (required).
	SLOP99 time.Duration
	// Tolerance ends a bisection once the bracket is within this share of
	// its failing end (default DefaultServeTolerance).
	Tolerance float64
	// MaxPoints bounds one configuration's open-loop points (default
	// DefaultServePoints).
	MaxPoints int
	// Notes are sentences the result carries from the start.
	Notes []string
	// Progress, when set, is called after every point with the result so
	// far and a line saying what runs next ("" after the last).
	Progress func(r ServeResult, status string)
}

// Settings are the configurations the search tries, in order.
func (c ServeSearch) Settings() []ServeSetting { return c.Grid.Settings(c.Policy.RequestSize) }

// EstimatePoints is how many runs the search makes at most: per
// configuration a capacity run and MaxPoints open-loop points.
func (c ServeSearch) EstimatePoints() int {
	c.defaults()
	return len(c.Settings()) * (1 + c.MaxPoints)
}

func (c *ServeSearch) defaults() {
	if c.Arrival == serve.Closed {
		c.Arrival = serve.Poisson
	}
	if c.Tolerance <= 0 {
		c.Tolerance = DefaultServeTolerance
	}
	if c.MaxPoints <= 0 {
		c.MaxPoints = DefaultServePoints
	}
	if c.Policy.RequestSize <= 0 {
		c.Policy.RequestSize = 1
	}
}

func (c *ServeSearch) check() error {
	c.defaults()
	switch {
	case c.SLOP99 <= 0:
		return errors.New("sweep: a serving search needs a p99 objective")
	case c.Arrival != serve.Poisson && c.Arrival != serve.Constant:
		return fmt.Errorf("sweep: a serving search varies the rate of poisson or constant arrivals, not %s", c.Arrival)
	}
	return c.Grid.Check()
}

// Run searches every configuration in turn with p. When ctx ends, the
// result keeps every point measured so far and says it was interrupted.
// A run that fails (an instance that does not open at a large max batch,
// say) ends its configuration, which keeps the error, and the search goes
// on with the next; the failures are returned together beside the result.
func (c ServeSearch) Run(ctx context.Context, p ServeProber) (ServeResult, error) {
	if err := c.check(); err != nil {
		return ServeResult{}, err
	}
	s := &serveState{cfg: c, p: p, res: ServeResult{Arrival: c.Arrival.String(), SLOMS: units.MS(c.SLOP99),
		RequestSize: c.Policy.RequestSize, Preferred: c.Policy.Preferred, QueueLimit: c.Policy.QueueLimit,
		Tolerance: c.Tolerance, Configs: []ServeConfigResult{}, Notes: append([]string{}, c.Notes...)}}
	s.res.Rec = RecommendServe(s.res.Configs, c.Tolerance, c.SLOP99)
	var errs []error
	for _, set := range c.Settings() {
		if err := s.search(ctx, set); err != nil {
			errs = append(errs, err)
		}
		if s.res.Interrupted {
			break
		}
	}
	s.res.Rec = RecommendServe(s.res.Configs, c.Tolerance, c.SLOP99)
	s.progress("")
	return s.res, errors.Join(errs...)
}

type serveState struct {
	cfg ServeSearch
	p   ServeProber
	res ServeResult
}

// cur is the configuration being searched.
func (s *serveState) cur() *ServeConfigResult { return &s.res.Configs[len(s.res.Configs)-1] }

// search measures one configuration's capacity and bisects its rate.
func (s *serveState) search(ctx context.Context, set ServeSetting) error {
	s.res.Configs = append(s.res.Configs, ServeConfigResult{ServeSetting: set, Best: -1, Points: []ServePoint{}})
	clients := capacityClients * set.Instances * max(1, set.MaxBatch/s.cfg.Policy.RequestSize)
	s.progress(fmt.Sprintf("%s: capacity with %d closed-loop clients", set, clients))
	snap, err := s.p.Serve(ctx, set, serve.Arrival{Kind: serve.Clients, Clients: clients})
	if s.interrupted(ctx, "while measuring its capacity") {
		return nil
	}
	if err != nil {
		return s.failed(fmt.Errorf("%s: capacity: %w", set, err))
	}
	c := s.cur()
	if snap.Serving != nil {
		c.CapacityRPS = snap.Serving.OverallAchieved
	}
	if !(c.CapacityRPS > 0) {
		c.Done, c.Text = true, "the capacity run answered no request"
		s.progress("")
		return nil
	}
	c.HiRPS = c.CapacityRPS
	for len(c.Points) < s.cfg.MaxPoints && c.HiRPS-c.LoRPS > s.cfg.Tolerance*c.HiRPS {
		rate := (c.LoRPS + c.HiRPS) / 2
		if len(c.Points) == 0 {
			rate = firstSplit * c.CapacityRPS
		}
		s.progress(fmt.Sprintf("%s: %s at %s req/s", set, s.cfg.Arrival, units.Rate(rate, 4)))
		snap, err := s.p.Serve(ctx, set, serve.Arrival{Kind: s.cfg.Arrival, Rate: rate})
		if s.interrupted(ctx, fmt.Sprintf("at %s req/s", units.Rate(rate, 4))) {
			return nil
		}
		if err != nil {
			return s.failed(fmt.Errorf("%s at %s req/s: %w", set, units.Rate(rate, 4), err))
		}
		pt := ServePointOf(snap, rate, s.cfg.SLOP99)
		c.Points = append(c.Points, pt)
		if pt.MeetsSLO {
			c.LoRPS, c.Best = rate, len(c.Points)-1
		} else {
			c.HiRPS = rate
		}
		c.Text = configText(*c, s.cfg.SLOP99)
		s.res.Rec = RecommendServe(s.res.Configs, s.cfg.Tolerance, s.cfg.SLOP99)
		s.progress("")
	}
	c.Done, c.Text = true, configText(*c, s.cfg.SLOP99)
	s.res.Rec = RecommendServe(s.res.Configs, s.cfg.Tolerance, s.cfg.SLOP99)
	return nil
}

// failed ends the current configuration with err.
func (s *serveState) failed(err error) error {
	c := s.cur()
	c.Done, c.Error = true, err.Error()
	c.Text = fmt.Sprintf("failed: %v; %s", err, configText(*c, s.cfg.SLOP99))
	s.progress("")
	return err
}

// interrupted marks the search interrupted when ctx has ended.
func (s *serveState) interrupted(ctx context.Context, where string) bool {
	if ctx.Err() == nil {
		return false
	}
	s.res.Interrupted = true
	c := s.cur()
	c.Text = fmt.Sprintf("interrupted %s; %s", where, configText(*c, s.cfg.SLOP99))
	return true
}

func (s *serveState) progress(status string) {
	if s.cfg.Progress != nil {
		s.cfg.Progress(s.res.clone(), status)
	}
}

// configText says what a configuration's search found.
func configText(c ServeConfigResult, slo time.Duration) string {
	sloText := MSText(units.MS(slo))
	var fail *ServePoint
	for i := range c.Points {
		if p := &c.Points[i]; !p.MeetsSLO && p.RateRPS == c.HiRPS {
			fail = p
		}
	}
	above := fmt.Sprintf("; the closed-loop capacity is %s req/s", units.Rate(c.CapacityRPS, 4))
	if fail != nil {
		above = fmt.Sprintf("; at %s req/s %s", units.Rate(fail.RateRPS, 4), fail.Why)
	}
	if b := c.BestPoint(); b != nil {
		return fmt.Sprintf("meets the %s p99 SLO up to %s req/s (p99 %s there)%s", sloText, units.Rate(b.RateRPS, 4),
			MSText(b.P99MS), above)
	}
	if len(c.Points) == 0 {
		return fmt.Sprintf("no open-loop point measured%s", above)
	}
	return fmt.Sprintf("never met the %s p99 SLO: down to %s req/s%s", sloText, units.Rate(c.HiRPS, 4), above)
}

// ServePointOf takes an open-loop point's figures from its run's final
// snapshot at rate and judges it against slo: it fails when a full queue
// rejected requests, when the run was saturated (the runner's rule, which
// asks for busy instances), when nothing was answered, or when its p99 is
// above the SLO.
func ServePointOf(s runner.Snapshot, rate float64, slo time.Duration) ServePoint {
	pt := ServePoint{RateRPS: rate, P50MS: units.MS(s.Latency.P50), P99MS: units.MS(s.Latency.P99), Stable: s.Stability.Windows,
		BatchMix: []BatchShare{}}
	sv := s.Serving
	if sv == nil {
		pt.Why = "the run measured no serving figures"
		return pt
	}
	pt.OfferedRPS, pt.AchievedRPS = sv.OverallOffered, sv.OverallAchieved
	pt.Requests, pt.Rejected, pt.Saturated = sv.Requests, sv.Rejected, sv.Saturated
	for _, in := range sv.Instances {
		pt.Utilization += in.Utilization / float64(len(sv.Instances))
	}
	var batches, samples int64
	for _, b := range sv.Batches {
		batches += b.Count
		samples += b.Count * int64(b.Size)
	}
	for _, b := range sv.Batches {
		pt.BatchMix = append(pt.BatchMix, BatchShare{Size: b.Size, Batches: b.Count, Share: float64(b.Count) / float64(batches)})
	}
	if batches > 0 {
		pt.MeanBatch = float64(samples) / float64(batches)
	}
	switch {
	case sv.Rejected > 0:
		pt.Why = fmt.Sprintf("a full queue turned away %d requests", sv.Rejected)
	case sv.Saturated:
		pt.Why = "saturated: " + sv.SaturationWhy
	case sv.Requests == 0:
		pt.Why = "no request was answered"
	case s.Latency.P99 > slo:
		pt.Why = fmt.Sprintf("p99 %s is above the SLO", MSText(pt.P99MS))
	default:
		pt.MeetsSLO = true
	}
	return pt
}
