package ui

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// HostStat is one reading of this process on the host.
type HostStat struct {
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

// clockTicks is Linux's USER_HZ, the unit of utime and stime in /proc/self/stat.
const clockTicks = 100

// HostSampler reads /proc/self/stat and /proc/self/statm at an interval in its
// own goroutine. Stop it by cancelling the context given to StartHostSampler.
type HostSampler struct {
	out  chan HostStat
	done chan struct{}
}

// StartHostSampler starts reading every interval from procSelf (normally
// "/proc/self"). The channel holds the newest reading and is closed when the
// sampler ends.
func StartHostSampler(ctx context.Context, interval time.Duration, procSelf string) *HostSampler {
	h := &HostSampler{out: make(chan HostStat, 1), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer close(h.out)
		t := time.NewTicker(interval)
		defer t.Stop()
		var prevCPU time.Duration
		var prevT time.Time
		for {
			now := time.Now()
			st := readHost(procSelf)
			st.Time = now
			if st.Err == "" {
				cpu := st.cpu
				if !prevT.IsZero() && now.After(prevT) {
					st.CPUPercent = 100 * float64(cpu-prevCPU) / float64(now.Sub(prevT))
					st.CPUValid = true
				}
				prevCPU, prevT = cpu, now
			}
			h.offer(st.HostStat)
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
func (h *HostSampler) C() <-chan HostStat { return h.out }

// Wait blocks until the sampler's goroutine has ended.
func (h *HostSampler) Wait() { <-h.done }

// offer replaces an unread reading with the new one; it never blocks.
func (h *HostSampler) offer(s HostStat) {
	for {
		select {
		case h.out <- s:
			return
		default:
		}
		select {
		case <-h.out:
		default:
		}
	}
}

// hostReading is a HostStat plus the raw CPU time it was derived from.
type hostReading struct {
	HostStat
	cpu time.Duration
}

func readHost(procSelf string) hostReading {
	stat, err := os.ReadFile(procSelf + "/stat")
	if err != nil {
		return hostReading{HostStat: HostStat{Err: fmt.Sprintf("reading process stats: %v", err)}}
	}
	statm, err := os.ReadFile(procSelf + "/statm")
	if err != nil {
		return hostReading{HostStat: HostStat{Err: fmt.Sprintf("reading process memory: %v", err)}}
	}
	r, err := parseProc(string(stat), string(statm), os.Getpagesize())
	if err != nil {
		return hostReading{HostStat: HostStat{Err: err.Error()}}
	}
	return r
}

// parseProc reads utime, stime and num_threads from /proc/self/stat and the
// resident pages from /proc/self/statm.
func parseProc(stat, statm string, pageSize int) (hostReading, error) {
	// The command name (field 2) may hold spaces; fields restart after its ')'.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return hostReading{}, fmt.Errorf("parsing /proc/self/stat: no ')' in %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15, num_threads 20.
	if len(f) < 18 {
		return hostReading{}, fmt.Errorf("parsing /proc/self/stat: %d fields", len(f)+2)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stt, err2 := strconv.ParseInt(f[12], 10, 64)
	th, err3 := strconv.Atoi(f[17])
	m := strings.Fields(statm)
	if err1 != nil || err2 != nil || err3 != nil || len(m) < 2 {
		return hostReading{}, fmt.Errorf("parsing /proc/self/stat and statm: unexpected values")
	}
	rss, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return hostReading{}, fmt.Errorf("parsing /proc/self/statm: %w", err)
	}
	ticks := ut + stt
	return hostReading{
		HostStat: HostStat{RSSBytes: rss * int64(pageSize), Threads: th},
		cpu:      time.Duration(ticks) * time.Second / clockTicks,
	}, nil
}
