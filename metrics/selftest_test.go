package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSelftestMetrics(t *testing.T) {
	st := NewSelftest("cuda:0", "fp16", "cpu", 1e-2, 5)
	st.ObserveCase(SelftestCase{Model: "mlp", Batch: 1, Pass: true, Compared: true, MaxRelErr: 2.5e-7, Took: 3 * time.Millisecond})
	st.ObserveCase(SelftestCase{Model: "mlp", Batch: 64, Compared: true, MaxRelErr: 0.02, Took: 5 * time.Millisecond})
	st.ObserveCase(SelftestCase{Model: "resnet", Batch: 64}) // failed before any output
	st.ObserveCase(SelftestCase{Model: "x.onnx", Refused: true, Cases: 2})
	const want = `
# HELP infertop_selftest_case_max_relative_error_ratio The case's max|out−base| / max|base| (NaN when the baseline was not finite); absent when no outputs were compared (the run failed).
# TYPE infertop_selftest_case_max_relative_error_ratio gauge
infertop_selftest_case_max_relative_error_ratio{batch="1",device="cuda:0",model="mlp"} 2.5e-07
infertop_selftest_case_max_relative_error_ratio{batch="64",device="cuda:0",model="mlp"} 0.02
# HELP infertop_selftest_case_passed 1 when the case passed, 0 when it failed; present once the case has finished.
# TYPE infertop_selftest_case_passed gauge
infertop_selftest_case_passed{batch="1",device="cuda:0",model="mlp"} 1
infertop_selftest_case_passed{batch="64",device="cuda:0",model="mlp"} 0
infertop_selftest_case_passed{batch="64",device="cuda:0",model="resnet"} 0
# HELP infertop_selftest_case_run_seconds Wall time of the case's warm run on the device under test (the second of two runs).
# TYPE infertop_selftest_case_run_seconds gauge
infertop_selftest_case_run_seconds{batch="1",device="cuda:0",model="mlp"} 0.003
infertop_selftest_case_run_seconds{batch="64",device="cuda:0",model="mlp"} 0.005
# HELP infertop_selftest_cases_total Cases finished, by result ("pass", "fail", or "refused": every batch of a model the device's engine cannot run).
# TYPE infertop_selftest_cases_total counter
infertop_selftest_cases_total{device="cuda:0",result="fail"} 2
infertop_selftest_cases_total{device="cuda:0",result="pass"} 1
infertop_selftest_cases_total{device="cuda:0",result="refused"} 2
# HELP infertop_selftest_info The selftest running: always 1; baseline is what the device's outputs are compared with ("reference": the plain-Go evaluation of the model's graph, "cpu": the CPU engine); precision is what the device computes in (fp32, tf32, fp16 or bf16; the baseline is float32).
# TYPE infertop_selftest_info gauge
infertop_selftest_info{baseline="cpu",device="cuda:0",precision="fp16"} 1
# HELP infertop_selftest_model_refused 1 for a model the device's engine cannot run (it lacks an op the model needs): neither a pass nor a failure.
# TYPE infertop_selftest_model_refused gauge
infertop_selftest_model_refused{device="cuda:0",model="x.onnx"} 1
# HELP infertop_selftest_planned_cases Cases (model × batch) the selftest runs in all.
# TYPE infertop_selftest_planned_cases gauge
infertop_selftest_planned_cases{device="cuda:0"} 5
# HELP infertop_selftest_tolerance_ratio The largest accepted relative error, max|out−base| / max|base|: the precision's.
# TYPE infertop_selftest_tolerance_ratio gauge
infertop_selftest_tolerance_ratio{device="cuda:0"} 0.01
`
	c := NewSelftestCollector(st)
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if probs, err := testutil.CollectAndLint(c); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %+v", err, probs)
	}
	// A case run again replaces its earlier verdict.
	st.ObserveCase(SelftestCase{Model: "resnet", Batch: 64, Pass: true, Compared: true})
	const passed = `
# HELP infertop_selftest_case_passed 1 when the case passed, 0 when it failed; present once the case has finished.
# TYPE infertop_selftest_case_passed gauge
infertop_selftest_case_passed{batch="1",device="cuda:0",model="mlp"} 1
infertop_selftest_case_passed{batch="64",device="cuda:0",model="mlp"} 0
infertop_selftest_case_passed{batch="64",device="cuda:0",model="resnet"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(passed), "infertop_selftest_case_passed"); err != nil {
		t.Errorf("after resnet 64 ran again: %v", err)
	}
}

// Before any case has finished, the endpoint already says what runs, and
// the GPU telemetry and the selftest's metrics share one registry.
func TestSelftestRegistryBeforeAnyCase(t *testing.T) {
	f := NewFeed()
	f.ObserveSample(fakeSample())
	reg := NewSelftestRegistry(f, NewSelftest("cpu", "fp32", "reference", 1e-3, 6))
	n, err := testutil.GatherAndCount(reg, "infertop_selftest_info", "infertop_selftest_planned_cases",
		"infertop_selftest_cases_total", "infertop_selftest_case_passed", "infertop_gpu_framebuffer_used_bytes", "infertop_run_info")
	if err != nil {
		t.Fatal(err)
	}
	// info, planned, three totals (pass, fail and refused at 0), and GPU 0's used memory; no run series.
	if n != 6 {
		t.Errorf("%d series, want 6", n)
	}
}
