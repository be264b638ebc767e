package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"

	"infertop/internal/units"
	"infertop/sweep"
)

// serveClip is how many SLOs high the latency axis of a serving search's
// plot reaches: a saturated point's p99 can be seconds, and would flatten
// every curve that matters.
const serveClip = 4

// WriteServeSweepPlot draws, for each configuration of a serving search,
// the p99 latency of each open-loop point against its request rate, with
// the SLO line and the recommended configuration's best rate marked.
// Points above four times the SLO are drawn at the axis' top edge, clipped.
func WriteServeSweepPlot(w io.Writer, format, title string, res sweep.ServeResult) error {
	var maxRate, maxP99 float64
	measured := false
	for _, c := range res.Configs {
		for _, p := range c.Points {
			maxRate, maxP99, measured = max(maxRate, p.RateRPS), max(maxP99, p.P99MS), true
		}
	}
	if !measured {
		return errors.New("nothing to plot: no rate was measured")
	}
	p := plot.New()
	p.Title.Text = title + ": p99 latency against the request rate"
	p.X.Label.Text = res.Arrival + " arrivals (requests per second)"
	p.Y.Label.Text = "p99 latency (ms)"
	p.X.Min, p.X.Max, p.Y.Min = 0, maxRate*1.05, 0
	p.Y.Max = top(maxP99, res.SLOMS)
	if clip := serveClip * res.SLOMS; res.SLOMS > 0 && maxP99 > clip {
		p.Y.Max = clip
		p.Y.Label.Text = fmt.Sprintf("p99 latency (ms, clipped at %d× the SLO)", serveClip)
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	p.Add(plotter.NewGrid())
	var err error
	for i, c := range res.Configs {
		pts := slices.Clone(c.Points)
		slices.SortFunc(pts, func(a, b sweep.ServePoint) int { return cmp.Compare(a.RateRPS, b.RateRPS) })
		var xys plotter.XYs
		for _, pt := range pts {
			xys = append(xys, plotter.XY{X: pt.RateRPS, Y: min(pt.P99MS, p.Y.Max)})
		}
		err = errors.Join(err, line(p, c.ServeSetting.String(), xys, plotutil.Color(i), i >= len(plotutil.DefaultColors)))
	}
	if res.SLOMS > 0 {
		err = errors.Join(err, hline(p, fmt.Sprintf("SLO p99 %g ms", res.SLOMS), res.SLOMS, colLimit))
	}
	if r := res.Recommended(); r != nil {
		b := r.BestPoint()
		err = errors.Join(err, vline(p, fmt.Sprintf("recommended: %s at %s req/s", r.ServeSetting, units.Rate(b.RateRPS, 4)),
			b.RateRPS, p.Y.Max, colMark))
	}
	if err != nil {
		return err
	}
	return writePlots(w, format, []*plot.Plot{p})
}
