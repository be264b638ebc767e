package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"infertop/sweep"
)

// Compare sides as the side label writes them.
const (
	SideA = "a"
	SideB = "b"
)

// sideLabel is the side label of side 0 (A) or 1 (B).
func sideLabel(side int) string {
	if side == 0 {
		return SideA
	}
	return SideB
}

// cmpKey is one side at one batch.
type cmpKey struct {
	batch, side int
}

// CompareFeed holds what a compare (`infertop compare`) has measured: every
// window of both sides, handed over as sweep.WindowEvent, and every finished
// batch. Both sides may run on the same device (one CPU thread against all
// cores), so its series carry a side label ("a" or "b") besides the device.
// Its methods are safe for concurrent use and only copy under a mutex.
type CompareFeed struct {
	model  string
	sides  [2]sweep.Side
	bounds []float64

	mu     sync.Mutex
	batch  int // the batch now raced (0 before the first window)
	last   [2]float64
	hasWin [2]bool
	totals map[cmpKey]*totals
	dur    map[cmpKey]float64 // measured seconds
	points []sweep.ComparePoint
	done   []sweep.ComparePoint
}

// NewCompareFeed returns an empty feed for a race of a model between a and b.
func NewCompareFeed(model string, a, b sweep.Side) *CompareFeed {
	return &CompareFeed{model: model, sides: [2]sweep.Side{a, b}, bounds: LatencyBuckets(),
		totals: map[cmpKey]*totals{}, dur: map[cmpKey]float64{}}
}

// ObserveWindow adds one measured window: its samples, batches and exact
// latencies to the side's counters and histogram at its batch, its samples/s
// as the side's current rate, and its point as the race so far.
func (f *CompareFeed) ObserveWindow(ev sweep.WindowEvent) {
	if ev.Side < 0 || ev.Side > 1 {
		return
	}
	t := totals{samples: float64(ev.Window.Samples), batches: float64(len(ev.Window.Latencies)), buckets: make([]uint64, len(f.bounds))}
	for _, l := range ev.Window.Latencies {
		s := l.Seconds()
		t.count++
		t.sum += s
		for i, ub := range f.bounds {
			if s <= ub {
				t.buckets[i]++
				break
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ev.Batch != f.batch {
		f.batch, f.hasWin = ev.Batch, [2]bool{}
	}
	k := cmpKey{ev.Batch, ev.Side}
	if f.totals[k] == nil {
		f.totals[k] = &totals{}
	}
	f.totals[k].add(t)
	f.dur[k] += ev.Window.Duration.Seconds()
	f.last[ev.Side], f.hasWin[ev.Side] = 0, true
	if ev.Window.Duration > 0 {
		f.last[ev.Side] = float64(ev.Window.Samples) / ev.Window.Duration.Seconds()
	}
	if n := len(f.points); n > 0 && f.points[n-1].Batch == ev.Batch {
		f.points[n-1] = ev.Point
	} else {
		f.points = append(f.points, ev.Point)
	}
}

// ObserveBatch records a finished batch: its point replaces the one built
// from its windows (it includes the last pair), and the crossover is looked
// for among the finished batches.
func (f *CompareFeed) ObserveBatch(p sweep.ComparePoint) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.points {
		if f.points[i].Batch == p.Batch {
			f.points[i] = p
		}
	}
	f.done = append(f.done, p)
}

// compareView is what one scrape reads, copied under the mutex.
type compareView struct {
	batch     int
	last      [2]float64
	hasWin    [2]bool
	totals    map[cmpKey]totals
	dur       map[cmpKey]float64
	points    []sweep.ComparePoint
	crossover int
}

func (f *CompareFeed) view() compareView {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := compareView{batch: f.batch, last: f.last, hasWin: f.hasWin, totals: map[cmpKey]totals{}, dur: map[cmpKey]float64{},
		points: append([]sweep.ComparePoint(nil), f.points...)}
	for k, t := range f.totals {
		var c totals
		c.add(*t)
		v.totals[k] = c
		v.dur[k] = f.dur[k]
	}
	v.crossover, _ = sweep.Crossover(f.done, f.sides[0], f.sides[1])
	return v
}

// CompareCollector turns a CompareFeed into metrics at each scrape.
type CompareCollector struct {
	feed *CompareFeed
	d    compareDescs
}

type compareDescs struct {
	sideInfo, samplesPerSec, samplesTotal, batchesTotal, latency, p50, p99, measured,
	speedUp, pairMin, pairMax, pairs, crossover *prometheus.Desc
}

func newCompareDescs() compareDescs {
	// Every side series has the labels model, device, batch and side; the
	// race's own series model and batch.
	side := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("infertop_"+name, help, []string{"model", "device", "batch", "side"}, nil)
	}
	race := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("infertop_compare_"+name, help, []string{"model", "batch"}, nil)
	}
	return compareDescs{
		sideInfo: prometheus.NewDesc("infertop_compare_side_info",
			"A side of the compare: always 1; threads is the CPU thread count (0 = all cores), config the side as the output names it.",
			[]string{"model", "side", "device", "threads", "config"}, nil),
		samplesPerSec: side("samples_per_second", "Samples (batch × batches) per second of the side's last measured window at the batch now raced."),
		samplesTotal:  side("samples_total", "Samples measured in the side's windows (warm-up excluded) at this batch."),
		batchesTotal:  side("batches_total", "Batches measured in the side's windows (warm-up excluded) at this batch."),
		latency:       side("batch_latency_seconds", "Wall latency of each batch measured in the side's windows at this batch (exact, not re-binned)."),
		p50:           side("batch_latency_p50_seconds", "Median batch latency of the side over its windows so far at the batch now raced (exact)."),
		p99:           side("batch_latency_p99_seconds", "99th percentile batch latency of the side over its windows so far at the batch now raced (exact)."),
		measured:      side("measured_seconds", "Wall time of the side's windows so far at the batch now raced (warm-up excluded)."),
		speedUp:       race("speed_up_ratio", "B's samples/s over A's across every window so far at this batch (the latest value for batches already raced)."),
		pairMin:       race("pair_speed_up_min_ratio", "Smallest B/A ratio of a single window pair at this batch."),
		pairMax:       race("pair_speed_up_max_ratio", "Largest B/A ratio of a single window pair at this batch."),
		pairs:         race("window_pairs", "Window pairs (A B or B A) finished at this batch."),
		crossover: prometheus.NewDesc("infertop_compare_crossover_batch",
			"First finished batch at which B overtakes A after A was at least as fast at the batch before; 0 while there is none.",
			[]string{"model"}, nil),
	}
}

