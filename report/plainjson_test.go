package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

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
