// Package sweep answers "which batch size should I use, and what does the
// other device buy me?": it measures a model at growing batch sizes until a
// stop rule holds, finds the out-of-memory edge by bisection, fits a linear
// memory model, recommends a batch and says why, and races two configurations
// in alternating windows. It is device-neutral and never draws: measurements
// come from a Prober (the runner in the program, fakes in tests) and results
// go to report and ui.
//
// It never imports onnx, session, report, record, metrics, ui or cli.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/runner"
)

// Defaults of Config.
const (
	// DefaultMinGain is the throughput gain below which a doubling is "not worth it" (5 %).
	DefaultMinGain = 0.05
	// DefaultMaxBatch bounds the powers of two when no list is given.
	DefaultMaxBatch = 1 << 24
	// StopAfter is how many batches in a row must break the SLO, or gain less
	// than MinGain, before the sweep stops.
	StopAfter = 2
)

// Point is one measured batch size.
type Point struct {
	Batch         int     `json:"batch"`
	SamplesPerSec float64 `json:"samples_per_sec"`
	P50MS         float64 `json:"p50_ms"`
	P99MS         float64 `json:"p99_ms"`
	GFLOPS        float64 `json:"gflops"`
	// EngineBytes is what the engine holds (host plus device); RSSBytes the
	// process's resident set at the end of the measurement (0 when unknown).
	EngineBytes int64 `json:"engine_bytes"`
	RSSBytes    int64 `json:"rss_bytes"`
	// EstimateBytes is the memory estimate the fit check compared with the
	// limit (the CPU's edge, runner.MemoryEstimate; 0 when none was made).
	EstimateBytes int64 `json:"estimate_bytes,omitempty"`
	// DeviceUsedBytes is what NVML reports used on the run's GPUs at the end
	// of the measurement (0 for CPU runs or without NVML): the engine's share
	// plus the CUDA context and every other process.
	DeviceUsedBytes int64 `json:"device_used_bytes,omitempty"`
	// Stable says both stability rules held; otherwise the time cap ended the
	// measurement and the point is flagged unstable.
	Stable bool `json:"stable"`
	// Noise is the relative throughput spread of the last windows measured
	// (the stability rule's spread): changes smaller than this are noise.
	Noise float64 `json:"noise"`
	// Batches is how many batches were measured.
	Batches int64 `json:"batches"`
	// Energy is the device's energy per sample over the point's measured
	// windows whose energy is known (the runner's OverallEnergy at the
	// point's end); omitted while unknown (no counter).
	Energy runner.Energy `json:"energy,omitzero"`
}

// UsedMemory is the point's memory beyond the engine's, as the tables show
// it: NVML's used memory marked "(NVML)", else the process's RSS, else "-".
func (p Point) UsedMemory() string {
	switch {
	case p.DeviceUsedBytes > 0:
		return units.Bytes(p.DeviceUsedBytes) + " (NVML)"
	case p.RSSBytes > 0:
		return units.Bytes(p.RSSBytes)
	}
	return "-"
}

// Prober measures one batch size. Both calls return an error wrapping
// engine.ErrOutOfMemory when the batch does not fit.
type Prober interface {
	// Fits checks that batch fits without measuring it.
	Fits(ctx context.Context, batch int) error
	// Measure warms up and measures batch until stable or its time cap.
	Measure(ctx context.Context, batch int) (Point, error)
}

// Config says which batches to try and when to stop.
type Config struct {
	// Batches is an increasing list to try; nil tries powers of two from 1.
	Batches []int
	// MaxBatch bounds the powers of two (default DefaultMaxBatch).
	MaxBatch int
	// SLOP99 is the latency objective; 0 means none.
	SLOP99 time.Duration
	// MinGain is the least worthwhile gain of a doubling (default 5 %).
	MinGain float64
	// MemLimit is the memory the engine may use, in bytes (0 when unknown): the
	// fit predicts the out-of-memory batch and the headroom against it.
	MemLimit int64
	// EstimateEdge says the out-of-memory edge comes from the engine's memory
	// estimate against MemLimit rather than a real allocation failure (the
	// CPU, where a real out-of-memory kills the process).
	EstimateEdge bool
	// Notes are sentences the result carries from the start (that a
	// fixed-batch model sweeps its batch only, say).
	Notes []string
	// Progress, when set, is called after every step with the result so far
	// and a line saying what happens next.
	Progress func(r Result, status string)
}

