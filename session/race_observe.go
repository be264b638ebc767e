package session

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/internal/units"
	"infertop/metrics"
	"infertop/record"
	"infertop/sweep"
)

// RaceObserver hands a race's windows and events to the metrics endpoint
// and the recording. A race has no runner and so no snapshots: each measured
// window of each side plays the snapshot's part. Either output may be off;
// with both off it does nothing.
type RaceObserver struct {
	*Headless                      // the endpoint, the recording and the GPU samples (nil in the dashboard)
	feed      *metrics.CompareFeed // nil without an endpoint
	rec       *record.Recorder     // nil without a recording
	sides     [2]sweep.Side
	// model names the race; crossover is the crossover batch already recorded.
	model     string
	crossover int
}

// ObserveRace starts what compare's outputs ask for for racing a and b
// with model; opts are the recording's options. Close stops it.
func (m Machine) ObserveRace(ctx context.Context, model string, a, b sweep.Side, out Outputs, opts map[string]any) (*RaceObserver, error) {
	feed := metrics.NewCompareFeed(model, a, b)
	h, err := m.observe(ctx, record.CommandCompare, out, opts,
		func(f *metrics.Feed) prometheus.Gatherer { return metrics.NewCompareRegistry(f, feed) })
	if err != nil {
		return nil, err
	}
	ro := &RaceObserver{Headless: h, rec: h.rec, sides: [2]sweep.Side{a, b}, model: model}
	if h.feed != nil {
		ro.feed = feed
	}
	return ro, nil
}

// hook sets cfg's window and batch hooks when anything observes the race.
func (c *RaceObserver) hook(cfg *sweep.CompareConfig) {
	if c.feed == nil && c.rec == nil {
		return
	}
	cfg.OnWindow, cfg.OnBatch = c.window, c.batchDone
}

// windower wraps w so that the recording notes when each batch starts (its
// warm-up is part of Prepare).
func (c *RaceObserver) windower(w sweep.Windower) sweep.Windower {
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

func (c *RaceObserver) window(ev sweep.WindowEvent) {
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
	w := record.CompareWindow{Model: c.model, Batch: ev.Batch, Side: []string{metrics.SideA, metrics.SideB}[ev.Side],
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

func (c *RaceObserver) batchDone(p sweep.ComparePoint, sofar sweep.CompareResult) {
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
func (c *RaceObserver) ended(res sweep.CompareResult, err error) {
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
