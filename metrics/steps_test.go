package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"infertop/engine"
	"infertop/runner"
)

// infertop_step_seconds is a summary per step of the profile: its median,
// and the count and sum over the run's profiling batches.
func TestStepSeconds(t *testing.T) {
	s := fakeSnapshot()
	s.Profile = &runner.Profile{Every: 10, Batches: 4, Kept: 4, Batch: 10 * time.Millisecond, Steps: []runner.StepStat{
		{Step: engine.Step{Name: "conv2", Op: "FusedConv"}, P50: 6 * time.Millisecond, Sum: 25 * time.Millisecond},
		{Step: engine.Step{Name: "fc", Op: "Linear"}, P50: 3 * time.Millisecond, Sum: 12 * time.Millisecond},
	}}
	f := NewFeed()
	f.ObserveSnapshot(s)
	c := NewCollector(f)
	const want = `
# HELP infertop_step_seconds Time of one step of the engine's plan in the current run's profiling batches (--profile: one batch in N, left out of every other figure): the median, and the count and sum over every profiling batch; the 10 slowest steps only, labelled by the step's name and op.
# TYPE infertop_step_seconds summary
infertop_step_seconds{batch="256",device="cuda:0",model="mlp",op="FusedConv",step="conv2",quantile="0.5"} 0.006
infertop_step_seconds_sum{batch="256",device="cuda:0",model="mlp",op="FusedConv",step="conv2"} 0.025
infertop_step_seconds_count{batch="256",device="cuda:0",model="mlp",op="FusedConv",step="conv2"} 4
infertop_step_seconds{batch="256",device="cuda:0",model="mlp",op="Linear",step="fc",quantile="0.5"} 0.003
infertop_step_seconds_sum{batch="256",device="cuda:0",model="mlp",op="Linear",step="fc"} 0.012
infertop_step_seconds_count{batch="256",device="cuda:0",model="mlp",op="Linear",step="fc"} 4
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "infertop_step_seconds"); err != nil {
		t.Error(err)
	}

	// A model of many steps: only the slowest StepSeries have series.
	s.Profile.Steps = nil
	for i := range 30 {
		s.Profile.Steps = append(s.Profile.Steps, runner.StepStat{Step: engine.Step{Name: fmt.Sprintf("s%d", i), Op: "Relu"}, P50: time.Duration(30-i) * time.Microsecond})
	}
	f.ObserveSnapshot(s)
	if n := testutil.CollectAndCount(c, "infertop_step_seconds"); n != StepSeries {
		t.Errorf("%d step series, want %d", n, StepSeries)
	}
	// No profile, or none measured yet: no series.
	s.Profile = &runner.Profile{Every: 10}
	f.ObserveSnapshot(s)
	if n := testutil.CollectAndCount(c, "infertop_step_seconds"); n != 0 {
		t.Errorf("%d step series without profiling batches", n)
	}
}