// StopReason says why a sweep ended.
type StopReason string

// The reasons a sweep ends.
const (
	StopList        StopReason = "list"          // every listed batch was measured
	StopMaxBatch    StopReason = "max-batch"     // the next power of two is above MaxBatch
	StopOOM         StopReason = "out-of-memory" // the next batch does not fit
	StopSLO         StopReason = "slo"           // p99 above the SLO twice in a row
	StopGain        StopReason = "gain"          // under MinGain twice in a row
	StopInterrupted StopReason = "interrupted"   // the context ended
)

// Result is a whole sweep.
type Result struct {
	Points []Point    `json:"points"`
	Stop   StopReason `json:"stop"`
	// StopText says why in a sentence.
	StopText string  `json:"stop_text"`
	SLOMS    float64 `json:"slo_p99_ms"`
	MemLimit int64   `json:"mem_limit_bytes"`
	// Edge is set when a batch did not fit.
	Edge *Edge `json:"oom_edge,omitempty"`
	// Fit is the memory model, when two batch sizes were measured.
	Fit *Fit `json:"memory_fit,omitempty"`
	// Rec is the recommendation (Batch 0 when none).
	Rec Recommendation `json:"recommendation"`
	// Notes are sentences a reader must see (e.g. how the CPU edge is found).
	Notes []string `json:"notes"`
}

// Interrupted reports whether the sweep was cut short by its context.
func (r Result) Interrupted() bool { return r.Stop == StopInterrupted }

// CPUEdgeNote says how the out-of-memory edge is found on the CPU.
const CPUEdgeNote = "on the CPU the out-of-memory edge is the memory estimate against the RAM limit, " +
	"since a real out-of-memory would kill the process"

// Run sweeps with p until a stop rule holds or ctx ends; the result holds
// everything measured so far even then. An error other than out-of-memory
// ends the sweep and is returned beside the partial result.
func Run(ctx context.Context, cfg Config, p Prober) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	s := &state{cfg: cfg, p: p, res: Result{SLOMS: units.MS(cfg.SLOP99), MemLimit: cfg.MemLimit, Notes: []string{}}}
	if cfg.EstimateEdge {
		s.res.Notes = append(s.res.Notes, CPUEdgeNote)
	}
	s.res.Notes = append(s.res.Notes, cfg.Notes...)
	err := s.loop(ctx)
	s.finish()
	return s.res, err
}

