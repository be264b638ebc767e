package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infertop/sweep"
)

func TestBaselineRatiosAndFlags(t *testing.T) {
	old := sweep.Result{Points: []sweep.Point{
		{Batch: 1, SamplesPerSec: 100, Noise: 0.02},
		{Batch: 2, SamplesPerSec: 200, Noise: 0.02},
		{Batch: 4, SamplesPerSec: 400},
		{Batch: 8, SamplesPerSec: 800, Noise: 0.01},
	}}
	cur := sweep.Result{Points: []sweep.Point{
		{Batch: 1, SamplesPerSec: 101, Noise: 0.01}, // +1 % within 2 % noise
		{Batch: 2, SamplesPerSec: 150, Noise: 0.03}, // −25 % beyond 3 %
		{Batch: 4, SamplesPerSec: 420},              // +5 % within the 10 % default
		{Batch: 16, SamplesPerSec: 1},               // not in the baseline
		{Batch: 8, SamplesPerSec: 880, Noise: 0.05}, // +10 % beyond 5 %
	}}
	rows := CompareToBaseline(old, cur)
	want := []BaselineRow{
		{Batch: 1, Old: 100, New: 101, Ratio: 1.01, Noise: 0.02},
		{Batch: 2, Old: 200, New: 150, Ratio: 0.75, Noise: 0.03, Flagged: true},
		{Batch: 4, Old: 400, New: 420, Ratio: 1.05, Noise: 0.10},
		{Batch: 8, Old: 800, New: 880, Ratio: 1.1, Noise: 0.05, Flagged: true},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i := range want {
		r := rows[i]
		if r.Batch != want[i].Batch || r.Flagged != want[i].Flagged || r.Noise != want[i].Noise ||
			r.Ratio < want[i].Ratio-1e-12 || r.Ratio > want[i].Ratio+1e-12 {
			t.Errorf("row %d: %+v, want %+v", i, r, want[i])
		}
	}
	var buf bytes.Buffer
	if err := WriteBaselineTable(&buf, rows); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "SLOWER") || !strings.Contains(out, "faster") || !strings.Contains(out, "×0.750") {
		t.Errorf("table:\n%s", out)
	}
}

func TestLoadBaseline(t *testing.T) {
	dir := t.TempDir()
	doc := SweepDoc{Sweep: sweepFixture()}
	b, _ := json.Marshal(doc)
	good := filepath.Join(dir, "old.json")
	os.WriteFile(good, b, 0o644)
	res, err := LoadBaseline(good)
	if err != nil || len(res.Points) != 8 || res.Rec.Batch != 32 {
		t.Fatalf("loaded %+v, %v", res.Rec, err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"rows": []}`), 0o644)
	if _, err := LoadBaseline(bad); err == nil || !strings.Contains(err.Error(), "no sweep points") {
		t.Errorf("bench JSON as baseline: %v", err)
	}
	if _, err := LoadBaseline(filepath.Join(dir, "none.json")); err == nil {
		t.Error("missing file accepted")
	}
}
