package cli

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/internal/units"
	"infertop/metrics"
	"infertop/record"
	"infertop/sweep"
)

// compareObserver hands a compare's windows and events to the metrics
// endpoint (--metrics-addr) and the recording (--record). A compare has no
// runner and so no snapshots: each measured window of each side plays the
// snapshot's part. Either output may be off; with both off it does nothing.
type compareObserver struct {
	obs   *observer            // the endpoint, the recording and the GPU samples
	feed  *metrics.CompareFeed // nil without --metrics-addr
	rec   *record.Recorder     // nil without --record
	sides [2]sweep.Side
	// preset names the race; crossover is the crossover batch already recorded.
	preset    string
	crossover int
}

// observeCompare starts what compare's flags ask for; the returned func stops it.
func observeCompare(ctx context.Context, env Env, plan comparePlan, opts map[string]any) (*compareObserver, func(), int, bool) {
	co := &compareObserver{sides: [2]sweep.Side{plan.cfg.A, plan.cfg.B}, preset: plan.preset.Name}
	feed := metrics.NewCompareFeed(plan.preset.Name, plan.cfg.A, plan.cfg.B)
	obs, stop, code, ok := observeHeadlessWith(ctx, env, record.CommandCompare, plan.observe, opts,
		func(f *metrics.Feed) prometheus.Gatherer { return metrics.NewCompareRegistry(f, feed) })
	if !ok {
		return nil, nil, code, false
	}
	co.obs, co.rec = obs, obs.rec
	if obs.feed != nil {
		co.feed = feed
	}
	return co, stop, 0, true
}

// hook sets cfg's window and batch hooks when anything observes the race.
func (c *compareObserver) hook(cfg *sweep.CompareConfig) {
	if c.feed == nil && c.rec == nil {
		return
	}
	cfg.OnWindow, cfg.OnBatch = c.window, c.batchDone
}

// windower wraps w so that the recording notes when each batch starts (its
// warm-up is part of Prepare).
func (c *compareObserver) windower(w sweep.Windower) sweep.Windower {
	if c.rec == nil {
		return w
	}
	return preparingWindower{Windower: w, before: func(b int) {
		c.rec.CompareEvent(record.CompareBatchStarted, b, "batch %d: warming up %s and %s", b, c.sides[0], c.sides[1])
	}}
}

// preparingWindower calls before ahead of every Prepare.
type preparingWindower struct {
	sweep.Windower
	before func(batch int)
}

// Prepare implements sweep.Windower.
func (w preparingWindower) Prepare(ctx context.Context, batch int) error {
	w.before(batch)
	return w.Windower.Prepare(ctx, batch)
}

func (c *compareObserver) window(ev sweep.WindowEvent) {
	if c.feed != nil {
		c.feed.ObserveWindow(ev)
	}
	if c.rec == nil {
		return
	}
	side, st := c.sides[ev.Side], ev.Point.A
	if ev.Side == 1 {
		st = ev.Point.B
	}
	w := record.CompareWindow{Preset: c.preset, Batch: ev.Batch, Side: []string{metrics.SideA, metrics.SideB}[ev.Side],
		Device: side.Device, Threads: side.Threads, Config: side.String(), Pair: ev.Pair,
		Samples: ev.Window.Samples, Batches: len(ev.Window.Latencies), Duration: ev.Window.Duration,
		SideSamplesPerSec: st.SamplesPerSec, P50MS: st.P50MS, P90MS: st.P90MS, P99MS: st.P99MS,
		SpeedUp: ev.Point.SpeedUp, SpeedUpLo: ev.Point.Lo, SpeedUpHi: ev.Point.Hi, Pairs: ev.Point.Pairs}
	if ev.Window.Duration > 0 {
		w.SamplesPerSec = float64(ev.Window.Samples) / ev.Window.Duration.Seconds()
	}
	c.rec.CompareWindow(w)
	c.rec.CompareEvent(record.CompareWindowDone, ev.Batch, "batch %d, pair %d: %s ran %s samples/s in %v",
		ev.Batch, ev.Pair, side, units.Rate(w.SamplesPerSec, 4), ev.Window.Duration.Round(time.Microsecond))
}

func (c *compareObserver) batchDone(p sweep.ComparePoint, sofar sweep.CompareResult) {
	if c.feed != nil {
		c.feed.ObserveBatch(p)
	}
	if c.rec == nil {
		return
	}
	c.rec.CompareEvent(record.CompareBatchDone, p.Batch, "batch %d: B/A ×%.3f (pairs ×%.3f–×%.3f, %d pairs)", p.Batch, p.SpeedUp, p.Lo, p.Hi, p.Pairs)
	if b, text := sweep.Crossover(sofar.Points, c.sides[0], c.sides[1]); b > 0 && b != c.crossover {
		c.crossover = b
		c.rec.CompareEvent(record.CompareCrossover, b, "crossover: %s", text)
	}
}

// ended records how the race ended.
func (c *compareObserver) ended(res sweep.CompareResult, err error) {
	if c.rec == nil {
		return
	}
	switch {
	case err != nil:
		c.rec.CompareEvent(record.CompareEnded, 0, "error: %v", err)
	case res.Interrupted:
		c.rec.CompareEvent(record.CompareEnded, 0, "interrupted after %d compared batch size(s)", len(res.Points))
	case res.CrossoverText != "":
		c.rec.CompareEvent(record.CompareEnded, 0, "done: %d batch size(s) compared; %s", len(res.Points), res.CrossoverText)
	default:
		c.rec.CompareEvent(record.CompareEnded, 0, "done: %d batch size(s) compared", len(res.Points))
	}
}