func (c *Config) check() error {
	if c.MinGain == 0 {
		c.MinGain = DefaultMinGain
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.SLOP99 < 0 || c.MinGain < 0 {
		return errors.New("sweep: SLO and gain must not be negative")
	}
	return CheckBatches(c.Batches)
}

// CheckBatches refuses a list that is empty (but not nil), holds a batch below
// 1, or does not increase strictly.
func CheckBatches(b []int) error {
	if b != nil && len(b) == 0 {
		return errors.New("empty batch list")
	}
	for i, n := range b {
		if n < 1 {
			return fmt.Errorf("batch %d must be at least 1", n)
		}
		if i > 0 && n <= b[i-1] {
			return fmt.Errorf("batch list must increase: %d follows %d", n, b[i-1])
		}
	}
	return nil
}

type state struct {
	cfg             Config
	p               Prober
	res             Result
	sloBad, lowGain int
	lastGood        int
	prev            *Point
}

// next returns the i-th batch to try, or a stop.
func (s *state) next(i int) (int, StopReason) {
	if s.cfg.Batches != nil {
		if i >= len(s.cfg.Batches) {
			return 0, StopList
		}
		return s.cfg.Batches[i], ""
	}
	if i > 30 || 1<<i > s.cfg.MaxBatch {
		return 0, StopMaxBatch
	}
	return 1 << i, ""
}

func (s *state) loop(ctx context.Context) error {
	for i := 0; ; i++ {
		b, stop := s.next(i)
		if stop != "" {
			s.stop(stop, stopSentence(stop, s.lastGood))
			return nil
		}
		s.progress(fmt.Sprintf("measuring batch %d", b))
		pt, err := s.p.Measure(ctx, b)
		if ctx.Err() != nil {
			s.stop(StopInterrupted, fmt.Sprintf("interrupted while measuring batch %d", b))
			return nil
		}
		if errors.Is(err, engine.ErrOutOfMemory) {
			return s.outOfMemory(ctx, b, err)
		}
		if err != nil {
			s.stop(StopInterrupted, fmt.Sprintf("batch %d failed: %v", b, err))
			return fmt.Errorf("measuring batch %d: %w", b, err)
		}
		pt.Batch = b
		s.add(pt)
		if s.rules(pt) {
			return nil
		}
	}
}

// add appends a measured point and the fit and recommendation so far.
func (s *state) add(pt Point) {
	s.res.Points = append(s.res.Points, pt)
	s.lastGood = pt.Batch
	s.finish()
}

// rules applies the SLO and gain stops after pt; true means stop.
func (s *state) rules(pt Point) bool {
	defer func() { p := pt; s.prev = &p }()
	if slo := units.MS(s.cfg.SLOP99); slo > 0 && pt.P99MS > slo {
		s.sloBad++
	} else {
		s.sloBad = 0
	}
	if s.sloBad >= StopAfter {
		s.stop(StopSLO, fmt.Sprintf("p99 was above the %s SLO at %d batches in a row", units.FormatMS(units.MS(s.cfg.SLOP99)), StopAfter))
		return true
	}
	if s.cfg.Batches == nil && s.prev != nil {
		if gain(s.prev.SamplesPerSec, pt.SamplesPerSec) < s.cfg.MinGain {
			s.lowGain++
		} else {
			s.lowGain = 0
		}
		if s.lowGain >= StopAfter {
			s.stop(StopGain, fmt.Sprintf("throughput gained under %.0f %% for %d doublings in a row", 100*s.cfg.MinGain, StopAfter))
			return true
		}
	}
	s.progress("")
	return false
}

func (s *state) stop(r StopReason, text string) {
	s.res.Stop, s.res.StopText = r, text
}

func (s *state) progress(status string) {
	if s.cfg.Progress != nil {
		s.finish()
		s.cfg.Progress(s.res.clone(), status)
	}
}

// finish computes the fit and the recommendation from the points so far.
// finish fits the memory model and recommends. The model fits what the
// out-of-memory edge is judged by: on the CPU the memory estimate, elsewhere
// the engine's own bytes; so its prediction never contradicts the edge,
// and once the bisection has found the edge, the edge is the prediction.
func (s *state) finish() {
	if s.cfg.EstimateEdge {
		s.res.Fit = FitMemoryOf(s.res.Points, s.cfg.MemLimit, OfEstimate)
	} else {
		s.res.Fit = FitMemory(s.res.Points, s.cfg.MemLimit)
	}
	if f, e := s.res.Fit, s.res.Edge; f != nil && e != nil && e.Largest > 0 && e.Failed > e.Largest && f.Limit > 0 {
		f.PredictedOOM, f.FromEdge = e.Largest+1, true
	}
	s.res.Rec = Recommend(s.res.Points, s.cfg.SLOP99, s.cfg.MinGain, s.res.Fit, s.cfg.MemLimit)
}

func (r Result) clone() Result {
	c := r
	c.Points = append([]Point(nil), r.Points...)
	c.Notes = append([]string(nil), r.Notes...)
	if r.Edge != nil {
		e := *r.Edge
		c.Edge = &e
	}
	if r.Fit != nil {
		f := *r.Fit
		c.Fit = &f
	}
	return c
}

func stopSentence(r StopReason, last int) string {
	if r == StopList {
		return "every listed batch was measured"
	}
	return fmt.Sprintf("the next power of two after %d is above the largest batch allowed", last)
}

// gain is the relative throughput change from a to b.
func gain(a, b float64) float64 {
	if a <= 0 {
		return 0
	}
	return b/a - 1
}
