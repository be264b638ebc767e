package report

import (
	"errors"
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"infertop/sweep"
)

// Series names in sweep and compare plots (tests look for them).
const (
	SeriesThroughput = "throughput (samples/s)"
	SeriesBaseline   = "baseline throughput (samples/s)"
	SeriesP99        = "p99 latency (ms)"
	SeriesP50        = "p50 latency (ms)"
	SeriesMemory     = "engine memory (MiB)"
	SeriesFit        = "fit a + b·batch (MiB)"
	SeriesSpeedUp    = "speed-up (×)"
	// SeriesBaselineSpeedUp is the baseline compare's speed-up, drawn dashed.
	SeriesBaselineSpeedUp = "baseline speed-up (×)"
)

// WriteSweepPlot draws throughput, latency and memory against batch size,
// with the recommendation, the SLO, the out-of-memory edge and, when base is
// given, the baseline's throughput.
func WriteSweepPlot(w io.Writer, format, title string, res sweep.Result, base *sweep.Result) error {
	if len(res.Points) == 0 {
		return errors.New("nothing to plot: no batch was measured")
	}
	lo, hi := res.Points[0].Batch, res.Points[0].Batch
	var thr, p99, p50, mem plotter.XYs
	var maxThr, maxLat, maxMem float64
	for _, p := range res.Points {
		lo, hi = min(lo, p.Batch), max(hi, p.Batch)
		x := float64(p.Batch)
		thr = append(thr, plotter.XY{X: x, Y: p.SamplesPerSec})
		p99 = append(p99, plotter.XY{X: x, Y: p.P99MS})
		p50 = append(p50, plotter.XY{X: x, Y: p.P50MS})
		maxThr, maxLat = max(maxThr, p.SamplesPerSec), max(maxLat, p.P99MS)
		if p.EngineBytes > 0 {
			mem = append(mem, plotter.XY{X: x, Y: mibOf(p.EngineBytes)})
			maxMem = max(maxMem, mibOf(p.EngineBytes))
		}
	}
	var baseXY plotter.XYs
	if base != nil {
		for _, p := range base.Points {
			baseXY = append(baseXY, plotter.XY{X: float64(p.Batch), Y: p.SamplesPerSec})
			maxThr = max(maxThr, p.SamplesPerSec)
		}
	}
	if res.Edge != nil && res.Edge.Largest > 0 {
		hi = max(hi, res.Edge.Failed)
	}
	maxLat = max(maxLat, res.SLOMS)
	rec := res.Rec.Batch

	pt := newBatchPlot(title+": throughput", "throughput (samples/s)", lo, hi)
	pt.Y.Max = top(maxThr)
	err := errors.Join(line(pt, SeriesThroughput, thr, colA, false), line(pt, SeriesBaseline, baseXY, colBase, true))
	pl := newBatchPlot(title+": latency per batch", "latency (ms)", lo, hi)
	pl.Y.Max = top(maxLat)
	err = errors.Join(err, line(pl, SeriesP99, p99, colB, false), line(pl, SeriesP50, p50, colA, true))
	if res.SLOMS > 0 {
		err = errors.Join(err, hline(pl, fmt.Sprintf("SLO p99 %g ms", res.SLOMS), res.SLOMS, colLimit))
	}
	plots := []*plot.Plot{pt, pl}
	if len(mem) > 0 {
		pm, merr := memoryPlot(title, res, mem, maxMem, lo, hi)
		err = errors.Join(err, merr)
		plots = append(plots, pm)
	}
	for _, p := range plots {
		if rec > 0 {
			err = errors.Join(err, vline(p, fmt.Sprintf("recommended batch %d", rec), float64(rec), p.Y.Max, colMark))
		}
		if e := res.Edge; e != nil && e.Largest > 0 {
			err = errors.Join(err, vline(p, fmt.Sprintf("out-of-memory edge %d", e.Largest), float64(e.Largest), p.Y.Max, colLimit))
		}
	}
	if rec > 0 {
		for _, p := range res.Points {
			if p.Batch == rec {
				err = errors.Join(err, label(pt, fmt.Sprintf("recommended: %d", rec), float64(rec), p.SamplesPerSec))
			}
		}
	}
	if err != nil {
		return err
	}
	return writePlots(w, format, plots)
}

