package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infertop/sweep"
)

var (
	cmpA = sweep.Side{Device: "cpu", Threads: 1}
	cmpB = sweep.Side{Device: "cpu"}
)

func cmpPoint(batch int, su, lo, hi float64, pairs int, a, aSpread, b, bSpread float64) sweep.ComparePoint {
	return sweep.ComparePoint{Batch: batch, SpeedUp: su, Lo: lo, Hi: hi, Pairs: pairs,
		A: sweep.SideStats{SamplesPerSec: a, WindowSpread: aSpread}, B: sweep.SideStats{SamplesPerSec: b, WindowSpread: bSpread}}
}

// compareBaselineFixture is an old and a new race of the same sides.
func compareBaselineFixture() (old, cur CompareDoc) {
	old = CompareDoc{Meta: Meta{Version: "v0.9", CPUModel: "Old CPU", Model: "mlp", Start: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)},
		Compare: sweep.CompareResult{Model: "mlp", A: cmpA, B: cmpB, Points: []sweep.ComparePoint{
			cmpPoint(1, 0.5, 0.48, 0.53, 3, 1000, 0.02, 500, 0.03), // speed-up noise max(0.06, 0.04) = 0.06
			cmpPoint(8, 2.0, 1.9, 2.1, 4, 800, 0.01, 1600, 0.02),   // 0.05
			cmpPoint(64, 4, 4, 4, 1, 500, 0, 2000, 0),              // one pair: not measured
		}}}
	cur = CompareDoc{Compare: sweep.CompareResult{Model: "mlp", A: cmpA, B: cmpB, Points: []sweep.ComparePoint{
		cmpPoint(1, 0.52, 0.5, 0.54, 3, 1040, 0.01, 540.8, 0.02), // noise 0.02/0.52
		cmpPoint(8, 2.5, 2.45, 2.6, 4, 640, 0.01, 1600, 0.02),    // noise max(0.04, 0.02) = 0.04
		cmpPoint(64, 4.2, 4.2, 4.2, 1, 500, 0, 2100, 0),
		cmpPoint(512, 8, 8, 8, 1, 100, 0, 800, 0), // not in the baseline
	}}}
	return old, cur
}

