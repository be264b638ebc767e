package serve

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds of a policy's fields.
const (
	// MaxDelayLimit bounds --max-delay.
	MaxDelayLimit = 10 * time.Second
	// MaxPreferred bounds how many preferred sizes a policy lists.
	MaxPreferred = 16
	// MaxBatch bounds a policy's max batch, as every batch size is bounded.
	MaxBatch = 1 << 24
)

// Policy is the dynamic batcher's configuration, as Triton's
// dynamic_batching names it. A batch counts samples: a request is
// RequestSize samples and is never split between batches.
type Policy struct {
	// MaxBatch is the most samples one batch holds (max_batch_size).
	MaxBatch int
	// MaxDelay is how long the oldest queued request may wait for a batch
	// to fill before what is queued is dispatched (max_queue_delay); 0
	// dispatches at once whatever is queued when an instance is free.
	MaxDelay time.Duration
	// Preferred are the batch sizes the batcher tries to form
	// (preferred_batch_size), ascending; empty means MaxBatch alone.
	Preferred []int
	// QueueLimit bounds the queued requests (0: unbounded); a request
	// arriving at a full queue is rejected and counted.
	QueueLimit int
	// RequestSize is the samples in one request (at least 1).
	RequestSize int
}

// Validate says what is wrong with p, or nil.
func (p Policy) Validate() error {
	switch {
	case p.MaxBatch < 1 || p.MaxBatch > MaxBatch:
		return fmt.Errorf("max batch %d: a whole number of samples from 1 to %d", p.MaxBatch, MaxBatch)
	case p.MaxDelay < 0 || p.MaxDelay > MaxDelayLimit:
		return fmt.Errorf("max delay %s: from 0 (dispatch at once) to %s, e.g. 2ms or 500us", p.MaxDelay, MaxDelayLimit)
	case p.RequestSize < 1 || p.RequestSize > p.MaxBatch:
		return fmt.Errorf("request size %d: from 1 to the max batch (%d) samples", p.RequestSize, p.MaxBatch)
	case p.QueueLimit < 0:
		return fmt.Errorf("queue limit %d: 0 (unbounded) or a number of requests", p.QueueLimit)
	case len(p.Preferred) > MaxPreferred:
		return fmt.Errorf("%d preferred batch sizes: at most %d", len(p.Preferred), MaxPreferred)
	}
	for i, b := range p.Preferred {
		if b < 1 || b > p.MaxBatch {
			return fmt.Errorf("preferred batch %d: from 1 to the max batch (%d)", b, p.MaxBatch)
		}
		if b%p.RequestSize != 0 {
			return fmt.Errorf("preferred batch %d: not a multiple of the request size (%d samples), so no batch of whole requests has it", b, p.RequestSize)
		}
		if i > 0 && b <= p.Preferred[i-1] {
			return fmt.Errorf("preferred batches %s: list them once each, ascending", FormatSizes(p.Preferred))
		}
	}
	return nil
}

// ParseSizes reads a list of batch sizes such as "8,16,32" ("" is none).
func ParseSizes(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("batch sizes %q: whole numbers above 0 separated by commas, e.g. 8,16,32", s)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// FormatSizes writes sizes as ParseSizes reads them.
func FormatSizes(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, n := range sizes {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// PreparedSizes are the batch sizes an instance prepares its engine for:
// the preferred sizes and the max batch, ascending. A batch of fewer
// samples runs in the smallest of them that holds it (RunSize), padded,
// as a fixed-shape engine runs it: it costs what that size costs.
func (p Policy) PreparedSizes() []int {
	sizes := append(slices.Clone(p.Preferred), p.MaxBatch)
	slices.Sort(sizes)
	return slices.Compact(sizes)
}

// RunSize is the prepared size a batch of samples runs in (the smallest
// that holds it; the max batch when none does).
func (p Policy) RunSize(samples int) int {
	for _, s := range p.PreparedSizes() {
		if s >= samples {
			return s
		}
	}
	return p.MaxBatch
}

// Take decides, for a free instance, how many of the queued requests to
// dispatch now, given how many are queued and how long the oldest has
// waited. It returns 0 and how much longer to wait when the batcher holds
// them for a larger batch; the caller asks again then, or when a request
// arrives. The rules are Triton's:
//   - a batch of the largest preferred size (or, with none, of MaxBatch)
//     that the queue can fill goes at once;
//   - with MaxDelay 0, whatever is queued goes at once, up to MaxBatch;
//   - once the oldest request has waited MaxDelay, the largest preferred
//     size the queue can fill goes, or else everything up to MaxBatch.
func (p Policy) Take(queued int, oldestWait time.Duration) (requests int, wait time.Duration) {
	if queued <= 0 {
		return 0, 0
	}
	k := p.RequestSize
	fit := min(queued, p.MaxBatch/k) // requests one batch can hold
	top := p.MaxBatch
	if n := len(p.Preferred); n > 0 {
		top = p.Preferred[n-1]
	}
	if queued*k >= top && top%k == 0 {
		return top / k, 0
	}
	if queued*k >= p.MaxBatch {
		return fit, 0
	}
	if p.MaxDelay > 0 && oldestWait < p.MaxDelay {
		return 0, p.MaxDelay - oldestWait
	}
	for i := len(p.Preferred) - 1; i >= 0; i-- {
		if b := p.Preferred[i]; b <= fit*k {
			return b / k, 0
		}
	}
	return fit, 0
}