func memoryPlot(title string, res sweep.Result, mem plotter.XYs, maxMem float64, lo, hi int) (*plot.Plot, error) {
	pm := newBatchPlot(title+": memory", "memory (MiB)", lo, hi)
	err := line(pm, SeriesMemory, mem, colA, false)
	if f := res.Fit; f != nil {
		var fit plotter.XYs
		for b := float64(max(lo, 1)); ; b = min(b*1.25, float64(hi)) {
			fit = append(fit, plotter.XY{X: b, Y: f.At(int(b)) / (1 << 20)})
			maxMem = max(maxMem, f.At(int(b))/(1<<20))
			if b >= float64(hi) {
				break
			}
		}
		if l, lerr := plotter.NewLine(fit); lerr == nil {
			l.Color, l.Dashes = colBase, dashes
			pm.Add(l)
			pm.Legend.Add(SeriesFit, l)
		} else {
			err = errors.Join(err, lerr)
		}
	}
	if res.MemLimit > 0 && mibOf(res.MemLimit) < 4*maxMem {
		maxMem = max(maxMem, mibOf(res.MemLimit))
		err = errors.Join(err, hline(pm, "memory limit", mibOf(res.MemLimit), colLimit))
	}
	pm.Y.Max = top(maxMem)
	return pm, err
}

func mibOf(b int64) float64 { return float64(b) / (1 << 20) }

// WriteComparePlot draws the speed-up (with its spread) and both sides'
// throughput against batch size, with the crossover marked.
func WriteComparePlot(w io.Writer, format string, res sweep.CompareResult) error {
	return WriteCompareBaselinePlot(w, format, res, nil)
}

// WriteCompareBaselinePlot is WriteComparePlot with, when base is given, the
// baseline compare's speed-up and throughputs drawn dashed beside this run's
// (at the batch sizes within this run's range).
func WriteCompareBaselinePlot(w io.Writer, format string, res sweep.CompareResult, base *sweep.CompareResult) error {
	if len(res.Points) == 0 {
		return errors.New("nothing to plot: no batch was compared")
	}
	lo, hi := res.Points[0].Batch, res.Points[len(res.Points)-1].Batch
	var su, sl, sh, ta, tb, bsu, bta, btb plotter.XYs
	var maxSU, maxThr float64
	for _, p := range res.Points {
		x := float64(p.Batch)
		su = append(su, plotter.XY{X: x, Y: p.SpeedUp})
		sl = append(sl, plotter.XY{X: x, Y: p.Lo})
		sh = append(sh, plotter.XY{X: x, Y: p.Hi})
		ta = append(ta, plotter.XY{X: x, Y: p.A.SamplesPerSec})
		tb = append(tb, plotter.XY{X: x, Y: p.B.SamplesPerSec})
		maxSU, maxThr = max(maxSU, p.Hi, p.SpeedUp, 1), max(maxThr, p.A.SamplesPerSec, p.B.SamplesPerSec)
	}
	if base != nil {
		for _, p := range base.Points {
			if p.Batch < lo || p.Batch > hi || p.SpeedUp <= 0 {
				continue
			}
			x := float64(p.Batch)
			bsu = append(bsu, plotter.XY{X: x, Y: p.SpeedUp})
			bta = append(bta, plotter.XY{X: x, Y: p.A.SamplesPerSec})
			btb = append(btb, plotter.XY{X: x, Y: p.B.SamplesPerSec})
			maxSU, maxThr = max(maxSU, p.SpeedUp), max(maxThr, p.A.SamplesPerSec, p.B.SamplesPerSec)
		}
	}
	title := fmt.Sprintf("%s: %s vs %s", res.Model, res.B, res.A)
	ps := newBatchPlot(title+": speed-up", fmt.Sprintf("speed-up of %s (×)", res.B), lo, hi)
	ps.Y.Max = top(maxSU)
	err := errors.Join(line(ps, SeriesSpeedUp, su, colB, false), line(ps, SeriesBaselineSpeedUp, bsu, colBase, true),
		line(ps, "slowest window pair (×)", sl, colBase, true), line(ps, "fastest window pair (×)", sh, colBase, true),
		hline(ps, "equal speed (×1)", 1, colLimit))
	pt := newBatchPlot(title+": throughput", "throughput (samples/s)", lo, hi)
	pt.Y.Max = top(maxThr)
	err = errors.Join(err, line(pt, res.A.String()+" (samples/s)", ta, colA, false), line(pt, res.B.String()+" (samples/s)", tb, colB, false),
		line(pt, "baseline "+res.A.String()+" (samples/s)", bta, colA, true), line(pt, "baseline "+res.B.String()+" (samples/s)", btb, colB, true))
	if res.Crossover > 0 {
		for _, p := range []*plot.Plot{ps, pt} {
			err = errors.Join(err, vline(p, fmt.Sprintf("crossover at batch %d", res.Crossover), float64(res.Crossover), p.Y.Max, colMark))
		}
	}
	if err != nil {
		return err
	}
	return writePlots(w, format, []*plot.Plot{ps, pt})
}