func TestSpeedUpNoise(t *testing.T) {
	for _, c := range []struct {
		p    sweep.ComparePoint
		want float64
	}{
		{cmpPoint(1, 0.5, 0.48, 0.53, 3, 0, 0, 0, 0), 0.06},
		{cmpPoint(1, 2.5, 2.45, 2.6, 4, 0, 0, 0, 0), 0.04},
		{cmpPoint(1, 0.52, 0.5, 0.54, 3, 0, 0, 0, 0), 0.02 / 0.52},
		{cmpPoint(1, 4, 3, 5, 1, 0, 0, 0, 0), 0}, // one pair
	} {
		if got := SpeedUpNoise(c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("noise of %+v = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestCompareBaselineRowsAndFlags(t *testing.T) {
	old, cur := compareBaselineFixture()
	rows := CompareBaselineRows(old.Compare, cur.Compare)
	want := []CompareBaselineRow{
		{Batch: 1,
			SpeedUp: Change{Old: 0.5, New: 0.52, Ratio: 1.04, Noise: 0.06},                 // +4 % within 6 %
			A:       Change{Old: 1000, New: 1040, Ratio: 1.04, Noise: 0.02, Flagged: true}, // +4 % beyond 2 %
			B:       Change{Old: 500, New: 540.8, Ratio: 1.0816, Noise: 0.03, Flagged: true}},
		{Batch: 8,
			SpeedUp: Change{Old: 2, New: 2.5, Ratio: 1.25, Noise: 0.05, Flagged: true},
			A:       Change{Old: 800, New: 640, Ratio: 0.8, Noise: 0.01, Flagged: true},
			B:       Change{Old: 1600, New: 1600, Ratio: 1, Noise: 0.02}},
		{Batch: 64, // nothing measured the noise: the 10 % threshold
			SpeedUp: Change{Old: 4, New: 4.2, Ratio: 1.05, Noise: 0.10},
			A:       Change{Old: 500, New: 500, Ratio: 1, Noise: 0.10},
			B:       Change{Old: 2000, New: 2100, Ratio: 1.05, Noise: 0.10}},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	near := func(a, b Change) bool {
		return a.Old == b.Old && a.New == b.New && a.Flagged == b.Flagged &&
			math.Abs(a.Ratio-b.Ratio) < 1e-12 && math.Abs(a.Noise-b.Noise) < 1e-12
	}
	for i, w := range want {
		r := rows[i]
		if r.Batch != w.Batch || !near(r.SpeedUp, w.SpeedUp) || !near(r.A, w.A) || !near(r.B, w.B) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, r, w)
		}
	}
	var buf bytes.Buffer
	if err := WriteCompareBaselineTable(&buf, old.Meta, cmpA, cmpB, rows); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"Against the baseline of 2026-11-20 09:30 UTC (infertop v0.9, Old CPU)",
		"8      speed-up B/A                 ×2.000  ×2.500  ×1.250  5.0       higher\n",
		"       A cpu ×1 thread samples/s    800     640     ×0.800  1.0       SLOWER\n",
		"       B cpu (all cores) samples/s  500     541     ×1.082  3.0       faster\n",
		"64     speed-up B/A                 ×4.000  ×4.200  ×1.050  10.0      \n"} {
		if !strings.Contains(out, s) {
			t.Errorf("the table lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, " LOWER") {
		t.Errorf("a speed-up within the noise was flagged:\n%s", out)
	}
	buf.Reset()
	_ = WriteCompareBaselineTable(&buf, old.Meta, cmpA, cmpB, nil)
	if !strings.Contains(buf.String(), "no batch size in common") {
		t.Errorf("empty table: %q", buf.String())
	}
}

func TestLoadCompareBaselineRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v any) string {
		p := filepath.Join(dir, name)
		b, ok := v.([]byte)
		if !ok {
			b, _ = json.Marshal(v)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old, _ := compareBaselineFixture()
	good := write("old.json", old)
	doc, err := LoadCompareBaseline(good)
	if err != nil || len(doc.Compare.Points) != 3 || doc.Compare.Model != "mlp" || doc.Meta.Version != "v0.9" {
		t.Fatalf("loaded %+v, %v", doc.Compare, err)
	}
	for want, path := range map[string]string{
		"none.json: no such file or directory": filepath.Join(dir, "none.json"),
		"is a sweep's JSON, not a compare's":   write("sweep.json", SweepDoc{Sweep: sweepFixture()}),
		"is a bench's JSON, not a compare's":   write("bench.json", Result{Rows: []Row{}}),
		"is not an infertop JSON document":     write("junk.json", []byte("batch,a,b\n1,2,3\n")),
		"holds no compare points":              write("empty.json", CompareDoc{}),
	} {
		if _, err := LoadCompareBaseline(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", filepath.Base(path), err, want)
		}
	}
	// The sweep's loader names a compare's JSON in turn.
	if _, err := LoadBaseline(good); err == nil || !strings.Contains(err.Error(), "is a compare's JSON, not a sweep's") {
		t.Errorf("compare JSON as a sweep baseline: %v", err)
	}
}

func TestCheckCompareBaseline(t *testing.T) {
	old, _ := compareBaselineFixture()
	if err := CheckCompareBaseline(old.Compare, "mlp", cmpA, cmpB, []int{8, 1024}); err != nil {
		t.Errorf("batch 8 in common: %v", err)
	}
	for want, err := range map[string]error{
		"the baseline raced the model mlp, this run races resnet": CheckCompareBaseline(old.Compare, "resnet", cmpA, cmpB, []int{8}),
		"the baseline raced A = cpu ×1 thread, B = cpu (all cores); this run races A = cpu ×1 thread, B = cuda:0": CheckCompareBaseline(
			old.Compare, "mlp", cmpA, sweep.Side{Device: "cuda:0"}, []int{8}),
		"the baseline raced batch 1,8,64, this run races 2,16: no batch size in common": CheckCompareBaseline(old.Compare, "mlp", cmpA, cmpB, []int{2, 16}),
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v, want %q", err, want)
		}
	}
}

func TestComparePlotDrawsTheBaseline(t *testing.T) {
	old, cur := compareBaselineFixture()
	var with, without bytes.Buffer
	if err := WriteCompareBaselinePlot(&with, PlotSVG, cur.Compare, &old.Compare); err != nil {
		t.Fatal(err)
	}
	if err := WriteComparePlot(&without, PlotSVG, cur.Compare); err != nil {
		t.Fatal(err)
	}
	_, text := svgTexts(t, with.Bytes())
	for _, want := range []string{SeriesSpeedUp, SeriesBaselineSpeedUp, "baseline cpu ×1 thread (samples/s)", "baseline cpu (all cores) (samples/s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if _, plain := svgTexts(t, without.Bytes()); strings.Contains(plain, SeriesBaselineSpeedUp) {
		t.Error("a plot without a baseline names one")
	}
	// Three more dashed lines (each drawn once more in the legend).
	dashed := func(b []byte) int { return bytes.Count(b, []byte("stroke-dasharray")) }
	if d := dashed(with.Bytes()) - dashed(without.Bytes()); d != 6 {
		t.Errorf("%d more dashed strokes with the baseline, want 6", d)
	}
}
