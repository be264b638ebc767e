package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/sweep"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// serveResult is a search of two configurations: max batch 1 (three
// points) and max batch 8 with a 1 ms delay (two points), recommended.
func serveResult() sweep.ServeResult {
	pt := func(rate, p99 float64, meets bool, why string) sweep.ServePoint {
		return sweep.ServePoint{RateRPS: rate, OfferedRPS: rate * 1.001, AchievedRPS: rate * 0.999, P50MS: p99 / 3, P99MS: p99,
			Requests: int64(rate * 3), Stable: meets, MeetsSLO: meets, Why: why, Saturated: strings.HasPrefix(why, "saturated"),
			Utilization: rate / 1000, MeanBatch: 1, BatchMix: []sweep.BatchShare{{Size: 1, Batches: int64(rate * 3), Share: 1}}}
	}
	one := sweep.ServeConfigResult{ServeSetting: sweep.ServeSetting{MaxBatch: 1, Instances: 1}, CapacityRPS: 909.1,
		Points: []sweep.ServePoint{pt(818.2, 17.9, true, ""), pt(863.6, 31.2, false, "p99 31.2 ms is above the SLO"), pt(840.9, 22.4, false, "p99 22.4 ms is above the SLO")},
		Best:   0, LoRPS: 818.2, HiRPS: 840.9, Done: true,
		Text: "meets the 20 ms p99 SLO up to 818.2 req/s (p99 17.9 ms there); at 840.9 req/s p99 22.4 ms is above the SLO"}
	eight := sweep.ServeConfigResult{ServeSetting: sweep.ServeSetting{MaxBatch: 8, MaxDelayUS: 1000, Instances: 1}, CapacityRPS: 4444,
		Points: []sweep.ServePoint{pt(4000, 7.31, true, ""), pt(4222, 412, false, "saturated: queue grew to 900 requests; answered 4000 of 4222 req/s offered")},
		Best:   0, LoRPS: 4000, HiRPS: 4222, Done: true,
		Text: "meets the 20 ms p99 SLO up to 4000 req/s (p99 7.31 ms there); at 4222 req/s saturated: queue grew to 900 requests; answered 4000 of 4222 req/s offered"}
	eight.Points[0].MeanBatch, eight.Points[0].Utilization = 7.15, 0.9
	eight.Points[0].BatchMix = []sweep.BatchShare{{Size: 6, Batches: 100, Share: 0.25}, {Size: 8, Batches: 300, Share: 0.75}}
	res := sweep.ServeResult{Arrival: "poisson", SLOMS: 20, RequestSize: 1, Preferred: []int{4, 8, 16}, QueueLimit: 256, Tolerance: 0.03,
		Configs: []sweep.ServeConfigResult{one, eight}, Notes: []string{"each point measured until stable or 4 s"}}
	res.Rec = sweep.RecommendServe(res.Configs, res.Tolerance, 20*time.Millisecond)
	return res
}

func serveDoc() ServeSweepDoc {
	info := engine.Info{Device: "cpu", Engine: "cpu+openblas", Threads: 2}
	meta := NewMeta("0.1.0", info, "mlp", map[string]any{"max_time": "4s"}, time.Unix(0, 0), "testdata/cpuinfo")
	meta.Go = "go1.26"
	res := serveResult()
	return ServeSweepDoc{Meta: meta, Search: res, Triton: TritonConfig(res, "mlp", "cpu", 0)}
}

func TestServeSweepOutputs(t *testing.T) {
	for _, format := range []string{"table", "json", "csv"} {
		var b bytes.Buffer
		if err := WriteServeSweep(&b, format, serveDoc()); err != nil {
			t.Fatal(err)
		}
		golden(t, "serve_sweep."+format+".golden", b.String())
	}
	var b bytes.Buffer
	if err := WriteServeSweep(&b, "json", serveDoc()); err != nil {
		t.Fatal(err)
	}
	var back ServeSweepDoc
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if r := back.Search.Recommended(); r == nil || r.MaxBatch != 8 || r.MaxDelay() != time.Millisecond || back.Triton == "" {
		t.Errorf("the JSON reads back as recommendation %+v", back.Search.Rec)
	}
}

func TestTritonConfig(t *testing.T) {
	res := serveResult()
	for _, c := range []struct {
		device    string
		instances int
		gpus      int
		golden    string
	}{
		{"cpu", 1, 0, "triton.cpu.golden"},
		{"cuda:1", 2, 0, "triton.cuda1.golden"},
		{"cuda:all", 3, 2, "triton.cudaall.golden"},
	} {
		res.Configs[1].Instances = c.instances
		golden(t, c.golden, TritonConfig(res, "mlp", c.device, c.gpus))
	}
	res.Rec.Index = -1
	if got := TritonConfig(res, "mlp", "cpu", 0); got != "" {
		t.Errorf("no recommendation gives %q", got)
	}
}

func TestServeSweepPlot(t *testing.T) {
	var b bytes.Buffer
	if err := WriteServeSweepPlot(&b, PlotSVG, "mlp on cpu", serveResult()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "max batch 1, max delay 0s, 1 instance", "max batch 8, max delay 1ms, 1 instance",
		"SLO p99 20 ms", "recommended: max batch 8, max delay 1ms, 1 instance at 4000 req/s", "clipped at 4× the SLO"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plot lacks %q", want)
		}
	}
	if err := WriteServeSweepPlot(&b, PlotSVG, "mlp", sweep.ServeResult{}); err == nil || err.Error() != "nothing to plot: no rate was measured" {
		t.Errorf("empty search: %v", err)
	}
}
