package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"time"

	"infertop/internal/units"
	"infertop/runner"
)

// progress shows one status line on stderr while bench runs: rewritten in place
// on a terminal, otherwise a plain line on each state change and at most once a second.
type progress struct {
	w       io.Writer
	tty     bool
	last    time.Time
	lastKey string
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			p.tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return p
}

func (p *progress) show(s runner.Snapshot, duration time.Duration) {
	line := fmt.Sprintf("%s %s batch %d: %s", s.Model, s.Device, s.Batch, s.State)
	if sv := s.Serving; sv != nil {
		line = fmt.Sprintf("%s %s max batch %d, %s: %s", s.Model, s.Device, s.Batch, sv.Arrival, s.State)
	}
	switch {
	case s.Serving != nil && s.State.Running() && s.State != runner.Warming && s.Latency.Count > 0:
		sv := s.Serving
		line += fmt.Sprintf(" %.1f/%.1f s · offered %s req/s · answered %s req/s · p99 %.3g ms · queue %d · n=%d",
			s.Measured.Seconds(), duration.Seconds(), units.Rate(sv.Offered, 4), units.Rate(sv.Achieved, 4),
			float64(s.Latency.P99)/1e6, sv.QueueDepth, s.Latency.Count)
		if sv.Saturated {
			line += fmt.Sprintf(" · saturated at about %s req/s", units.Rate(sv.SaturatedAt, 3))
		}
	case s.Serving != nil && s.State == runner.Warming:
		line += fmt.Sprintf(" %.1f s", s.Elapsed.Seconds())
	default:
		line += p.closedLoop(s, duration)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		return
	}
	key := fmt.Sprint(s.RunID, s.Batch, s.State)
	if now := time.Now(); key != p.lastKey || now.Sub(p.last) >= time.Second {
		fmt.Fprintln(p.w, line)
		p.last, p.lastKey = now, key
	}
}

// closedLoop is the progress of a run of batches back to back.
func (p *progress) closedLoop(s runner.Snapshot, duration time.Duration) string {
	line := ""
	switch s.State {
	case runner.Warming:
		line += fmt.Sprintf(" %.1f s", s.WarmupTime.Seconds())
		if w := s.WarmupWindow; w.Duration > 0 {
			line += fmt.Sprintf(" · %s samples/s (warming, not measured)", units.Rate(w.SamplesPerSec, 4))
		}
	case runner.Measuring, runner.Stable:
		if s.Latency.Count == 0 {
			break
		}
		line += fmt.Sprintf(" %.1f/%.1f s · %s samples/s · p50 %.3g ms · n=%d · windows %s iqr %s",
			s.Measured.Seconds(), duration.Seconds(), units.Rate(s.Overall.SamplesPerSec, 4), float64(s.Latency.P50)/1e6,
			s.Latency.Count, mark(s.Stability.Windows), mark(s.Stability.IQR))
	case runner.Error:
		line += ": " + s.Err
	}
	return line
}

// clear removes the status line from a terminal before the results are printed.
func (p *progress) clear() {
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "no"
}

// soakReporter prints the Go heap and the process RSS to stderr at an interval
// (the hidden --soak-report flag, read by scripts/soak.sh), with the runner's
// state so that samples taken during warm-up can be told apart. It forces a
// garbage collection before each sample, so heap_live is the live heap at that
// moment and RSS is not inflated by garbage awaiting the next cycle; the pauses
// make a soak run's latency figures unfit for comparison.
type soakReporter struct {
	w       io.Writer
	rss     func() int64
	every   time.Duration
	start   time.Time
	last    time.Time
	samples []metrics.Sample
}

func newSoakReporter(w io.Writer, every time.Duration, rss func() int64) *soakReporter {
	if every <= 0 || rss == nil {
		return nil
	}
	return &soakReporter{w: w, rss: rss, every: every, start: time.Now(), samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"},
	}}
}

func (r *soakReporter) maybe(s runner.Snapshot) {
	if r == nil {
		return
	}
	now := time.Now()
	if now.Sub(r.last) < r.every {
		return
	}
	r.last = now
	runtime.GC()
	metrics.Read(r.samples)
	fmt.Fprintf(r.w, "soak: t=%.1f state=%s heap_live=%d heap_objects=%d rss=%d\n",
		now.Sub(r.start).Seconds(), strings.ReplaceAll(s.State.String(), " ", "_"),
		r.samples[0].Value.Uint64(), r.samples[1].Value.Uint64(), r.rss())
}
