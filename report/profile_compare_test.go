package report

import (
	"bytes"
	"strings"
	"testing"
)

// Two profiles line up by model, batch size and step: B's speed-up of each
// step, steps only one side has, and the outside row last.
func TestCompareProfiles(t *testing.T) {
	rec := func(batch int, step string, batchMS, p50 float64) ProfileRecord {
		return ProfileRecord{Model: "resnet", Device: "cpu", Batch: batch, BatchMS: batchMS, ProfileStep: ProfileStep{Step: step, Op: "FusedConv", P50MS: p50}}
	}
	a := ProfileExport{Meta: Meta{Device: "cpu", Engine: "cpu+openblas", Threads: 1}, Records: []ProfileRecord{
		rec(32, "conv1", 10, 6), rec(32, "conv2", 10, 3), rec(32, OutsideSteps, 10, 1), rec(64, "conv1", 20, 12)}}
	b := ProfileExport{Meta: Meta{Device: "cpu", Engine: "cpu+openblas", Threads: 2}, Records: []ProfileRecord{
		rec(32, "conv1", 5, 2), rec(32, "x.nhwc", 5, 1.5), rec(32, OutsideSteps, 5, 1.5)}}
	d, err := CompareProfiles("a.json", a, "b.json", b)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		step     string
		a, b, up float64 // -1: absent
	}
	val := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	want := []row{{"", 10, 5, 2}, {"conv1", 6, 2, 3}, {"conv2", 3, -1, -1}, {"x.nhwc", -1, 1.5, -1}, {OutsideSteps, 1, 1.5, 1.0 / 1.5}}
	if len(d.Rows) != len(want) {
		t.Fatalf("%d rows: %+v", len(d.Rows), d.Rows)
	}
	for i, w := range want {
		r := d.Rows[i]
		if r.Step != w.step || r.Batch != 32 || val(r.AMS) != w.a || val(r.BMS) != w.b || !near(val(r.SpeedUp), w.up) {
			t.Errorf("row %d: %s %v %v %v, want %+v", i, r.Step, val(r.AMS), val(r.BMS), val(r.SpeedUp), w)
		}
	}
	var out bytes.Buffer
	if err := WriteProfileDiff(&out, "table", d); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"A = a.json (cpu, cpu+openblas, 1 threads)", "B = b.json (cpu, cpu+openblas, 2 threads)", "(batch)", "×2.00", "×3.00", "x.nhwc"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	b.Records = b.Records[:0]
	b.Records = append(b.Records, rec(8, "conv1", 1, 1))
	if _, err := CompareProfiles("a.json", a, "b.json", b); err == nil || err.Error() != "a.json and b.json profiled no model at the same batch size" {
		t.Errorf("nothing in common: %v", err)
	}
}

// near reports a within a millionth of b.
func near(a, b float64) bool { return a-b <= 1e-6 && b-a <= 1e-6 }
