package runner

import (
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 ns .. 10 min with 3 significant digits.
const (
	histLowest  = 1
	histHighest = int64(10 * time.Minute)
	histDigits  = 3
	// chartDigits is the precision of the coarse companion histogram the chart is
	// drawn from (16 linear sub-buckets per power of two).
	chartDigits = 1
)

// latencies keeps one distribution of durations. It is owned by the runner's
// loop goroutine; readers get values computed from it, never the histogram.
type latencies struct {
	h        *hdr.Histogram
	chart    *hdr.Histogram // nil when no chart is wanted
	min, max int64
	sum      float64
}

func newLatencies(withChart bool) *latencies {
	l := &latencies{h: hdr.New(histLowest, histHighest, histDigits)}
	if withChart {
		l.chart = hdr.New(histLowest, histHighest, chartDigits)
	}
	l.reset()
	return l
}

// record adds one duration; values outside 0 .. 10 min are clamped so that
// the count stays right (Min/Max keep the exact value). Zero is recorded as
// zero (a resident input's H2D copy), not as the 1 ns resolution.
func (l *latencies) record(d time.Duration) {
	v := int64(d)
	if v < l.min {
		l.min = v
	}
	if v > l.max {
		l.max = v
	}
	l.sum += float64(v)
	v = min(max(v, 0), histHighest)
	_ = l.h.RecordValue(v) // cannot fail: v is within the histogram's range
	if l.chart != nil {
		_ = l.chart.RecordValue(v)
	}
}

func (l *latencies) reset() {
	l.h.Reset()
	if l.chart != nil {
		l.chart.Reset()
	}
	l.min, l.max, l.sum = math.MaxInt64, 0, 0
}

func (l *latencies) count() int64 { return l.h.TotalCount() }

// at is the q-th percentile. HDR answers with the highest value equivalent to
// the sample at that rank, which can lie above the exact maximum; the answer is
// kept within the exact minimum and maximum.
func (l *latencies) at(q float64) time.Duration {
	if l.count() == 0 {
		return 0
	}
	return time.Duration(min(max(l.h.ValueAtPercentile(q), l.min), l.max))
}

func (l *latencies) mean() time.Duration {
	if n := l.count(); n > 0 {
		return time.Duration(l.sum / float64(n))
	}
	return 0
}

func (l *latencies) percentiles() Percentiles {
	n := l.count()
	if n == 0 {
		return Percentiles{}
	}
	return Percentiles{
		Count: n,
		Min:   time.Duration(l.min),
		P25:   l.at(25),
		P50:   l.at(50),
		P75:   l.at(75),
		P90:   l.at(90),
		P95:   l.at(95),
		P99:   l.at(99),
		P999:  l.at(99.9),
		Max:   time.Duration(l.max),
		Mean:  l.mean(),
	}
}

func (l *latencies) stat() Stat { return Stat{P50: l.at(50), Mean: l.mean()} }

// buckets spreads the coarse histogram's bars over n log-spaced buckets between
// the smallest and the largest recorded latency.
func (l *latencies) buckets(n int) []Bucket {
	if l.chart == nil || l.count() == 0 || n <= 0 {
		return nil
	}
	lo, hi := float64(max(l.min, 1)), float64(max(l.max, 1))
	if hi <= lo {
		hi = lo * 1.001
	}
	ratio := math.Pow(hi/lo, 1/float64(n))
	out := make([]Bucket, n)
	edge := lo
	for i := range out {
		out[i].Lo = time.Duration(edge)
		edge *= ratio
		out[i].Hi = time.Duration(edge)
	}
	out[n-1].Hi = time.Duration(l.max)
	logLo, logRatio := math.Log(lo), math.Log(ratio)
	for _, b := range l.chart.Distribution() {
		if b.Count == 0 {
			continue
		}
		mid := math.Min(math.Max(float64(b.From+b.To)/2, lo), hi)
		i := int((math.Log(mid) - logLo) / logRatio)
		out[min(max(i, 0), n-1)].Count += b.Count
	}
	return out
}

// RelSpread is the largest relative distance of any value from their mean
// (perf_analyzer's test: max/mean and min/mean within 1 ± threshold): 0 for
// no values, +Inf when the mean is not positive.
func RelSpread(vals []float64) float64 {
	if len(vals) == 0 {
		return 0
	}
	var sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		sum += v
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	mean := sum / float64(len(vals))
	if mean <= 0 {
		return math.Inf(1)
	}
	return math.Max(hi/mean-1, 1-lo/mean)
}

// relDiff is |a − b| / max(a, b): how far apart two throughputs are.
func relDiff(a, b float64) float64 {
	m := math.Max(a, b)
	if m <= 0 {
		return 0
	}
	return math.Abs(a-b) / m
}
