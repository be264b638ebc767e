package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infertop/sweep"
)

func sweepFixture() sweep.Result {
	r := sweep.Result{SLOMS: 50, MemLimit: 200 << 20, Stop: sweep.StopSLO}
	for _, b := range []int{1, 2, 4, 8, 16, 32, 64, 128} {
		r.Points = append(r.Points, sweep.Point{Batch: b, SamplesPerSec: 1000 * float64(b) / float64(b+16),
			P99MS: float64(b + 16), P50MS: float64(b+16) * 0.9, EngineBytes: int64(10+b) << 20, Noise: 0.02, Stable: true})
	}
	r.Fit = sweep.FitMemory(r.Points, r.MemLimit)
	r.Rec = sweep.Recommend(r.Points, 50e6, 0.05, r.Fit, r.MemLimit)
	r.Edge = &sweep.Edge{Failed: 256, Largest: 190}
	return r
}

// svgTexts parses an SVG document and returns its root name and every text run.
func svgTexts(t *testing.T, b []byte) (string, string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root string
	var texts []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = v.Name.Local
			}
		case xml.CharData:
			texts = append(texts, string(v))
		}
	}
	return root, strings.Join(texts, "\n")
}

func TestSweepPlotSVGHasSeriesAndMarks(t *testing.T) {
	res := sweepFixture()
	base := sweepFixture()
	var buf bytes.Buffer
	if err := WriteSweepPlot(&buf, PlotSVG, "mlp on cpu", res, &base); err != nil {
		t.Fatal(err)
	}
	root, text := svgTexts(t, buf.Bytes())
	if root != "svg" {
		t.Fatalf("root element %q", root)
	}
	for _, want := range []string{SeriesThroughput, SeriesBaseline, SeriesP99, SeriesP50, SeriesMemory, SeriesFit,
		"recommended batch 32", "recommended: 32", "SLO p99 50 ms", "out-of-memory edge 190", "memory limit",
		"batch size (samples per batch, log scale)", "throughput (samples/s)", "latency (ms)", "memory (MiB)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
}

func TestComparePlotPNG(t *testing.T) {
	res := sweep.CompareResult{Model: "resnet", A: sweep.Side{Device: "cpu", Threads: 1}, B: sweep.Side{Device: "cpu"}, Crossover: 4}
	for i, b := range []int{1, 4, 16} {
		s := 0.5 + float64(i)
		res.Points = append(res.Points, sweep.ComparePoint{Batch: b, SpeedUp: s, Lo: s * 0.95, Hi: s * 1.05,
			A: sweep.SideStats{SamplesPerSec: 100}, B: sweep.SideStats{SamplesPerSec: 100 * s}})
	}
	var buf bytes.Buffer
	if err := WriteComparePlot(&buf, PlotPNG, res); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	// 8 in of panels and a legend column beside them (the longest entry,
	// "slowest window pair (×)", is about 2 in wide), 6.4 in high, at 110 dpi.
	if b := img.Bounds(); b.Dx() <= 880 || b.Dx() > 880+330 || b.Dy() != 704 {
		t.Errorf("PNG size %v, want 880 px of panels plus a legend column, 704 px high", b)
	}
	var svg bytes.Buffer
	if err := WriteComparePlot(&svg, PlotSVG, res); err != nil {
		t.Fatal(err)
	}
	_, text := svgTexts(t, svg.Bytes())
	for _, want := range []string{SeriesSpeedUp, "cpu ×1 thread (samples/s)", "cpu (all cores) (samples/s)", "crossover at batch 4", "equal speed (×1)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the compare SVG lacks %q", want)
		}
	}
}

func TestOnePointPlotsAndEmptyRefused(t *testing.T) {
	res := sweep.Result{Points: []sweep.Point{{Batch: 8, SamplesPerSec: 10, P99MS: 1}}}
	var buf bytes.Buffer
	if err := WriteSweepPlot(&buf, PlotPNG, "x", res, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
	if WriteSweepPlot(io.Discard, PlotSVG, "x", sweep.Result{}, nil) == nil {
		t.Error("an empty sweep was drawn")
	}
	if WriteComparePlot(io.Discard, PlotSVG, sweep.CompareResult{}) == nil {
		t.Error("an empty compare was drawn")
	}
}

func TestPlotPaths(t *testing.T) {
	for path, want := range map[string]string{"a.svg": PlotSVG, "A.PNG": PlotPNG} {
		if f, err := PlotFormat(path); err != nil || f != want {
			t.Errorf("%s: %q %v", path, f, err)
		}
	}
	for _, path := range []string{"a.jpg", "plot", "a.svgz"} {
		if _, err := PlotFormat(path); err == nil {
			t.Errorf("%s accepted", path)
		}
	}
	dir := t.TempDir()
	if _, _, err := CreatePlot(filepath.Join(dir, "missing", "p.svg")); err == nil || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("unwritable path: %v", err)
	}
	f, format, err := CreatePlot(filepath.Join(dir, "p.png"))
	if err != nil || format != PlotPNG {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Errorf("the plot is in place before it is drawn: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Name()); err != nil {
		t.Error(err)
	}
}
