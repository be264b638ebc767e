package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"infertop/internal/units"
	"infertop/runner"
	"infertop/serve"
)

// ServingRow is what a serving-mode bench row measured (runner.Serving):
// the row's samples/s and latencies are then the answered requests'
// samples and end-to-end latencies from each request's scheduled arrival.
type ServingRow struct {
	Arrival     string  `json:"arrival"`
	MaxBatch    int     `json:"max_batch"`
	MaxDelayMS  float64 `json:"max_delay_ms"`
	Preferred   []int   `json:"preferred_batch,omitempty"`
	QueueLimit  int     `json:"queue_limit,omitempty"`
	RequestSize int     `json:"request_size"`
	Instances   int     `json:"instances"`
	SLOP99MS    float64 `json:"slo_p99_ms,omitempty"`
	// OfferedRPS, AchievedRPS and GoodputRPS are requests per second over
	// the measured time: scheduled arrivals, answers, and answers within
	// the SLO (all answers without one).
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	GoodputRPS  float64 `json:"goodput_rps"`
	Requests    int64   `json:"requests"`
	Arrived     int64   `json:"arrived"`
	Rejected    int64   `json:"rejected"`
	Unanswered  int64   `json:"unanswered"`
	// QueueMS, FormationMS and ComputeMS break the end-to-end latency
	// (the row's latency_ms) into its parts.
	QueueMS     LatencyMS `json:"queue_ms"`
	FormationMS LatencyMS `json:"formation_ms"`
	ComputeMS   LatencyMS `json:"compute_ms"`
	// LateMS is how late the load generator and batcher woke for their
	// deadlines (runner.Serving.Late), which every part above includes.
	LateMS   LatencyMS `json:"late_ms"`
	MaxQueue int       `json:"max_queue_depth"`
	// Padding is the share of computed samples that were padding.
	Padding float64 `json:"padding"`
	// Batches counts dispatched batches by size; Sizes what each prepared
	// size cost (p50 ms of its runs).
	Batches     []runner.SizeCount `json:"batch_sizes"`
	Sizes       []SizeCostMS       `json:"prepared_sizes"`
	Utilization []float64          `json:"instance_utilization"`
	Saturated   bool               `json:"saturated"`
	// SaturatedAtRPS is the achieved rate once saturated; SaturationWhy the figures.
	SaturatedAtRPS float64 `json:"saturated_at_rps,omitempty"`
	SaturationWhy  string  `json:"saturation_why,omitempty"`
}

// SizeCostMS is what the batches run at one prepared size cost.
type SizeCostMS struct {
	Size    int     `json:"size"`
	Batches int64   `json:"batches"`
	Samples int64   `json:"samples"`
	P50MS   float64 `json:"p50_ms"`
}

// latencyMS converts runner percentiles to a LatencyMS.
func latencyMS(p runner.Percentiles) LatencyMS {
	return LatencyMS{units.MS(p.P50), units.MS(p.P90), units.MS(p.P95), units.MS(p.P99), units.MS(p.P999), units.MS(p.Max)}
}

// NewServingRow is a serving snapshot's row part; nil for a closed-loop run.
func NewServingRow(sv *runner.Serving) *ServingRow {
	if sv == nil {
		return nil
	}
	r := &ServingRow{Arrival: sv.Arrival, MaxBatch: sv.MaxBatch, MaxDelayMS: units.MS(sv.MaxDelay), Preferred: sv.Preferred,
		QueueLimit: sv.QueueLimit, RequestSize: sv.RequestSize, Instances: len(sv.Instances), SLOP99MS: units.MS(sv.SLOP99),
		OfferedRPS: sv.OverallOffered, AchievedRPS: sv.OverallAchieved, GoodputRPS: sv.OverallGoodput,
		Requests: sv.Requests, Arrived: sv.Arrived, Rejected: sv.Rejected, Unanswered: sv.Unanswered,
		QueueMS: latencyMS(sv.Queue), FormationMS: latencyMS(sv.Formation), ComputeMS: latencyMS(sv.Compute), LateMS: latencyMS(sv.Late),
		MaxQueue: sv.MaxQueueDepth, Padding: sv.Padding, Batches: sv.Batches, Utilization: []float64{},
		Saturated: sv.Saturated, SaturatedAtRPS: sv.SaturatedAt, SaturationWhy: sv.SaturationWhy}
	if r.Batches == nil {
		r.Batches = []runner.SizeCount{}
	}
	for _, z := range sv.Sizes {
		r.Sizes = append(r.Sizes, SizeCostMS{Size: z.Size, Batches: z.Batches, Samples: z.Samples, P50MS: units.MS(z.Compute.P50)})
	}
	for _, in := range sv.Instances {
		r.Utilization = append(r.Utilization, in.Utilization)
	}
	return r
}

// servingWarnings are a serving row's warnings.
func servingWarnings(sv *runner.Serving) []string {
	var w []string
	if sv.Saturated {
		w = append(w, fmt.Sprintf("saturated at about %s req/s: %s", units.Rate(sv.SaturatedAt, 3), sv.SaturationWhy))
	}
	if sv.Unanswered > 0 {
		w = append(w, fmt.Sprintf("%d requests still queued or in flight at the end, counted unanswered", sv.Unanswered))
	}
	if sv.Rejected > 0 {
		w = append(w, fmt.Sprintf("%d requests rejected by the full queue", sv.Rejected))
	}
	if sv.LateNote != "" {
		w = append(w, sv.LateNote)
	}
	if sv.Simulated {
		w = append(w, "simulated: no engine ran")
	}
	return w
}

