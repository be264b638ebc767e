package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"infertop/internal/atomicfile"
)

// Plot formats, chosen by the file's extension.
const (
	PlotSVG = "svg"
	PlotPNG = "png"
)

// PlotFormat returns the image format of path from its extension (.svg or .png).
func PlotFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		return PlotSVG, nil
	case ".png":
		return PlotPNG, nil
	case "":
		return "", fmt.Errorf("plot file %q has no extension (accepted: .svg or .png)", path)
	default:
		return "", fmt.Errorf("unknown image format %q for plot file %q (accepted: .svg or .png)", ext, path)
	}
}

// CreatePlot checks the format and starts the file at once, so a bad path
// fails before anything is measured; the plot goes to a temporary file
// that Commit puts at path (internal/atomicfile).
func CreatePlot(path string) (*atomicfile.File, string, error) {
	format, err := PlotFormat(path)
	if err != nil {
		return nil, "", err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, "", fmt.Errorf("plot file %s cannot be written: %v", path, err)
	}
	return f, format, nil
}

// Colours of the series, readable on white.
var (
	colA     = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colB     = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colBase  = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	colMark  = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	colLimit = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	dashes   = []vg.Length{vg.Points(5), vg.Points(3)}
)

// writePlots draws the plots stacked in one column and writes the image.
func writePlots(w io.Writer, format string, plots []*plot.Plot) error {
	// Each panel's legend goes in a column right of the panels, level with
	// its panel's top, so that it never covers a curve.
	legends := make([]plot.Legend, len(plots))
	var legendW vg.Length
	for i, p := range plots {
		legends[i] = p.Legend
		r := legends[i].Rectangle(draw.Canvas{})
		legendW = max(legendW, r.Max.X-r.Min.X)
		p.Legend = plot.NewLegend()
	}
	const legendGap = 6 * vg.Millimeter
	if legendW > 0 {
		legendW += legendGap
	}
	width, height := 8*vg.Inch+legendW, vg.Length(len(plots))*3.2*vg.Inch
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case PlotSVG:
		c = vgsvg.New(width, height)
	case PlotPNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110))}
	default:
		return fmt.Errorf("unknown image format %q (accepted: svg, png)", format)
	}
	dc := draw.New(c)
	if format == PlotPNG {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(12), PadY: vg.Points(10)}
	for i, cv := range plot.Align(rows, tiles, draw.Crop(dc, 0, -legendW, 0, 0)) {
		plots[i].Draw(cv[0])
		title := plots[i].Title.TextStyle.Rectangle(plots[i].Title.Text)
		lc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: cv[0].Max.X + legendGap, Y: cv[0].Min.Y},
			Max: vg.Point{X: dc.Max.X, Y: cv[0].Max.Y - (title.Max.Y - title.Min.Y) - plots[i].Title.Padding}}}
		legends[i].Top, legends[i].Left = true, true
		legends[i].Draw(lc)
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("writing the %s plot: %w", format, err)
	}
	return nil
}

// newBatchPlot is a plot with a log₂ batch axis from lo to hi.
func newBatchPlot(title, yLabel string, lo, hi int) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "batch size (samples per batch, log scale)"
	p.Y.Label.Text = yLabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = pow2Ticks{}
	xlo, xhi := float64(max(lo, 1)), float64(max(hi, 1))
	if xhi <= xlo {
		xlo, xhi = xlo/2, xhi*2
	}
	p.X.Min, p.X.Max = xlo/1.15, xhi*1.15
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// pow2Ticks labels the powers of two in range, every other one when crowded.
type pow2Ticks struct{}

// Ticks implements plot.Ticker.
func (pow2Ticks) Ticks(lo, hi float64) []plot.Tick {
	var vals []float64
	for v := math.Exp2(math.Ceil(math.Log2(math.Max(lo, 1)))); v <= hi; v *= 2 {
		vals = append(vals, v)
	}
	step := 1
	if len(vals) > 12 {
		step = 2
	}
	ticks := make([]plot.Tick, len(vals))
	for i, v := range vals {
		ticks[i].Value = v
		if i%step == 0 {
			ticks[i].Label = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ticks
}

// plainTicks are gonum's default ticks labelled without trailing zeros.
type plainTicks struct{}

// Ticks implements plot.Ticker.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 6, 64)
		}
	}
	return ticks
}

// line adds a named line with points to p.
func line(p *plot.Plot, name string, xys plotter.XYs, c color.Color, dashed bool) error {
	if len(xys) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("plot series %q: %w", name, err)
	}
	l.Color, s.Color = c, c
	s.Shape = draw.CircleGlyph{}
	if dashed {
		l.Dashes = dashes
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// vline marks x with a dashed vertical line from 0 to top, named in the legend.
func vline(p *plot.Plot, name string, x, top float64, c color.Color) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
	if err != nil {
		return fmt.Errorf("plot marker %q: %w", name, err)
	}
	l.Color, l.Dashes, l.Width = c, dashes, vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// hline marks y across the batch axis with a dashed line.
func hline(p *plot.Plot, name string, y float64, c color.Color) error {
	l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: y}, {X: p.X.Max, Y: y}})
	if err != nil {
		return fmt.Errorf("plot marker %q: %w", name, err)
	}
	l.Color, l.Dashes = c, dashes
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// label writes text at (x, y) in p.
func label(p *plot.Plot, text string, x, y float64) error {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{text}})
	if err != nil {
		return fmt.Errorf("plot label: %w", err)
	}
	l.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(4)}
	p.Add(l)
	return nil
}

// top is a y-axis maximum with room above the largest value.
func top(vals ...float64) float64 {
	m := 0.0
	for _, v := range vals {
		m = math.Max(m, v)
	}
	if m <= 0 {
		return 1
	}
	return m * 1.15
}
