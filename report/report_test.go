package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/runner"
)

func sample() Result {
	s := runner.Snapshot{Model: "mlp", Device: "cpu", Batch: 32, State: runner.Done, WarmupSettled: true,
		Overall: runner.Throughput{Duration: 5 * time.Second, Batches: 1000, Samples: 32000, SamplesPerSec: 6400, BatchesPerSec: 200},
		Latency: runner.Percentiles{Count: 1000, P50: 4 * time.Millisecond, P90: 4500 * time.Microsecond, P95: 5 * time.Millisecond,
			P99: 6 * time.Millisecond, P999: 7 * time.Millisecond, Max: 9 * time.Millisecond},
		Stability: runner.Stability{Windows: true, IQR: false, ThroughputSpread: 0.03, P50Spread: 0.01, IQROverMedian: 0.2},
		GFLOPS:    12.5, Memory: engine.Memory{HostBytes: 1 << 20}}
	info := engine.Info{Device: "cpu", Engine: "cpu+openblas", Detail: "OpenBLAS 0.3.21", Threads: 2}
	meta := NewMeta("0.1.0", info, "mlp", map[string]any{"warmup": "1s"}, time.Unix(0, 0), "testdata/cpuinfo")
	return Result{Meta: meta, Rows: []Row{FromSnapshot(s)}}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Meta map[string]any   `json:"meta"`
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	wantMeta := []string{"version", "go", "cpu_model", "threads", "engine", "engine_detail", "device", "precision", "model", "options", "start"}
	wantRow := []string{"model", "device", "batch", "samples_per_sec", "batches_per_sec", "latency_ms", "batches", "samples", "measured_s", "warmup_s",
		"stable", "stability", "gflops", "pct_peak", "engine_bytes", "warnings", "error"}
	if k := keys(got.Meta); !slices.Equal(k, sorted(wantMeta)) {
		t.Errorf("meta keys %v", k)
	}
	row := got.Rows[0]
	if k := keys(row); !slices.Equal(k, sorted(wantRow)) {
		t.Errorf("row keys %v (CPU rows carry no h2d/compute/d2h)", k)
	}
	if k := keys(row["latency_ms"].(map[string]any)); !slices.Equal(k, sorted([]string{"p50", "p90", "p95", "p99", "p999", "max"})) {
		t.Errorf("latency keys %v", k)
	}
	if k := keys(row["stability"].(map[string]any)); !slices.Equal(k, sorted([]string{"windows", "iqr", "window_spread", "iqr_over_median"})) {
		t.Errorf("stability keys %v", k)
	}
	if row["samples"].(float64) != 32000 || row["stable"] != false || got.Meta["cpu_model"] != "AMD EPYC 7B13 64-Core Processor" {
		t.Errorf("values: %v %v", row, got.Meta)
	}
	if w := row["warnings"].([]any); len(w) != 1 || w[0].(string) != "unstable: IQR/median 20.0 % (limit 10 %)" {
		t.Errorf("warnings %v", w)
	}
}

func TestCSVAndTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 2 || len(recs[0]) != len(recs[1]) {
		t.Fatalf("csv %v %v", recs, err)
	}
	if recs[1][0] != "mlp" || recs[1][3] != "6400" || recs[1][5] != "4" || recs[1][13] != "false" {
		t.Errorf("csv row %v", recs[1])
	}
	b.Reset()
	if err := WriteTable(&b, sample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"AMD EPYC 7B13", "OpenBLAS 0.3.21", "SAMPLES/S", "6400", "no (iqr)", "1.0 MiB", "unstable: IQR/median 20.0 % (limit 10 %)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if err := Write(&b, "xml", sample()); err == nil || !strings.Contains(err.Error(), "valid: table, json, csv") {
		t.Errorf("Write(xml): %v", err)
	}
}

// TestPlanOfEachBatch: how the engine computed each batch (the CUDA engine's
// convolution ways, which differ from batch to batch) reaches the JSON row
// and a line under the table, and stays out of rows whose engine has none.
func TestPlanOfEachBatch(t *testing.T) {
	res := sample()
	s := runner.Snapshot{Model: "resnet", Device: "cuda:0", Batch: 256, State: runner.Done,
		Info: engine.Info{Device: "cuda:0", Engine: "cuda+cublas", Plan: "conv 8 cudnn, 2 implicit (timed at this batch)"}}
	res.Rows = append(res.Rows, FromSnapshot(s))
	var b bytes.Buffer
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Rows[0]["plan"]; ok {
		t.Errorf("the CPU row carries a plan: %v", got.Rows[0])
	}
	if p := got.Rows[1]["plan"]; p != "conv 8 cudnn, 2 implicit (timed at this batch)" {
		t.Errorf("resnet row's plan = %v", p)
	}
	b.Reset()
	if err := WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\n  resnet batch 256: conv 8 cudnn, 2 implicit (timed at this batch)\n") {
		t.Errorf("table lacks the plan line:\n%s", b.String())
	}
}

func TestTimes(t *testing.T) {
	var b bytes.Buffer
	_ = WriteTimes(&b, []Times{NewTimes("mlp", "cpu", 1, []time.Duration{1500 * time.Microsecond, 2 * time.Millisecond}, 0)})
	if got := strings.TrimSpace(b.String()); got != `[{"model":"mlp","device":"cpu","batch":1,"dropped":0,"latency_ms":[1.5,2]}]` {
		t.Errorf("times %s", got)
	}
}

func keys(m map[string]any) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return sorted(k)
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// The precision that ran (engine.Info.Precision) reaches the meta and each
// row of the JSON, the CSV's last column, and the table's machine line for
// a GPU (the CPU computes in float32 only, so its line stays as it was).
func TestPrecisionReachesEveryFormat(t *testing.T) {
	info := engine.Info{Device: "cuda:0", Engine: "cuda+cublas", Precision: engine.FP16}
	s := runner.Snapshot{Model: "mlp", Device: "cuda:0", Batch: 8, State: runner.Done, Info: info}
	res := Result{Meta: NewMeta("0.1.0", info, "mlp", nil, time.Unix(0, 0), "testdata/cpuinfo"), Rows: []Row{FromSnapshot(s)}}
	var b bytes.Buffer
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Meta struct{ Precision string }   `json:"meta"`
		Rows []struct{ Precision string } `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got.Meta.Precision != "fp16" || len(got.Rows) != 1 || got.Rows[0].Precision != "fp16" {
		t.Errorf("JSON %+v (%v):\n%s", got, err, b.String())
	}
	b.Reset()
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || recs[0][len(recs[0])-1] != "precision" || recs[1][len(recs[1])-1] != "fp16" {
		t.Errorf("CSV %v (%v)", recs, err)
	}
	b.Reset()
	if err := WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); !strings.HasSuffix(first, " · cuda+cublas · fp16") {
		t.Errorf("table's first line %q does not end with the precision", first)
	}
	b.Reset()
	if err := WriteTable(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); strings.Contains(first, "fp32") {
		t.Errorf("the CPU's first line names its precision: %q", first)
	}
}
