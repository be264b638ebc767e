package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"infertop/report"
)

func TestBenchServingUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--arrival", "poisson"}, "--arrival: arrival \"poisson\": poisson needs a rate in requests per second, e.g. poisson:2000"},
		{[]string{"--arrival", "burst:5"}, "accepted: closed, poisson:RATE, constant:RATE"},
		{[]string{"--max-delay", "1ms"}, "--max-delay is a serving setting: give --arrival poisson:RATE, constant:RATE or clients:N with it"},
		{[]string{"--slo-p99", "20ms"}, "--slo-p99 counts goodput in serving mode"},
		{[]string{"--arrival", "poisson:100", "--max-delay", "-1ms"}, "--max-delay -1ms is negative"},
		{[]string{"--arrival", "poisson:100", "--batch", "8", "--preferred-batch", "4,16"}, "preferred batch 16: from 1 to the max batch (8)"},
		{[]string{"--arrival", "poisson:100", "--batch", "8", "--request-size", "3", "--preferred-batch", "4"}, "preferred batch 4: not a multiple of the request size (3 samples)"},
		{[]string{"--arrival", "poisson:100", "--instances", "0"}, "--instances 0: from 1 to 64"},
		{[]string{"--arrival", "poisson:100", "--queue-limit", "-1"}, "--queue-limit -1: 0 (unbounded)"},
		{[]string{"--arrival", "poisson:100", "--profile"}, "--profile times batches run back to back"},
		{[]string{"--arrival", "clients:2", "--export-times", "/tmp/x.json"}, "--export-times keeps the latency of every batch run back to back"},
	}
	for _, c := range cases {
		code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil), c.args...)
		if code != ExitUsage || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.args, code, out, stderr, c.want)
		}
	}
}

// bench --arrival measures serving mode: one row per max batch with its
// serving figures.
func TestBenchServingJSON(t *testing.T) {
	args := append(fast, "--arrival", "poisson:500", "--batch", "4,8", "--max-delay", "1ms", "--slo-p99", "50ms", "--format", "json")
	code, out, stderr := runBenchTest(context.Background(), fakeDeps(nil), args...)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("%d rows", len(res.Rows))
	}
	for i, r := range res.Rows {
		s := r.Serving
		if s == nil {
			t.Fatalf("row %d has no serving figures: %+v", i, r)
		}
		if s.MaxBatch != []int{4, 8}[i] || r.Batch != s.MaxBatch || s.Arrival != "poisson:500" || s.MaxDelayMS != 1 || s.SLOP99MS != 50 ||
			s.Instances != 1 || s.Requests == 0 || s.Arrived < s.Requests || len(s.Utilization) != 1 {
			t.Errorf("row %d serving %+v", i, s)
		}
	}
	if !strings.Contains(stderr, "max batch 4, poisson:500") {
		t.Errorf("progress does not say the serving run: %q", stderr)
	}
}
