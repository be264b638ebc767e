package runner

import "time"

// Serving is what a serving-mode run measured (Server): requests arriving
// one by one, a dynamic batcher forming batches, instances computing them.
// The Snapshot around it then counts requests' samples in Window and
// Overall, and Latency and Histogram are the requests' end-to-end
// latencies, each from the request's scheduled arrival.
type Serving struct {
	// Arrival is how requests arrive ("poisson:2000", "clients:8").
	Arrival string
	// MaxBatch, MaxDelay, Preferred, QueueLimit and RequestSize are the
	// batcher's policy (serve.Policy).
	MaxBatch    int
	MaxDelay    time.Duration
	Preferred   []int `json:",omitempty"`
	QueueLimit  int   `json:",omitempty"`
	RequestSize int
	// SLOP99 is the p99 objective goodput counts against (0: none).
	SLOP99 time.Duration `json:",omitempty"`
	// Simulated says no engine ran: service times came from a model of
	// one (tests, what-if runs).
	Simulated bool `json:",omitempty"`

	// Offered and Achieved are requests per second over the last
	// completed window: scheduled arrivals, and answers. Goodput counts
	// only answers within SLOP99 (equal to Achieved without an SLO).
	Offered, Achieved, Goodput float64
	// OverallOffered, OverallAchieved and OverallGoodput cover everything
	// measured.
	OverallOffered, OverallAchieved, OverallGoodput float64
	// Requests counts answered requests, Arrived the scheduled arrivals,
	// Rejected those a full queue turned away; Unanswered those queued or
	// in flight when the run ended (never silently dropped).
	Requests, Arrived, Rejected, Unanswered int64

	// Latency breaks each request's end-to-end latency (Snapshot.Latency)
	// into its parts: Queue, waiting while every instance was busy;
	// Formation, waiting while an instance was free, for the batch to fill
	// (MaxDelay); Compute, from dispatch to answer (the engine's Run,
	// copies included on a GPU).
	Queue, Formation, Compute Percentiles
	// Late is how late the load generator and batcher (one goroutine) woke
	// for their deadlines: an arrival, the end of a hold, a window's end.
	// A CPU run whose engine keeps every core busy delays it; that delay
	// is in the latencies above (mostly in Formation, since it holds a
	// request while an instance is free), so it is shown on its own.
	Late Percentiles
	// LateNote says, when Late's p99 is above half the max delay (or
	// lateFloor), that the batcher's lateness weighs on the figures; "" when
	// it does not.
	LateNote string `json:",omitempty"`

	// QueueDepth is the number of queued requests now; MaxQueueDepth the
	// most there ever were.
	QueueDepth, MaxQueueDepth int
	// Batches are how many batches of each size (in samples) were
	// dispatched, ascending by size.
	Batches []SizeCount
	// Sizes says what each prepared size cost: a batch runs in the smallest
	// prepared size that holds it, padded, as a fixed-shape engine runs it.
	Sizes []SizeCost
	// Padding is the share of computed samples that were padding.
	Padding float64
	// Instances are the executors serving the queue.
	Instances []Instance

	// Saturated says the device does not keep up with the offered load:
	// the queue grew over the last windows and answers fell behind
	// arrivals (or a full queue rejected requests). SaturatedAt is then
	// the achieved rate, SaturationWhy the figures that said so.
	Saturated     bool
	SaturatedAt   float64 `json:",omitempty"`
	SaturationWhy string  `json:",omitempty"`

	// Windows are the latest completed windows' serving figures, oldest
	// first, aligned with Snapshot.Windows.
	Windows []ServingWindow
}

// SizeCount is how many batches of Size samples were dispatched.
type SizeCount struct {
	Size  int
	Count int64
}

// SizeCost is what batches run at one prepared size cost.
type SizeCost struct {
	// Size is the prepared batch size; Batches how many ran in it, holding
	// Samples real samples (the rest padding).
	Size    int
	Batches int64
	Samples int64
	// Compute is the percentiles of their run time.
	Compute Percentiles
}

// Instance is one executor serving the queue.
type Instance struct {
	Index   int
	Device  string
	Threads int `json:",omitempty"`
	// Batches it ran; Utilization is its busy share of the measured time,
	// WindowUtilization of the last window.
	Batches                        int64
	Utilization, WindowUtilization float64
}

// ServingWindow is one window of a serving run.
type ServingWindow struct {
	Index int
	// Arrived, Answered, Good and Rejected count requests in the window.
	Arrived, Answered, Good, Rejected int64
	// Offered, Achieved and Goodput are those per second.
	Offered, Achieved, Goodput float64
	// P50 and P99 are the window's end-to-end request latencies.
	P50, P99 time.Duration
	// MeanDepth, MaxDepth and EndDepth are the queue's depth over the
	// window (time-weighted mean), at most, and at its end.
	MeanDepth          float64
	MaxDepth, EndDepth int
}
