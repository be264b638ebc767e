package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"infertop/runner"
)

// gpuSample is sample() with a second row on a GPU whose counters advanced
// 400 J over 32000 of its measured samples.
func gpuSample() Result {
	res := sample()
	gpu := res.Rows[0]
	gpu.Device = "cuda:0"
	gpu.Energy = FromSnapshot(runner.Snapshot{OverallEnergy: runner.Energy{Valid: true, Joules: 400, Samples: 32000, JoulesPerSample: 0.0125}}).Energy
	res.Rows = append(res.Rows, gpu)
	return res
}

func TestEnergyFromSnapshot(t *testing.T) {
	r := FromSnapshot(runner.Snapshot{OverallEnergy: runner.Energy{Valid: true, Joules: 400, Samples: 32000, JoulesPerSample: 0.0125}})
	if e := r.Energy; !e.Valid || e.Joules != 400 || e.Samples != 32000 || e.JoulesPerSample != 0.0125 {
		t.Errorf("energy %+v", e)
	}
	if e := sample().Rows[0].Energy; e.Valid || e.JoulesPerSample != 0 {
		t.Errorf("CPU row energy %+v", e)
	}
}

func TestEnergyJSONOnlyWhenKnown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, gpuSample()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Rows[0]["energy"]; ok {
		t.Errorf("CPU row carries energy: %v", got.Rows[0])
	}
	e, ok := got.Rows[1]["energy"].(map[string]any)
	if !ok || e["joules_per_sample"] != 0.0125 || e["joules"] != 400.0 || e["samples"] != 32000.0 || e["valid"] != true {
		t.Errorf("GPU row energy %v", got.Rows[1]["energy"])
	}
}

func TestEnergyCSVAndTableOnlyWhenKnown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, gpuSample()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := len(csvHeader)
	if len(recs) != 3 || len(recs[0]) != last+1 || recs[0][last] != "joules_per_sample" || recs[1][last] != "" || recs[2][last] != "0.0125" {
		t.Errorf("CSV %v", recs)
	}
	b.Reset()
	if err := WriteTable(&b, gpuSample()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasSuffix(lines[2], "MEMORY  J/SAMPLE") || !strings.HasSuffix(lines[3], " -") || !strings.HasSuffix(lines[4], " 0.0125") {
		t.Errorf("table:\n%s", b.String())
	}

	// Without a known figure the outputs are those of before: no column.
	b.Reset()
	if err := WriteCSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if recs, err := csv.NewReader(&b).ReadAll(); err != nil || !slices.Equal(recs[0], csvHeader) || len(recs[1]) != len(csvHeader) {
		t.Errorf("CPU CSV %v %v", recs, err)
	}
	b.Reset()
	if err := WriteTable(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "J/SAMPLE") || !strings.HasSuffix(strings.Split(b.String(), "\n")[2], "MEMORY") {
		t.Errorf("CPU table:\n%s", b.String())
	}
}
