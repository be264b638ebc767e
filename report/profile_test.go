package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/runner"
)

// profiled is sample() with a profile of two steps and 0.5 ms outside, of
// a 10 ms batch.
func profiled() Result {
	res := sample()
	p := &runner.Profile{Every: 10, Batches: 57, Kept: 57, Batch: 10 * time.Millisecond, Outside: 500 * time.Microsecond,
		OutsideShare: 0.05, Closure: 1, PeakGFLOPS: 100,
		Steps: []runner.StepStat{
			{Index: 1, Step: engine.Step{Name: "conv2", Op: "FusedConv", Covers: []string{"conv2", "bn2", "relu2"}, FLOPs: 4e8, Bytes: 3e7, Way: "im2col + sgemm", Threads: 2},
				P50: 8 * time.Millisecond, Share: 0.8, GFLOPS: 50, GBPS: 3.75, PctPeak: 50},
			{Index: 0, Step: engine.Step{Name: "x.nhwc", Op: "layout", Bytes: 1e6, Way: "layout change", Threads: 1},
				P50: 1500 * time.Microsecond, Share: 0.15, GBPS: 0.667},
		}}
	res.Rows[0].Profile = NewProfile(p)
	return res
}

func TestProfileTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, profiled()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"mlp batch 32: where a batch's 10 ms goes (medians of 57 profiling batches, one in 10, left out of the figures above)",
		"STEP", "conv2", "conv2, bn2, relu2", "80%", "50%", "im2col + sgemm ×2", "x.nhwc", "layout change", "15%",
		"outside steps", "0.5", "5.0%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if i, j, k := strings.Index(out, "conv2"), strings.Index(out, "x.nhwc"), strings.Index(out, "outside steps"); !(i < j && j < k) {
		t.Errorf("rows out of order:\n%s", out)
	}
	if strings.Contains(out, "add up to") {
		t.Errorf("a profile that closes has a note:\n%s", out)
	}
	res := profiled()
	res.Rows[0].Profile.Closure = 0.9
	b.Reset()
	_ = WriteTable(&b, res)
	if !strings.Contains(b.String(), "the rows add up to 90% of the batch's median") {
		t.Errorf("no note for rows that do not add up:\n%s", b.String())
	}
	res.Rows[0].Profile = NewProfile(&runner.Profile{Every: 10, Note: "the cuda+cublas engine does not time its steps"})
	b.Reset()
	_ = WriteTable(&b, res)
	if !strings.Contains(b.String(), "mlp batch 32: no step profile: the cuda+cublas engine does not time its steps") {
		t.Errorf("no note for an engine without a profile:\n%s", b.String())
	}
}

// A table shows the slowest steps and what the others add up to.
func TestProfileTableCutsLongProfiles(t *testing.T) {
	p := &runner.Profile{Every: 10, Batches: 3, Kept: 3, Batch: 100 * time.Millisecond, Closure: 1}
	for i := range 30 {
		p.Steps = append(p.Steps, runner.StepStat{Index: i, Step: engine.Step{Name: fmt.Sprintf("s%02d", i), Op: "Relu"},
			P50: time.Duration(30-i) * time.Millisecond / 10, Share: 0.01})
	}
	res := sample()
	res.Rows[0].Profile = NewProfile(p)
	var b bytes.Buffer
	_ = WriteTable(&b, res)
	if out := b.String(); !strings.Contains(out, "s24") || strings.Contains(out, "s25") || !strings.Contains(out, "(5 more steps)") || !strings.Contains(out, "5.0%") {
		t.Errorf("long profile:\n%s", out)
	}
}

func TestProfileJSONAndExport(t *testing.T) {
	res := profiled()
	var b bytes.Buffer
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows []struct {
			Profile map[string]any `json:"profile"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	p := got.Rows[0].Profile
	want := []string{"every", "profiled_batches", "kept", "batch_ms", "outside_ms", "outside_share", "closure", "peak_gflops", "steps"}
	if k := keys(p); !slices.Equal(k, sorted(want)) {
		t.Errorf("profile keys %v", k)
	}
	step := p["steps"].([]any)[0].(map[string]any)
	wantStep := []string{"rank", "index", "step", "op", "covers", "way", "threads", "p50_ms", "share", "flops", "bytes", "gflops", "gb_per_s", "pct_peak"}
	if k := keys(step); !slices.Equal(k, sorted(wantStep)) {
		t.Errorf("step keys %v", k)
	}
	if step["step"] != "conv2" || step["p50_ms"] != 8.0 || step["flops"] != 4e8 || step["rank"] != 1.0 {
		t.Errorf("first step %v", step)
	}

	// The export: one record per step per batch size, the outside row last;
	// a row without a profile adds none.
	res.Rows = append(res.Rows, FromSnapshot(runner.Snapshot{Model: "mlp", Device: "cpu", Batch: 64}))
	doc := NewProfileExport(res.Meta, res.Rows)
	if len(doc.Records) != 3 {
		t.Fatalf("%d records, want 3: %+v", len(doc.Records), doc.Records)
	}
	last := doc.Records[2]
	if last.Step != OutsideSteps || last.Index != -1 || last.Rank != 3 || last.P50MS != 0.5 || last.Share != 0.05 || last.BatchMS != 10 || last.Batch != 32 {
		t.Errorf("outside record %+v", last)
	}
	b.Reset()
	if err := WriteProfileExport(&b, doc); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Meta    map[string]any   `json:"meta"`
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	wantRec := append([]string{"model", "device", "batch", "batch_ms", "profiled_batches"}, wantStep...)
	if k := keys(back.Records[0]); !slices.Equal(k, sorted(wantRec)) || back.Meta["engine"] != "cpu+openblas" {
		t.Errorf("record keys %v, meta %v", k, back.Meta)
	}
	if c := back.Records[0]["covers"].([]any); len(c) != 3 || c[2] != "relu2" {
		t.Errorf("covers %v", c)
	}
}