// servingRows reports whether the rows are a serving bench's.
func servingRows(rows []Row) bool { return len(rows) > 0 && rows[0].Serving != nil }

// writeServingTable writes a serving bench's rows: the rates, the
// end-to-end latency and its parts, the batches and the instances.
func writeServingTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "MODEL\tDEVICE\tARRIVAL\tMAX BATCH\tDELAY ms\tINST\tOFFERED/S\tANSWERED/S\tGOODPUT/S\tP50 ms\tP99 ms\tQUEUE P99\tFORM P99\tCOMPUTE P99\tBATCH p50\tUTIL\tSTABLE\t\n")
	for _, r := range rows {
		s := r.Serving
		util := make([]string, len(s.Utilization))
		for i, u := range s.Utilization {
			util[i] = fmt.Sprintf("%.0f%%", 100*u)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Model, r.Device, s.Arrival, s.MaxBatch, units.Rate(s.MaxDelayMS, 3), s.Instances,
			units.Rate(s.OfferedRPS, 3), units.Rate(s.AchievedRPS, 3), units.Rate(s.GoodputRPS, 3),
			units.Rate(r.LatencyMS.P50, 3), units.Rate(r.LatencyMS.P99, 3),
			units.Rate(s.QueueMS.P99, 3), units.Rate(s.FormationMS.P99, 3), units.Rate(s.ComputeMS.P99, 3),
			medianBatch(s.Batches), strings.Join(util, ","), stableWord(r))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	for _, r := range rows {
		s := r.Serving
		fmt.Fprintf(w, "  %s max batch %d: %d requests answered of %d arrived; batches %s; padding %.1f %%",
			r.Model, s.MaxBatch, s.Requests, s.Arrived, batchMix(s.Batches), 100*s.Padding)
		if s.SLOP99MS > 0 {
			fmt.Fprintf(w, "; goodput within p99 %s ms", units.Rate(s.SLOP99MS, 3))
		}
		fmt.Fprintln(w)
		for _, z := range s.Sizes {
			if z.Batches > 0 {
				fmt.Fprintf(w, "  %s max batch %d: prepared size %d ran %d batches of %d samples, p50 %s ms\n",
					r.Model, s.MaxBatch, z.Size, z.Batches, z.Samples, units.Rate(z.P50MS, 3))
			}
		}
		for _, wn := range r.Warnings {
			fmt.Fprintf(w, "  %s max batch %d: %s\n", r.Model, s.MaxBatch, wn)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  %s max batch %d: error: %s\n", r.Model, s.MaxBatch, r.Error)
		}
	}
	return nil
}

// medianBatch is the size of the median dispatched batch ("-" for none).
func medianBatch(b []runner.SizeCount) string {
	n := batchCount(b)
	if n == 0 {
		return "-"
	}
	var seen int64
	for _, c := range b {
		if seen += c.Count; 2*seen >= n {
			return strconv.Itoa(c.Size)
		}
	}
	return "-"
}

// batchMix is the dispatched sizes with their share, the largest five
// shares, e.g. "8 (61 %), 3 (20 %), …".
func batchMix(b []runner.SizeCount) string {
	n := batchCount(b)
	if n == 0 {
		return "none"
	}
	top := slices.Clone(b) // ascending by size: a stable sort keeps ties in size order
	slices.SortStableFunc(top, func(x, y runner.SizeCount) int { return cmp.Compare(y.Count, x.Count) })
	var parts []string
	for i, c := range top {
		if i == 5 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%d (%.0f %%)", c.Size, 100*float64(c.Count)/float64(n)))
	}
	return strings.Join(parts, ", ")
}

// batchCount is the number of batches b counts.
func batchCount(b []runner.SizeCount) int64 {
	var n int64
	for _, c := range b {
		n += c.Count
	}
	return n
}

// servingCSVHeader are the columns a serving bench's CSV adds.
var servingCSVHeader = []string{"arrival", "max_batch", "max_delay_ms", "preferred_batch", "instances", "request_size",
	"offered_rps", "achieved_rps", "goodput_rps", "requests", "rejected", "unanswered",
	"queue_p50_ms", "queue_p99_ms", "formation_p50_ms", "formation_p99_ms", "compute_p50_ms", "compute_p99_ms",
	"max_queue_depth", "padding", "saturated", "saturated_at_rps"}

// servingCSV is a serving row's added cells.
func servingCSV(s *ServingRow) []string {
	return []string{s.Arrival, strconv.Itoa(s.MaxBatch), csvFloat(s.MaxDelayMS), serve.FormatSizes(s.Preferred),
		strconv.Itoa(s.Instances), strconv.Itoa(s.RequestSize),
		csvFloat(s.OfferedRPS), csvFloat(s.AchievedRPS), csvFloat(s.GoodputRPS),
		strconv.FormatInt(s.Requests, 10), strconv.FormatInt(s.Rejected, 10), strconv.FormatInt(s.Unanswered, 10),
		csvFloat(s.QueueMS.P50), csvFloat(s.QueueMS.P99), csvFloat(s.FormationMS.P50), csvFloat(s.FormationMS.P99),
		csvFloat(s.ComputeMS.P50), csvFloat(s.ComputeMS.P99),
		strconv.Itoa(s.MaxQueue), csvFloat(s.Padding), strconv.FormatBool(s.Saturated), csvFloat(s.SaturatedAtRPS)}
}
