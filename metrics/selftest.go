package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Selftest holds a selftest's progress for the metrics endpoint: what it
// tests, how many cases it plans, and each finished case's verdict. Its
// methods are safe for concurrent use.
type Selftest struct {
	device, baseline, precision string
	tolerance                   float64
	planned                     int

	mu    sync.Mutex
	cases []SelftestCase // in the order they finished; one per model and batch
}

// SelftestCase is one finished case, or a model the device's engine
// refused (Refused, Batch 0).
type SelftestCase struct {
	// Model names the model (a preset, or a file's path).
	Model string
	Batch int
	Pass  bool
	// Refused says the device's engine cannot run the model; Cases is how
	// many planned cases (one per batch) the refusal stands for.
	Refused bool
	Cases   int
	// Compared is true when the outputs were compared; MaxRelErr is
	// max|out−base| / max|base| then.
	Compared  bool
	MaxRelErr float64
	// Took is the wall time of the device's warm run (0 when it did not run).
	Took time.Duration
}

// NewSelftest describes a selftest of device in precision (fp32, tf32,
// fp16 or bf16) against baseline ("reference" or "cpu") with the given
// tolerance, planning planned cases.
func NewSelftest(device, precision, baseline string, tolerance float64, planned int) *Selftest {
	return &Selftest{device: device, precision: precision, baseline: baseline, tolerance: tolerance, planned: planned}
}

// ObserveCase records a finished case; a case of the same model and batch
// replaces the earlier one.
func (s *Selftest) ObserveCase(c SelftestCase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.cases {
		if o.Model == c.Model && o.Batch == c.Batch {
			s.cases[i] = c
			return
		}
	}
	s.cases = append(s.cases, c)
}

// SelftestCollector turns a Selftest into metrics at each scrape.
type SelftestCollector struct {
	st                                                             *Selftest
	info, tolerance, planned, total, passed, relErr, took, refused *prometheus.Desc
}

// NewSelftestCollector returns a collector over st.
func NewSelftestCollector(st *Selftest) *SelftestCollector {
	c := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("infertop_selftest_"+name, help, append([]string{"device"}, labels...), nil)
	}
	return &SelftestCollector{st: st,
		info:      c("info", "The selftest running: always 1; baseline is what the device's outputs are compared with (\"reference\": the plain-Go evaluation of the model's graph, \"cpu\": the CPU engine); precision is what the device computes in (fp32, tf32, fp16 or bf16; the baseline is float32).", "baseline", "precision"),
		tolerance: c("tolerance_ratio", "The largest accepted relative error, max|out−base| / max|base|: the precision's."),
		planned:   c("planned_cases", "Cases (model × batch) the selftest runs in all."),
		total:     c("cases_total", "Cases finished, by result (\"pass\", \"fail\", or \"refused\": every batch of a model the device's engine cannot run).", "result"),
		passed:    c("case_passed", "1 when the case passed, 0 when it failed; present once the case has finished.", "model", "batch"),
		relErr:    c("case_max_relative_error_ratio", "The case's max|out−base| / max|base| (NaN when the baseline was not finite); absent when no outputs were compared (the run failed).", "model", "batch"),
		took:      c("case_run_seconds", "Wall time of the case's warm run on the device under test (the second of two runs).", "model", "batch"),
		refused:   c("model_refused", "1 for a model the device's engine cannot run (it lacks an op the model needs): neither a pass nor a failure.", "model"),
	}
}

// Describe sends every metric's description.
func (c *SelftestCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.info, c.tolerance, c.planned, c.total, c.passed, c.relErr, c.took, c.refused} {
		ch <- d
	}
}

// Collect sends the selftest's metrics.
func (c *SelftestCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.st
	st.mu.Lock()
	cases := append([]SelftestCase(nil), st.cases...)
	st.mu.Unlock()
	dev := st.device
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, dev, st.baseline, st.precision)
	ch <- prometheus.MustNewConstMetric(c.tolerance, prometheus.GaugeValue, st.tolerance, dev)
	ch <- prometheus.MustNewConstMetric(c.planned, prometheus.GaugeValue, float64(st.planned), dev)
	var pass, fail, refused float64
	for _, k := range cases {
		if k.Refused {
			refused += float64(k.Cases)
			ch <- prometheus.MustNewConstMetric(c.refused, prometheus.GaugeValue, 1, dev, k.Model)
			continue
		}
		l := []string{dev, k.Model, strconv.Itoa(k.Batch)}
		if k.Pass {
			pass++
		} else {
			fail++
		}
		ch <- prometheus.MustNewConstMetric(c.passed, prometheus.GaugeValue, b2f(k.Pass), l...)
		if k.Compared {
			ch <- prometheus.MustNewConstMetric(c.relErr, prometheus.GaugeValue, k.MaxRelErr, l...)
		}
		if k.Took > 0 {
			ch <- prometheus.MustNewConstMetric(c.took, prometheus.GaugeValue, k.Took.Seconds(), l...)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, pass, dev, "pass")
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, fail, dev, "fail")
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, refused, dev, "refused")
}

// NewSelftestRegistry is NewRegistry (the GPU telemetry of feed, the Go
// runtime and the process) with the selftest's metrics added.
func NewSelftestRegistry(feed *Feed, st *Selftest) *prometheus.Registry {
	reg := NewRegistry(feed)
	reg.MustRegister(NewSelftestCollector(st))
	return reg
}
