package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"infertop/runner"
)

func TestDashboardResultFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	s := runner.Snapshot{Model: "linear", Device: "cpu", Batch: 1000, State: runner.Done,
		Overall: runner.Throughput{Samples: 5000, SamplesPerSec: 1234.5}}
	if err := WriteDashboardResult(path, s); err != nil {
		t.Fatal(err)
	}
	var got DashboardResult
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &got)
	}
	if err != nil || got.SamplesPerSec != 1234.5 || got.Batch != 1000 || got.State != "done" {
		t.Fatalf("result %+v, %v", got, err)
	}
	if err := WriteDashboardResult(filepath.Join(t.TempDir(), "no", "r.json"), s); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}
