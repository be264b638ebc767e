package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/runner"
)

// TestPlainNumbers: a large rate and a tiny energy per sample are written in
// plain decimal notation in CSV and JSON (no 1.01992e+08, no 1.2e-07), and
// the JSON still reads back to the same values.
func TestPlainNumbers(t *testing.T) {
	res := sample()
	r := &res.Rows[0]
	r.SamplesPerSec, r.BatchesPerSec = 1.01992345e8, 3.1872e6
	r.Energy = runner.Energy{Valid: true, JoulesPerSample: 1.2e-7}
	var b bytes.Buffer
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	row := recs[1]
	if row[3] != "101992345" || row[4] != "3187200" || row[len(row)-1] != "0.00000012" {
		t.Errorf("csv samples/s %q, batches/s %q, J/sample %q", row[3], row[4], row[len(row)-1])
	}
	b.Reset()
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "e-0") || strings.Contains(s, "e+") {
		t.Errorf("JSON has an exponent:\n%s", s)
	}
	if !strings.Contains(b.String(), `"joules_per_sample": 0.00000012`) {
		t.Errorf("JSON energy not plain:\n%s", b.String())
	}
	var back Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Rows[0].Energy.JoulesPerSample != 1.2e-7 {
		t.Errorf("read back %v: %v", back.Rows, err)
	}
	b.Reset()
	if err := WriteTimes(&b, []Times{NewTimes("linear", "cpu", 1, []time.Duration{50}, 0)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"latency_ms":[0.00005]`) {
		t.Errorf("times: %s", b.String())
	}
}

func TestPlainNumbersLeavesStrings(t *testing.T) {
	in := `{"a":"1e-07 \"2E+30\"","b":[1e-07,-2.5E+21,3,0.5],"c":12}`
	want := `{"a":"1e-07 \"2E+30\"","b":[0.0000001,-2500000000000000000000,3,0.5],"c":12}`
	if got := string(plainNumbers([]byte(in))); got != want {
		t.Errorf("plainNumbers\n got %s\nwant %s", got, want)
	}
}

// A share of a stale peak is never shown bare: the table marks it, the row
// says why, the JSON carries the flag, the peak and how it was taken.
func TestStalePeakIsSaid(t *testing.T) {
	s := runner.Snapshot{Model: "mlp", Device: "cpu", Batch: 256, State: runner.Done, WarmupSettled: true,
		Stability: runner.Stability{Windows: true, IQR: true}, GFLOPS: 88.65, PctPeak: 150.4, PeakStale: true,
		Info: engine.Info{PeakGFLOPS: 58.94, Peak: engine.Peak{Runs: 7, Spread: 0.04, Cached: true}}}
	res := sample()
	res.Rows = []Row{FromSnapshot(s)}
	var b bytes.Buffer
	if err := WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "150.4 stale") ||
		!strings.Contains(out, "mlp batch 256: % of peak is stale: a window beat the sgemm peak of 58.9 GFLOP/s, which a peak cannot be") {
		t.Errorf("table:\n%s", out)
	}
	b.Reset()
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"peak_stale": true`, `"peak_gflops": 58.94`, `"runs": 7`, `"spread": 0.04`, `"cached": true`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}

// Energy that cannot be measured is said where the figure would be: one
// line under the table per reason, and the JSON row's energy_note.
func TestEnergyNote(t *testing.T) {
	res := sample()
	s := runner.Snapshot{Model: "mlp", Device: "cpu", Batch: 1, State: runner.Done, WarmupSettled: true,
		Stability: runner.Stability{Windows: true, IQR: true}, EnergyNote: "no RAPL counters here (a virtual machine?)"}
	res.Rows = []Row{FromSnapshot(s), FromSnapshot(s)}
	var b bytes.Buffer
	if err := WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "  energy per sample on cpu: not measured: no RAPL counters here (a virtual machine?)\n"); n != 1 {
		t.Errorf("the note is there %d times:\n%s", n, b.String())
	}
	b.Reset()
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"energy_note": "no RAPL counters here (a virtual machine?)"`) {
		t.Errorf("JSON:\n%s", b.String())
	}
}
