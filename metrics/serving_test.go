package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"infertop/runner"
)

// servingSnapshot is a serving run of mlp at max batch 8: 2,000 req/s
// offered, 1,900 answered, 3 batches of 4 and 1 of 8.
func servingSnapshot() runner.Snapshot {
	s := fakeSnapshot()
	s.Batch = 8
	s.Latency = runner.Percentiles{Count: 5700, P50: 2 * time.Millisecond, P90: 4 * time.Millisecond, P99: 9 * time.Millisecond}
	s.Serving = &runner.Serving{
		Arrival: "poisson:2000", MaxBatch: 8, MaxDelay: time.Millisecond, RequestSize: 1,
		Offered: 2000, Achieved: 1900, Goodput: 1850, Requests: 5700, Arrived: 5750, Rejected: 10,
		Queue:      runner.Percentiles{Count: 5700, P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 5 * time.Millisecond},
		QueueDepth: 12, Saturated: true, SaturatedAt: 1900,
		Batches:   []runner.SizeCount{{Size: 4, Count: 3}, {Size: 8, Count: 1}},
		Instances: []runner.Instance{{Index: 0, Device: "cuda:0", WindowUtilization: 0.97}},
	}
	return s
}

func TestServingMetrics(t *testing.T) {
	f := NewFeed()
	f.ObserveSnapshot(servingSnapshot())
	const want = `
# HELP infertop_serving_answered_requests_per_second Requests answered per second over the last completed window.
# TYPE infertop_serving_answered_requests_per_second gauge
infertop_serving_answered_requests_per_second{batch="8",device="cuda:0",model="mlp"} 1900
# HELP infertop_serving_batch_size Sizes of the batches dispatched in the current run, in samples.
# TYPE infertop_serving_batch_size histogram
infertop_serving_batch_size_bucket{batch="8",device="cuda:0",model="mlp",le="4"} 3
infertop_serving_batch_size_bucket{batch="8",device="cuda:0",model="mlp",le="8"} 4
infertop_serving_batch_size_bucket{batch="8",device="cuda:0",model="mlp",le="+Inf"} 4
infertop_serving_batch_size_sum{batch="8",device="cuda:0",model="mlp"} 20
infertop_serving_batch_size_count{batch="8",device="cuda:0",model="mlp"} 4
# HELP infertop_serving_queue_depth Requests queued now.
# TYPE infertop_serving_queue_depth gauge
infertop_serving_queue_depth{batch="8",device="cuda:0",model="mlp"} 12
# HELP infertop_serving_saturated 1 when the device does not keep up with the offered load (the queue grows and answers fall behind arrivals, or a full queue rejects), else 0.
# TYPE infertop_serving_saturated gauge
infertop_serving_saturated{batch="8",device="cuda:0",model="mlp"} 1
`
	names := []string{"infertop_serving_answered_requests_per_second", "infertop_serving_batch_size", "infertop_serving_queue_depth", "infertop_serving_saturated"}
	if err := testutil.CollectAndCompare(NewCollector(f), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	out, err := testutil.CollectAndFormat(NewCollector(f), expfmt.TypeTextPlain, "infertop_serving_request_latency_seconds", "infertop_batch_latency_p99_seconds", "infertop_batch_latency_seconds")
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, line := range []string{
		`infertop_serving_request_latency_seconds{batch="8",device="cuda:0",model="mlp",part="end_to_end",quantile="0.99"} 0.009`,
		`infertop_serving_request_latency_seconds{batch="8",device="cuda:0",model="mlp",part="queue",quantile="0.99"} 0.005`,
	} {
		if !strings.Contains(text, line) {
			t.Errorf("missing %s in\n%s", line, text)
		}
	}
	// Request latencies never pass for batch latencies.
	if strings.Contains(text, "infertop_batch_latency_p99_seconds{") || strings.Contains(text, `infertop_batch_latency_seconds_count{batch="8",device="cuda:0",model="mlp"} 5700`) {
		t.Errorf("a serving run's request latencies are in the batch latency series:\n%s", text)
	}
	problems, err := testutil.CollectAndLint(NewCollector(f))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
