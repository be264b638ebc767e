package runner

import (
	"fmt"
	"time"

	"infertop/internal/units"
)

// Warm-up's bounds. Warm-up lasts at least Config.Warmup and
// MinWarmupBatches batches, and then until two consecutive warm-up windows
// (half a measurement window and two batches each) agree within
// StabilityThreshold on throughput: the settled rule. A warm-up that does
// not settle ends at its bound: the least warm-up plus the longer of
// itself and WarmupExtendBatches batches' time, at most WarmupExtension
// (Config.MaxWarmup, when set, replaces the bound).
const (
	// WarmupExtension is the most a warm-up waits for throughput to settle
	// past Config.Warmup.
	WarmupExtension = 5 * time.Second
	// WarmupExtendBatches is how many batches' time the wait may last at
	// least, for a model whose batches take longer than Config.Warmup.
	WarmupExtendBatches = 5
	// warmWindowBatches is the least number of batches in a warm-up window.
	warmWindowBatches = 2
)

// warmLimit is how long this warm-up stretch may last before it ends
// unsettled (MinWarmupBatches still comes first).
func (l *loop) warmLimit(now time.Time) time.Duration {
	if l.cfg.MaxWarmup > 0 {
		return l.cfg.MaxWarmup
	}
	ext := l.cfg.Warmup
	if l.warmBatches > 0 {
		perBatch := now.Sub(l.warmStart) / time.Duration(l.warmBatches)
		ext = max(ext, WarmupExtendBatches*perBatch)
	}
	return l.cfg.Warmup + min(ext, WarmupExtension)
}

// warmStep closes a warm-up window when one is due, and ends the warm-up
// once it has lasted Warmup and MinWarmupBatches and the last two windows
// agree on throughput, or at its bound.
func (l *loop) warmStep(now time.Time) {
	if d := now.Sub(l.winStart); d >= l.cfg.Window/2 && l.winBatches >= warmWindowBatches {
		l.warmRate = throughput(d, l.winBatches, l.batch)
		sps := l.warmRate.SamplesPerSec
		if l.warmWindows > 0 {
			l.warmDiff = relDiff(sps, l.prevWarmSPS)
		}
		agree := l.warmWindows > 0 && l.warmDiff <= StabilityThreshold
		l.prevWarmSPS = sps
		l.warmWindows++
		l.winStart, l.winBatches = now, 0
		if agree && now.Sub(l.warmStart) >= l.cfg.Warmup && l.warmBatches >= MinWarmupBatches {
			l.endWarmup(now, true)
			return
		}
	}
	if l.warmBatches >= MinWarmupBatches && now.Sub(l.warmStart) >= l.warmLimit(now) {
		l.endWarmup(now, false)
	}
}

// endWarmup starts measuring, and says in the events how long warm-up
// took and, when it went on past Config.Warmup, why and by how much.
func (l *loop) endWarmup(now time.Time, settled bool) {
	took := now.Sub(l.warmStart)
	l.warmTime += took
	l.settled = settled
	l.startSegment(now)
	l.state = Measuring
	done := fmt.Sprintf("warm-up done after %.1f s (%d batches excluded)", l.warmTime.Seconds(), l.warmBatches)
	past := took - l.cfg.Warmup
	switch {
	case !settled:
		why := fmt.Sprintf("the last two differed by %.0f %%", 100*l.warmDiff)
		if l.warmWindows < 2 {
			why = fmt.Sprintf("a batch takes %s, so fewer than two windows were complete", units.Latency(took/time.Duration(l.warmBatches)))
		}
		l.events.add(now, EventWarning, "%s, %.1f s past the least warm-up of %v, at its bound (the longer of that and %d batches, at most %v more), "+
			"without two windows agreeing within %.0f %% (%s); measuring anyway",
			done, past.Seconds(), l.cfg.Warmup, WarmupExtendBatches, WarmupExtension, 100*StabilityThreshold, why)
	case past < l.cfg.Window/2: // within one warm-up window of the least: not extended
		l.events.add(now, EventWarmupDone, "%s", done)
	case l.warmWindows <= 2:
		l.events.add(now, EventWarmupDone, "%s, %.1f s past the least warm-up of %v: it lasts at least %d batches, and two windows of them",
			done, past.Seconds(), l.cfg.Warmup, MinWarmupBatches)
	default:
		l.events.add(now, EventWarmupDone, "%s, %.1f s past the least warm-up of %v, until two windows agreed within %.0f %% on throughput",
			done, past.Seconds(), l.cfg.Warmup, 100*StabilityThreshold)
	}
	l.publish(now)
}
