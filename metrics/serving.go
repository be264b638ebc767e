package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"infertop/runner"
)

// servingDescs are the series of a serving-mode run (runner.Serving),
// with the run's labels model, device and batch (the max batch).
type servingDescs struct {
	info, offered, answered, goodput, latency, depth, requests, saturated, utilization, batchSize *prometheus.Desc
}

func newServingDescs() servingDescs {
	s := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("infertop_serving_"+name, help, append([]string{"model", "device", "batch"}, extra...), nil)
	}
	return servingDescs{
		info:        s("info", "The serving run now measured: always 1, with its arrival (e.g. poisson:2000), max delay and instances; the batch label is the max batch.", "arrival", "max_delay", "instances"),
		offered:     s("offered_requests_per_second", "Requests scheduled to arrive per second over the last completed window."),
		answered:    s("answered_requests_per_second", "Requests answered per second over the last completed window."),
		goodput:     s("goodput_requests_per_second", "Requests answered within the p99 objective per second over the last completed window (all answers without an objective)."),
		latency:     s("request_latency_seconds", "A request's latency from its scheduled arrival (part end_to_end) and its parts: queue (every instance busy), formation (held for the batch to fill while an instance was free), compute (dispatch to answer); quantiles of the current run's HDR histograms.", "part"),
		depth:       s("queue_depth", "Requests queued now."),
		requests:    s("requests", "Requests of the current run by outcome: answered, rejected (a full queue), arrived.", "outcome"),
		saturated:   s("saturated", "1 when the device does not keep up with the offered load (the queue grows and answers fall behind arrivals, or a full queue rejects), else 0."),
		utilization: s("instance_utilization_ratio", "Each instance's busy share of the last completed window, 0 to 1.", "instance"),
		batchSize:   s("batch_size", "Sizes of the batches dispatched in the current run, in samples."),
	}
}

func (d servingDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.info, d.offered, d.answered, d.goodput, d.latency, d.depth, d.requests, d.saturated, d.utilization, d.batchSize}
}

// collectServing sends a serving run's series.
func (c *Collector) collectServing(ch chan<- prometheus.Metric, s runner.Snapshot, l []string) {
	sv, d := s.Serving, c.sd
	gauge := func(desc *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, append(append([]string(nil), l...), extra...)...)
	}
	gauge(d.info, 1, sv.Arrival, sv.MaxDelay.String(), strconv.Itoa(len(sv.Instances)))
	gauge(d.offered, sv.Offered)
	gauge(d.answered, sv.Achieved)
	gauge(d.goodput, sv.Goodput)
	parts := []struct {
		name string
		p    runner.Percentiles
	}{{"end_to_end", s.Latency}, {"queue", sv.Queue}, {"formation", sv.Formation}, {"compute", sv.Compute}}
	for _, part := range parts {
		if part.p.Count == 0 {
			continue
		}
		q := map[float64]float64{0.5: part.p.P50.Seconds(), 0.9: part.p.P90.Seconds(), 0.99: part.p.P99.Seconds()}
		ch <- prometheus.MustNewConstSummary(d.latency, uint64(part.p.Count), part.p.Mean.Seconds()*float64(part.p.Count), q,
			append(append([]string(nil), l...), part.name)...)
	}
	gauge(d.depth, float64(sv.QueueDepth))
	gauge(d.requests, float64(sv.Requests), "answered")
	gauge(d.requests, float64(sv.Rejected), "rejected")
	gauge(d.requests, float64(sv.Arrived), "arrived")
	gauge(d.saturated, b2f(sv.Saturated))
	for _, in := range sv.Instances {
		gauge(d.utilization, in.WindowUtilization, strconv.Itoa(in.Index))
	}
	var n uint64
	var sum float64
	cum := map[float64]uint64{}
	for _, b := range sv.Batches {
		n += uint64(b.Count)
		sum += float64(b.Size) * float64(b.Count)
		cum[float64(b.Size)] = n
	}
	ch <- prometheus.MustNewConstHistogram(d.batchSize, n, sum, cum, l...)
}
