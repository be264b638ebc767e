package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/runner"
)

// DefaultPairs is how many window pairs a compare measures per batch.
const DefaultPairs = 6

// Side is one configuration of a compare.
type Side struct {
	Device string `json:"device"`
	// Threads bounds CPU threads; 0 means all cores.
	Threads int `json:"threads"`
	// Precision is the type a GPU multiplies and convolves in
	// (engine.Options.Precision); absent in JSON for float32.
	Precision engine.Precision `json:"precision,omitzero"`
}

// UnmarshalJSON reads a side, one written before precisions existed
// ("tf32": true) as precision tf32.
func (s *Side) UnmarshalJSON(b []byte) error {
	type plain Side // without this method
	var v struct {
		plain
		TF32 bool `json:"tf32"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Side(v.plain)
	if v.TF32 && s.Precision == engine.FP32 {
		s.Precision = engine.TF32
	}
	return nil
}

// String reads like "cpu ×1 thread", "cpu (all cores)", "cuda:0" or
// "cuda:0 (fp16)".
func (s Side) String() string {
	switch {
	case s.Device != "cpu" && s.Precision != engine.FP32:
		return s.Device + " (" + s.Precision.String() + ")"
	case s.Device != "cpu":
		return s.Device
	case s.Threads == 0:
		return "cpu (all cores)"
	case s.Threads == 1:
		return "cpu ×1 thread"
	}
	return fmt.Sprintf("cpu ×%d threads", s.Threads)
}

// WindowResult is one measured window of one side.
type WindowResult struct {
	Samples  int64
	Duration time.Duration
	// Latencies are the window's per-batch latencies.
	Latencies []time.Duration
	// Energy is the side's device's energy over the window, from its
	// counter read where it started and ended (unknown without one).
	Energy runner.Energy
	// EnergyErr says why reading that counter failed (nil when it was read,
	// or when the side has none); the window's energy is then unknown.
	EnergyErr error
}

// Windower measures the two sides of a compare.
type Windower interface {
	// Prepare readies both sides at batch (and warms them up).
	Prepare(ctx context.Context, batch int) error
	// Window measures one window of side 0 or 1 at the prepared batch.
	Window(ctx context.Context, side int) (WindowResult, error)
}

// SideStats are one side's figures at one batch.
type SideStats struct {
	SamplesPerSec float64 `json:"samples_per_sec"`
	P50MS         float64 `json:"p50_ms"`
	P90MS         float64 `json:"p90_ms"`
	P99MS         float64 `json:"p99_ms"`
	// Count is how many batches the percentiles are taken over.
	Count int `json:"count"`
	// WindowSpread is the largest relative distance of one window's
	// samples/s from the mean of the side's windows at this batch (the
	// runner's stability measure); 0 with fewer than two windows.
	WindowSpread float64 `json:"window_spread"`
	// Energy is the side's device's energy per sample over its windows at
	// this batch whose energy is known; omitted while unknown (no counter).
	Energy runner.Energy `json:"energy,omitzero"`
}

// ComparePoint is the race at one batch.
type ComparePoint struct {
	Batch int       `json:"batch"`
	A     SideStats `json:"a"`
	B     SideStats `json:"b"`
	// SpeedUp is B's samples/s over A's across all windows; Lo and Hi are the
	// smallest and largest ratio of one window pair (its spread).
	SpeedUp float64 `json:"speed_up"`
	Lo      float64 `json:"speed_up_lo"`
	Hi      float64 `json:"speed_up_hi"`
	// Pairs is how many window pairs were measured.
	Pairs int `json:"pairs"`

	samples [2]int64
	dur     [2]time.Duration
	lat     [2][]time.Duration
	rates   [2][]float64
	ratios  []float64
	// energy adds up each side's windows whose energy is known.
	energy [2]runner.Energy
}

// CompareResult is a whole race.
type CompareResult struct {
	// Model names the model raced (a preset, or a file's path).
	Model  string         `json:"model"`
	A      Side           `json:"a"`
	B      Side           `json:"b"`
	Points []ComparePoint `json:"points"`
	// Crossover is the first batch at which B overtakes A after A was faster
	// at the batch before (0 when none); CrossoverText says so in a sentence.
	Crossover     int    `json:"crossover_batch"`
	CrossoverText string `json:"crossover_text"`
	Interrupted   bool   `json:"interrupted"`
	// Notes are sentences a reader must see, e.g. that a side's energy
	// counter could not be read (at most one per side).
	Notes []string `json:"notes,omitempty"`
}

// CompareConfig says what to race.
type CompareConfig struct {
	Model string
	A, B  Side
	// Batches are raced in order (increasing).
	Batches []int
	// Pairs of windows per batch (default DefaultPairs).
	Pairs int
	// Progress, when set, is called after every window with the result so far.
	Progress func(CompareResult)
	// OnWindow, when set, is called after every measured window with that
	// window and the point so far (for metrics and recordings).
	OnWindow func(WindowEvent)
	// OnBatch, when set, is called when a batch is done (all its pairs, or
	// fewer when the race was stopped) with its point and the result so far.
	OnBatch func(p ComparePoint, sofar CompareResult)
}

// WindowEvent is one measured window of a compare.
type WindowEvent struct {
	Batch int
	// Side is 0 for A and 1 for B; Pair counts the window pairs at this
	// batch from 1 (the pair this window belongs to).
	Side, Pair int
	// Window is the window as measured; its Latencies are valid only during
	// the call (the Windower reuses them).
	Window WindowResult
	// Point is the race at this batch so far, this window included.
	Point ComparePoint
}

// ErrSameSides refuses a compare of a configuration with itself.
var ErrSameSides = errors.New("the two configurations are identical")

// Compare races A against B at each batch in alternating windows (A B, then
// B A, so a linear drift hits both alike). It stops early, keeping what was
// measured, when ctx ends.
func Compare(ctx context.Context, cfg CompareConfig, w Windower) (CompareResult, error) {
	if cfg.A == cfg.B {
		return CompareResult{}, fmt.Errorf("%w (%s)", ErrSameSides, cfg.A)
	}
	if err := CheckBatches(cfg.Batches); err != nil || len(cfg.Batches) == 0 {
		return CompareResult{}, fmt.Errorf("compare needs an increasing batch list: %v", err)
	}
	if cfg.Pairs <= 0 {
		cfg.Pairs = DefaultPairs
	}
	res := CompareResult{Model: cfg.Model, A: cfg.A, B: cfg.B, Points: []ComparePoint{}}
	var energyNoted [2]bool
	for _, b := range cfg.Batches {
		if err := w.Prepare(ctx, b); err != nil {
			if ctx.Err() != nil {
				break
			}
			return res, fmt.Errorf("preparing batch %d: %w", b, err)
		}
		res.Points = append(res.Points, ComparePoint{Batch: b})
		pt := &res.Points[len(res.Points)-1]
		for i := 0; i < cfg.Pairs && ctx.Err() == nil; i++ {
			order := [2]int{0, 1}
			if i%2 == 1 {
				order = [2]int{1, 0}
			}
			var pair [2]WindowResult
			for _, side := range order {
				wr, err := w.Window(ctx, side)
				if ctx.Err() != nil {
					break
				}
				if err != nil {
					return res, fmt.Errorf("batch %d, %s: %w", b, []Side{cfg.A, cfg.B}[side], err)
				}
				pair[side] = wr
				if wr.EnergyErr != nil && !energyNoted[side] {
					energyNoted[side] = true
					res.Notes = append(res.Notes, energyNote(side, []Side{cfg.A, cfg.B}[side], wr.EnergyErr))
				}
				pt.addWindow(side, wr)
				if cfg.OnWindow != nil {
					cfg.OnWindow(WindowEvent{Batch: b, Side: side, Pair: i + 1, Window: wr, Point: pt.clone()})
				}
				if cfg.Progress != nil {
					cfg.Progress(res.clone())
				}
			}
			if ctx.Err() != nil {
				break
			}
			pt.addPair(pair)
			if cfg.Progress != nil {
				cfg.Progress(res.clone())
			}
		}
		if pt.Pairs == 0 {
			res.Points = res.Points[:len(res.Points)-1]
		} else if cfg.OnBatch != nil {
			sofar := res.clone()
			cfg.OnBatch(sofar.Points[len(sofar.Points)-1], sofar)
		}
		if ctx.Err() != nil {
			break
		}
	}
	res.Interrupted = ctx.Err() != nil
	res.Crossover, res.CrossoverText = Crossover(res.Points, cfg.A, cfg.B)
	return res, nil
}

// energyNote says that a side's energy counter could not be read.
func energyNote(side int, s Side, err error) string {
	return fmt.Sprintf("%s (%s): reading its energy counter failed (%v); its J/sample counts only the windows where it was read",
		[]string{"A", "B"}[side], s, err)
}

func (p *ComparePoint) addWindow(side int, w WindowResult) {
	p.samples[side] += w.Samples
	p.dur[side] += w.Duration
	p.lat[side] = append(p.lat[side], w.Latencies...)
	slices.Sort(p.lat[side])
	p.rates[side] = append(p.rates[side], rate(w.Samples, w.Duration))
	p.energy[side] = p.energy[side].Plus(w.Energy)
	p.A, p.B = p.stats(0), p.stats(1)
	if p.A.SamplesPerSec > 0 {
		p.SpeedUp = p.B.SamplesPerSec / p.A.SamplesPerSec
	}
}

func (p *ComparePoint) addPair(w [2]WindowResult) {
	a, b := rate(w[0].Samples, w[0].Duration), rate(w[1].Samples, w[1].Duration)
	if a <= 0 {
		return
	}
	p.Pairs++
	p.ratios = append(p.ratios, b/a)
	p.Lo, p.Hi = slices.Min(p.ratios), slices.Max(p.ratios)
}

func (p *ComparePoint) stats(side int) SideStats {
	l := p.lat[side]
	return SideStats{SamplesPerSec: rate(p.samples[side], p.dur[side]), Count: len(l),
		P50MS: units.MS(Percentile(l, 50)), P90MS: units.MS(Percentile(l, 90)), P99MS: units.MS(Percentile(l, 99)),
		WindowSpread: relSpread(p.rates[side]), Energy: p.energy[side]}
}

// relSpread is the runner's window spread (runner.RelSpread) of a side's
// window rates; 0 for fewer than two windows or none with samples.
func relSpread(vals []float64) float64 {
	if s := runner.RelSpread(vals); len(vals) >= 2 && !math.IsInf(s, 1) {
		return s
	}
	return 0
}

// Percentile is the exact nearest-rank q-th percentile of sorted values.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func rate(samples int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(samples) / d.Seconds()
}

// Crossover finds the first batch at which b overtakes a (speed-up above 1)
// after a was at least as fast at the batch before.
func Crossover(pts []ComparePoint, a, b Side) (int, string) {
	for i := 1; i < len(pts); i++ {
		if pts[i-1].SpeedUp <= 1 && pts[i].SpeedUp > 1 {
			return pts[i].Batch, fmt.Sprintf("%s overtakes %s at batch %d (×%.2f; ×%.2f at batch %d)",
				b, a, pts[i].Batch, pts[i].SpeedUp, pts[i-1].SpeedUp, pts[i-1].Batch)
		}
	}
	switch {
	case len(pts) < 2:
		return 0, ""
	case pts[0].SpeedUp > 1:
		return 0, fmt.Sprintf("%s is faster from the smallest batch measured on", b)
	}
	return 0, fmt.Sprintf("%s does not overtake %s at any batch measured", b, a)
}

func (r CompareResult) clone() CompareResult {
	c := r
	c.Notes = slices.Clone(r.Notes)
	c.Points = make([]ComparePoint, len(r.Points))
	for i, p := range r.Points {
		c.Points[i] = p.clone()
	}
	return c
}

// clone copies the exported figures only.
func (p *ComparePoint) clone() ComparePoint {
	return ComparePoint{Batch: p.Batch, A: p.A, B: p.B, SpeedUp: p.SpeedUp, Lo: p.Lo, Hi: p.Hi, Pairs: p.Pairs}
}

// UnmarshalJSON reads a race as this build writes it, and as builds before
// models wrote it (the model under "preset").
func (r *CompareResult) UnmarshalJSON(b []byte) error {
	type plain CompareResult
	var v struct {
		plain
		Preset string `json:"preset"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = CompareResult(v.plain)
	if r.Model == "" {
		r.Model = v.Preset
	}
	return nil
}