// NewCompareCollector returns a collector over feed.
func NewCompareCollector(feed *CompareFeed) *CompareCollector {
	return &CompareCollector{feed: feed, d: newCompareDescs()}
}

// Describe sends every metric's description.
func (c *CompareCollector) Describe(ch chan<- *prometheus.Desc) {
	d := c.d
	for _, x := range []*prometheus.Desc{d.sideInfo, d.samplesPerSec, d.samplesTotal, d.batchesTotal, d.latency, d.p50, d.p99,
		d.measured, d.speedUp, d.pairMin, d.pairMax, d.pairs, d.crossover} {
		ch <- x
	}
}

// Collect reads the feed once and sends the metrics.
func (c *CompareCollector) Collect(ch chan<- prometheus.Metric) {
	f, v := c.feed, c.feed.view()
	gauge := func(d *prometheus.Desc, val float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, val, l...)
	}
	for i, s := range f.sides {
		gauge(c.d.sideInfo, 1, f.model, sideLabel(i), s.Device, strconv.Itoa(s.Threads), s.String())
	}
	for k, t := range v.totals {
		l := []string{f.model, f.sides[k.side].Device, strconv.Itoa(k.batch), sideLabel(k.side)}
		ch <- prometheus.MustNewConstMetric(c.d.samplesTotal, prometheus.CounterValue, t.samples, l...)
		ch <- prometheus.MustNewConstMetric(c.d.batchesTotal, prometheus.CounterValue, t.batches, l...)
		cum := make(map[float64]uint64, len(f.bounds))
		var n uint64
		for i, ub := range f.bounds {
			n += t.buckets[i]
			cum[ub] = n
		}
		ch <- prometheus.MustNewConstHistogram(c.d.latency, t.count, t.sum, cum, l...)
	}
	var cur *sweep.ComparePoint
	for i, p := range v.points {
		b := strconv.Itoa(p.Batch)
		if p.SpeedUp > 0 {
			gauge(c.d.speedUp, p.SpeedUp, f.model, b)
		}
		if p.Pairs > 0 {
			gauge(c.d.pairMin, p.Lo, f.model, b)
			gauge(c.d.pairMax, p.Hi, f.model, b)
		}
		gauge(c.d.pairs, float64(p.Pairs), f.model, b)
		if p.Batch == v.batch {
			cur = &v.points[i]
		}
	}
	if cur != nil {
		for side, st := range []sweep.SideStats{cur.A, cur.B} {
			if !v.hasWin[side] {
				continue
			}
			l := []string{f.model, f.sides[side].Device, strconv.Itoa(v.batch), sideLabel(side)}
			gauge(c.d.samplesPerSec, v.last[side], l...)
			if st.Count > 0 {
				gauge(c.d.p50, st.P50MS/1e3, l...)
				gauge(c.d.p99, st.P99MS/1e3, l...)
			}
			gauge(c.d.measured, v.dur[cmpKey{v.batch, side}], l...)
		}
	}
	gauge(c.d.crossover, float64(v.crossover), f.model)
}

// NewCompareRegistry returns a registry of its own holding the compare's
// collector, the GPU metrics of feed (which only receives GPU samples during
// a compare) and the Go runtime and process collectors.
func NewCompareRegistry(feed *Feed, cmp *CompareFeed) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCompareCollector(cmp), &Collector{feed: feed, d: newDescs(), gpuOnly: true},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
