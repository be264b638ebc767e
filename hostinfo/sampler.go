package hostinfo

import (
	"context"
	"time"

	"infertop/internal/latest"
)

// Stat is one reading of this process on the host, as the dashboard's host
// panel shows it and a recording keeps it (its field names are the
// recording's keys).
type Stat struct {
	// Time is when it was read.
	Time time.Time
	// CPUPercent is the process's CPU time over the wall time since the
	// previous reading (100 = one core busy); missing on the first reading.
	CPUPercent float64
	CPUValid   bool
	// RSSBytes is the resident set size.
	RSSBytes int64
	// Threads is the number of OS threads of the process.
	Threads int
	// Err is set when /proc could not be read.
	Err string
}

// Sampler reads a process from /proc at an interval in its own goroutine.
// Stop it by cancelling the context given to StartSampler.
type Sampler struct {
	out  chan Stat
	done chan struct{}
}

// StartSampler starts reading every interval from dir (normally SelfDir).
// The channel holds the newest reading and is closed when the sampler ends.
func StartSampler(ctx context.Context, interval time.Duration, dir string) *Sampler {
	h := &Sampler{out: make(chan Stat, 1), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer close(h.out)
		t := time.NewTicker(interval)
		defer t.Stop()
		var prevCPU time.Duration
		var prevT time.Time
		for {
			now := time.Now()
			st := Stat{Time: now}
			if p, err := ReadProcess(dir); err != nil {
				st.Err = err.Error()
			} else {
				st.RSSBytes, st.Threads = p.RSSBytes, p.Threads
				if !prevT.IsZero() && now.After(prevT) {
					st.CPUPercent = 100 * float64(p.CPU-prevCPU) / float64(now.Sub(prevT))
					st.CPUValid = true
				}
				prevCPU, prevT = p.CPU, now
			}
			latest.Offer(h.out, st)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// C delivers the readings.
func (h *Sampler) C() <-chan Stat { return h.out }

// Wait blocks until the sampler's goroutine has ended.
func (h *Sampler) Wait() { <-h.done }
